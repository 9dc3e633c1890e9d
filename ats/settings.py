"""The help desk's settings: read once per process from the environment, then handed down.

`Settings.from_env()` reads every variable the help desk knows, at a process's start (the
command line, `rasa run`, the action server), with defaults that need no services. The groups
each part of the house uses are parts of it: `telegram`, `webchat`, `servers` (Rasa's stores,
broker and the action server) and `ats` (each ATS's secrets and API). Nothing else reads the
environment.

Every variable is documented in the README's configuration table; keep the two in step.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

# ConfigurationError is raised for bad settings and caught by the entry points, which know it
# from here
from ats.environment import ConfigurationError as ConfigurationError
from ats.environment import Environment

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_ATS_DATABASE_URL = f"sqlite+aiosqlite:///{PROJECT_ROOT / 'var' / 'ats.db'}"
DEFAULT_EVENT_QUEUE = "helpdesk_events"
# Nothing the help desk runs consumes the events: the queue keeps this many, dropping the oldest
# (about 1 GB of events at ~1 KB each), so that an unread queue cannot fill RabbitMQ's disk.
DEFAULT_EVENT_QUEUE_MAX_LENGTH = 1_000_000
ATS_NAMES = ("greenhouse", "lever", "recruitee", "workable")
# Beyond a day a web hook's freshness window no longer narrows a replay much; catch up with the
# pull sync instead.
LONGEST_WEBHOOK_MAX_AGE_SECONDS = 24 * 60 * 60


@dataclass(frozen=True)
class TelegramSettings:
    """The Telegram bot: on when it has a token."""

    token: str | None = None
    webhook_secret: str | None = None
    webhook_url: str | None = None
    api_base_url: str = "https://api.telegram.org"
    # Known from getMe too; set it to spare that call (t.me links need it).
    username: str | None = None

    @classmethod
    def read(cls, env: Environment) -> TelegramSettings:
        return cls(
            token=env.text("TELEGRAM_BOT_TOKEN"),
            webhook_secret=env.text("TELEGRAM_WEBHOOK_SECRET"),
            webhook_url=env.text("TELEGRAM_WEBHOOK_URL"),
            api_base_url=(env.text("TELEGRAM_API_BASE_URL") or "https://api.telegram.org").rstrip(
                "/"
            ),
            username=(env.text("TELEGRAM_BOT_USERNAME") or "").lstrip("@") or None,
        )


WHATSAPP_GRAPH_API = "https://graph.facebook.com/v23.0"  # a pinned Graph API version


@dataclass(frozen=True)
class WhatsAppSettings:
    """WhatsApp through Meta's Cloud API: on when it has an access token."""

    access_token: str | None = None
    phone_number_id: str | None = None
    app_secret: str | None = None
    verify_token: str | None = None
    api_base_url: str = WHATSAPP_GRAPH_API
    # the approved template a late notice goes as outside the 24-hour window (English and Dutch)
    notice_template: str = "helpdesk_late_notice"
    # the approved template a recruiter's reply goes as outside the window (English and Dutch)
    followup_template: str = "helpdesk_recruiter_reply"
    # the business number as applicants see it, digits only, for "Chat on WhatsApp" wa.me links
    display_number: str | None = None

    @property
    def enabled(self) -> bool:
        return bool(self.access_token)

    @classmethod
    def read(cls, env: Environment) -> WhatsAppSettings:
        return cls(
            access_token=env.text("WHATSAPP_ACCESS_TOKEN"),
            phone_number_id=env.text("WHATSAPP_PHONE_NUMBER_ID"),
            app_secret=env.text("WHATSAPP_APP_SECRET"),
            verify_token=env.text("WHATSAPP_VERIFY_TOKEN"),
            api_base_url=(env.text("WHATSAPP_API_BASE_URL") or WHATSAPP_GRAPH_API).rstrip("/"),
            notice_template=env.text("WHATSAPP_NOTICE_TEMPLATE") or "helpdesk_late_notice",
            followup_template=env.text("WHATSAPP_FOLLOWUP_TEMPLATE") or "helpdesk_recruiter_reply",
            display_number="".join(filter(str.isdigit, env.text("WHATSAPP_DISPLAY_NUMBER") or ""))
            or None,
        )


@dataclass(frozen=True)
class TokenRules:
    """What a careers-site token must be to stand in for a code."""

    secret: str | None = None
    audience: str | None = None  # when set, the token's `aud` must name it
    issuer: str | None = None  # when set, the token's `iss` must be it
    max_minutes: int = 60  # exp - iat at most this: a token is a session, not a key for good


@dataclass(frozen=True)
class WebChatSettings:
    """Who may open the web chat, and what a careers-site login must be."""

    allowed_origins: tuple[str, ...] | str = "*"
    token_rules: TokenRules = field(default_factory=TokenRules)

    @classmethod
    def read(cls, env: Environment) -> WebChatSettings:
        raw = env.text("HELPDESK_WEBCHAT_ORIGINS") or "*"
        origins: tuple[str, ...] | str = (
            "*"
            if raw == "*"
            else tuple(o.rstrip("/") for o in env.listed("HELPDESK_WEBCHAT_ORIGINS"))
        )
        rules = TokenRules(
            secret=env.text("HELPDESK_WEBCHAT_JWT_SECRET"),
            audience=env.text("HELPDESK_WEBCHAT_JWT_AUDIENCE"),
            issuer=env.text("HELPDESK_WEBCHAT_JWT_ISSUER"),
            max_minutes=env.number("HELPDESK_WEBCHAT_JWT_MAX_MINUTES", 60, minimum=1),
        )
        return cls(origins, rules)


@dataclass(frozen=True)
class ServerSettings:
    """The Rasa servers and the action servers: where Rasa keeps conversations, locks them and
    publishes their events, how its servers reach the action servers, and their spools."""

    tracker_store_url: str | None = None
    # the most PostgreSQL connections one Rasa server's tracker store opens at once
    tracker_store_connections: int = 10
    redis_url: str | None = None
    event_broker_url: str | None = None
    event_queue: str = DEFAULT_EVENT_QUEUE
    # 0: unbounded (a consumer reads the queue)
    event_queue_max_length: int = DEFAULT_EVENT_QUEUE_MAX_LENGTH
    actions_url: str = "http://localhost:5055/webhook"
    rasa_api_token: str | None = None
    action_timeout_seconds: float = 4.0
    handover_retry_seconds: float = 15.0
    # how often each Rasa server drops erased conversations from its memory and spool
    erasure_check_seconds: float = 60.0
    spool_dir: Path = PROJECT_ROOT / "var" / "spool"
    rasa_port: int = 5005
    actions_port: int = 5055
    # where `helpdesk serve actions` listens: loopback unless told (containers: 0.0.0.0)
    actions_host: str = "127.0.0.1"
    rasa_servers: int = 1
    action_servers: int = 1

    @classmethod
    def read(cls, env: Environment) -> ServerSettings:
        actions_port = env.number("HELPDESK_ACTIONS_PORT", 5055, minimum=1, maximum=65535)
        return cls(
            tracker_store_url=env.text("HELPDESK_TRACKER_STORE_URL"),
            tracker_store_connections=env.number(
                "HELPDESK_TRACKER_STORE_CONNECTIONS", 10, minimum=1, maximum=1000
            ),
            redis_url=env.text("HELPDESK_REDIS_URL"),
            event_broker_url=env.text("HELPDESK_EVENT_BROKER_URL"),
            event_queue=env.text("HELPDESK_EVENT_QUEUE") or DEFAULT_EVENT_QUEUE,
            event_queue_max_length=env.number(
                "HELPDESK_EVENT_QUEUE_MAX_LENGTH", DEFAULT_EVENT_QUEUE_MAX_LENGTH
            ),
            actions_url=env.text("HELPDESK_ACTIONS_URL")
            or f"http://localhost:{actions_port}/webhook",
            rasa_api_token=env.text("HELPDESK_RASA_API_TOKEN"),
            action_timeout_seconds=env.seconds("HELPDESK_ACTION_TIMEOUT_SECONDS", 4.0),
            handover_retry_seconds=env.seconds("HELPDESK_HANDOVER_RETRY_SECONDS", 15.0),
            erasure_check_seconds=env.seconds("HELPDESK_ERASURE_CHECK_SECONDS", 60.0, minimum=1.0),
            spool_dir=env.folder("HELPDESK_SPOOL_DIR", PROJECT_ROOT / "var" / "spool"),
            rasa_port=env.number("HELPDESK_RASA_PORT", 5005, minimum=1, maximum=65535),
            actions_port=actions_port,
            actions_host=env.text("SANIC_HOST") or "127.0.0.1",
            rasa_servers=env.number("HELPDESK_RASA_SERVERS", 1, minimum=1, maximum=32),
            action_servers=env.number("HELPDESK_ACTION_SERVERS", 1, minimum=1, maximum=32),
        )

    @property
    def shared(self) -> bool:
        """True when several Rasa servers can share these stores."""
        return bool(self.tracker_store_url and self.redis_url)


@dataclass(frozen=True)
class AtsAccess:
    """One ATS: the secrets its web hooks are signed with, its API key and address."""

    webhook_secrets: tuple[str, ...] = ()
    api_key: str | None = None
    api_url: str | None = None
    company_id: str | None = None  # Recruitee's
    # the ATS user desk changes are written back as (Greenhouse's On-Behalf-Of user id, Lever's
    # perform_as user id, Workable's member_id; Recruitee's token is a user's own)
    write_as: str | None = None

    @classmethod
    def read(cls, env: Environment, name: str) -> AtsAccess:
        prefix = name.upper()
        return cls(
            webhook_secrets=env.listed(f"{prefix}_WEBHOOK_SECRET"),
            api_key=env.text(f"{prefix}_API_KEY"),
            api_url=(env.text(f"{prefix}_API_URL") or "").rstrip("/") or None,
            company_id=(env.text(f"{prefix}_COMPANY_ID") or "").strip("/") or None,
            write_as=env.text(f"{prefix}_WRITE_AS"),
        )


@dataclass(frozen=True)
class Settings:
    """The help desk's settings; build one per process with `Settings.from_env()`."""

    ats_database_url: str
    timezone: ZoneInfo
    ack_working_days: int
    holiday_country: str
    employer_name: str = "Northwind"
    escalation_response_hours: int = 8
    default_recruiter_email: str | None = None
    default_recruiter_name: str | None = None
    # the second level of the escalation chain when the vacancy's backup recruiter is the one
    # who let it lapse (or there is none); unset: the desk's admins (monitor/chain.py)
    team_lead_email: str | None = None
    team_lead_name: str | None = None
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    mail_from: str = "helpdesk@localhost"
    outbox_dir: Path = PROJECT_ROOT / "var" / "outbox"
    # applicants' email replies: reply+<token>@inbound_domain, taken by the help desk's own
    # SMTP server on inbound_smtp_port (None: not run; replies then go to mail_from)
    inbound_domain: str | None = None
    inbound_smtp_port: int | None = None
    inbound_smtp_host: str = "127.0.0.1"
    secret_key: str | None = None
    code_minutes: int = 10
    code_mails_per_hour: int = 5  # per address and client asking
    code_mails_per_address_per_hour: int = 20
    code_mails_total_per_hour: int = 1000
    code_requests_per_client_per_hour: int = 20
    code_answer_ms: int = 200
    max_failed_attempts: int = 5  # per conversation, then it is locked for lock_minutes
    wrong_codes_per_client: int = 20  # per lock_minutes
    wrong_codes_per_application: int = 10  # per lock_minutes; then the mail's link is needed
    wrong_codes_total: int = 500  # per lock_minutes; then the mail's link is needed
    lock_minutes: int = 15
    verification_idle_minutes: int = 30
    unverified_escalations_per_client: int = 3  # open at once
    action_server_token: str | None = None
    messages_per_minute: int = 30  # per client, over the channels; 0: no limit
    retention_weeks: int = 4
    consent_retention_months: int = 12
    unverified_retention_days: int = 30  # conversations that never proved an application
    purge_minutes: int = 60  # how often the deadline monitor runs the retention purge; 0: never
    link_hours: int = 72
    # a message the language model is less sure of goes to the desk's review inbox
    review_confidence: float = 0.6
    sweep_minutes: int = 15
    send_receipts: bool = False
    public_url: str | None = None
    rasa_port: int = 5005
    webhook_max_age_seconds: int = 300
    ats_mapping_path: Path | None = None
    sync_state_dir: Path = PROJECT_ROOT / "var" / "sync"
    # the libraries' warnings and notices in the servers' output (server/quiet.py)
    verbose: bool = False
    telegram: TelegramSettings = field(default_factory=TelegramSettings)
    whatsapp: WhatsAppSettings = field(default_factory=WhatsAppSettings)
    webchat: WebChatSettings = field(default_factory=WebChatSettings)
    servers: ServerSettings = field(default_factory=ServerSettings)
    ats: Mapping[str, AtsAccess] = field(default_factory=dict)

    @property
    def public_base_url(self) -> str:
        """Where applicants and recruiters reach the help desk (links in mails)."""
        return self.public_url or f"http://localhost:{self.rasa_port}"

    def access(self, ats: str) -> AtsAccess:
        """The secrets and API of one ATS (none set: an empty AtsAccess)."""
        return self.ats.get(ats) or AtsAccess()

    @classmethod
    def from_env(cls, values: Mapping[str, str] | None = None) -> Settings:
        env = Environment(os.environ if values is None else values)
        return cls(
            ats_database_url=env.text("ATS_DATABASE_URL") or DEFAULT_ATS_DATABASE_URL,
            timezone=env.zone("HELPDESK_TIMEZONE", "Europe/Amsterdam"),
            ack_working_days=env.number("HELPDESK_ACK_WORKING_DAYS", 5, minimum=1),
            holiday_country=(env.text("HELPDESK_HOLIDAY_COUNTRY") or "NL").upper(),
            employer_name=env.text("HELPDESK_EMPLOYER_NAME") or "Northwind",
            escalation_response_hours=env.number(
                "HELPDESK_ESCALATION_RESPONSE_HOURS", 8, minimum=1
            ),
            default_recruiter_email=env.text("HELPDESK_DEFAULT_RECRUITER_EMAIL"),
            default_recruiter_name=env.text("HELPDESK_DEFAULT_RECRUITER_NAME"),
            team_lead_email=env.text("HELPDESK_TEAM_LEAD_EMAIL"),
            team_lead_name=env.text("HELPDESK_TEAM_LEAD_NAME"),
            smtp_host=env.text("SMTP_HOST"),
            smtp_port=env.number("SMTP_PORT", 25, minimum=1),
            smtp_user=env.text("SMTP_USER"),
            smtp_password=env.secret("SMTP_PASSWORD"),
            smtp_starttls=env.flag("SMTP_STARTTLS", False),
            mail_from=env.text("HELPDESK_MAIL_FROM") or "helpdesk@localhost",
            outbox_dir=env.folder("HELPDESK_OUTBOX_DIR", PROJECT_ROOT / "var" / "outbox"),
            inbound_domain=(env.text("HELPDESK_INBOUND_DOMAIN") or "").lower() or None,
            inbound_smtp_port=env.number("HELPDESK_INBOUND_SMTP_PORT", 0, maximum=65535) or None,
            inbound_smtp_host=env.text("HELPDESK_INBOUND_SMTP_HOST") or "127.0.0.1",
            secret_key=env.secret("HELPDESK_SECRET_KEY"),
            code_minutes=env.number("HELPDESK_CODE_MINUTES", 10, minimum=1),
            code_mails_per_hour=env.number("HELPDESK_CODE_MAILS_PER_HOUR", 5, minimum=1),
            code_mails_per_address_per_hour=env.number(
                "HELPDESK_CODE_MAILS_PER_ADDRESS_PER_HOUR", 20, minimum=1
            ),
            code_mails_total_per_hour=env.number(
                "HELPDESK_CODE_MAILS_TOTAL_PER_HOUR", 1000, minimum=1
            ),
            code_requests_per_client_per_hour=env.number(
                "HELPDESK_CODE_REQUESTS_PER_CLIENT_PER_HOUR", 20, minimum=1
            ),
            code_answer_ms=env.number("HELPDESK_CODE_ANSWER_MS", 200, minimum=0),
            max_failed_attempts=env.number("HELPDESK_MAX_FAILED_ATTEMPTS", 5, minimum=1),
            wrong_codes_per_client=env.number("HELPDESK_WRONG_CODES_PER_CLIENT", 20, minimum=1),
            wrong_codes_per_application=env.number(
                "HELPDESK_WRONG_CODES_PER_APPLICATION", 10, minimum=1
            ),
            wrong_codes_total=env.number("HELPDESK_WRONG_CODES_TOTAL", 500, minimum=1),
            lock_minutes=env.number("HELPDESK_LOCK_MINUTES", 15, minimum=1),
            verification_idle_minutes=env.number(
                "HELPDESK_VERIFICATION_IDLE_MINUTES", 30, minimum=1
            ),
            unverified_escalations_per_client=env.number(
                "HELPDESK_UNVERIFIED_ESCALATIONS_PER_CLIENT", 3, minimum=1
            ),
            action_server_token=env.text("HELPDESK_ACTION_SERVER_TOKEN"),
            messages_per_minute=env.number("HELPDESK_MESSAGES_PER_MINUTE", 30, minimum=0),
            retention_weeks=env.number("HELPDESK_RETENTION_WEEKS", 4, minimum=1),
            consent_retention_months=env.number("HELPDESK_CONSENT_RETENTION_MONTHS", 12, minimum=1),
            unverified_retention_days=env.number(
                "HELPDESK_UNVERIFIED_RETENTION_DAYS", 30, minimum=1
            ),
            purge_minutes=env.number("HELPDESK_PURGE_MINUTES", 60, minimum=0),
            link_hours=env.number("HELPDESK_LINK_HOURS", 72, minimum=1),
            review_confidence=env.share("HELPDESK_REVIEW_CONFIDENCE", 0.6),
            sweep_minutes=env.number("HELPDESK_SWEEP_MINUTES", 15, minimum=0),
            send_receipts=env.flag("HELPDESK_SEND_RECEIPTS", False),
            public_url=(env.text("HELPDESK_PUBLIC_URL") or "").rstrip("/") or None,
            rasa_port=env.number("HELPDESK_RASA_PORT", 5005, minimum=1, maximum=65535),
            webhook_max_age_seconds=env.number(
                "HELPDESK_WEBHOOK_MAX_AGE_SECONDS",
                300,
                minimum=1,
                maximum=LONGEST_WEBHOOK_MAX_AGE_SECONDS,
            ),
            ats_mapping_path=Path(raw) if (raw := env.text("HELPDESK_ATS_MAPPING")) else None,
            sync_state_dir=env.folder("HELPDESK_SYNC_STATE_DIR", PROJECT_ROOT / "var" / "sync"),
            # Rasa's own LOG_LEVEL=DEBUG: whoever wants Rasa's detail wants the libraries' too
            verbose=env.flag("HELPDESK_VERBOSE", False)
            or (env.text("LOG_LEVEL") or "").upper() == "DEBUG",
            telegram=TelegramSettings.read(env),
            whatsapp=WhatsAppSettings.read(env),
            webchat=WebChatSettings.read(env),
            servers=ServerSettings.read(env),
            ats={name: AtsAccess.read(env, name) for name in ATS_NAMES},
        )
