"""Configuration read from environment variables, with defaults that need no services.

Every variable is documented in the README's configuration table; keep the two in step.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_ATS_DATABASE_URL = f"sqlite+aiosqlite:///{PROJECT_ROOT / 'var' / 'ats.db'}"


class ConfigurationError(ValueError):
    """An environment variable holds a value the help desk cannot use."""


def _int(name: str, default: int, minimum: int = 0) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigurationError(f"{name} must be a whole number, not {raw!r}") from None
    if value < minimum:
        raise ConfigurationError(f"{name} must be at least {minimum}, not {value}")
    return value


def _text(name: str) -> str | None:
    return os.environ.get(name, "").strip() or None


def _bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off"}:
        return False
    raise ConfigurationError(f"{name} must be true or false, not {raw!r}")


def _zone(name: str, default: str) -> ZoneInfo:
    raw = os.environ.get(name, "").strip() or default
    try:
        return ZoneInfo(raw)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigurationError(
            f"{name}={raw!r} is not a time zone name (for example Europe/Amsterdam)"
        ) from None


@dataclass(frozen=True)
class Settings:
    """The help desk's settings; build one with `Settings.from_env()`."""

    ats_database_url: str
    timezone: ZoneInfo
    ack_working_days: int
    holiday_country: str
    employer_name: str = "Northwind"
    escalation_response_hours: int = 8
    default_recruiter_email: str | None = None
    default_recruiter_name: str | None = None
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    mail_from: str = "helpdesk@localhost"
    outbox_dir: Path = PROJECT_ROOT / "var" / "outbox"
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
    retention_weeks: int = 4
    consent_retention_months: int = 12
    link_hours: int = 72
    sweep_minutes: int = 15
    send_receipts: bool = False
    public_url: str | None = None
    rasa_port: int = 5005

    @property
    def public_base_url(self) -> str:
        """Where applicants and recruiters reach the help desk (links in mails)."""
        return self.public_url or f"http://localhost:{self.rasa_port}"

    @classmethod
    def from_env(cls) -> Settings:
        return cls(
            ats_database_url=os.environ.get("ATS_DATABASE_URL", "").strip()
            or DEFAULT_ATS_DATABASE_URL,
            timezone=_zone("HELPDESK_TIMEZONE", "Europe/Amsterdam"),
            ack_working_days=_int("HELPDESK_ACK_WORKING_DAYS", 5, minimum=1),
            holiday_country=os.environ.get("HELPDESK_HOLIDAY_COUNTRY", "").strip().upper() or "NL",
            employer_name=_text("HELPDESK_EMPLOYER_NAME") or "Northwind",
            escalation_response_hours=_int("HELPDESK_ESCALATION_RESPONSE_HOURS", 8, minimum=1),
            default_recruiter_email=_text("HELPDESK_DEFAULT_RECRUITER_EMAIL"),
            default_recruiter_name=_text("HELPDESK_DEFAULT_RECRUITER_NAME"),
            smtp_host=_text("SMTP_HOST"),
            smtp_port=_int("SMTP_PORT", 25, minimum=1),
            smtp_user=_text("SMTP_USER"),
            smtp_password=os.environ.get("SMTP_PASSWORD") or None,
            smtp_starttls=_bool("SMTP_STARTTLS", False),
            mail_from=_text("HELPDESK_MAIL_FROM") or "helpdesk@localhost",
            outbox_dir=Path(_text("HELPDESK_OUTBOX_DIR") or PROJECT_ROOT / "var" / "outbox"),
            secret_key=os.environ.get("HELPDESK_SECRET_KEY") or None,
            code_minutes=_int("HELPDESK_CODE_MINUTES", 10, minimum=1),
            code_mails_per_hour=_int("HELPDESK_CODE_MAILS_PER_HOUR", 5, minimum=1),
            code_mails_per_address_per_hour=_int(
                "HELPDESK_CODE_MAILS_PER_ADDRESS_PER_HOUR", 20, minimum=1
            ),
            code_mails_total_per_hour=_int("HELPDESK_CODE_MAILS_TOTAL_PER_HOUR", 1000, minimum=1),
            code_requests_per_client_per_hour=_int(
                "HELPDESK_CODE_REQUESTS_PER_CLIENT_PER_HOUR", 20, minimum=1
            ),
            code_answer_ms=_int("HELPDESK_CODE_ANSWER_MS", 200, minimum=0),
            max_failed_attempts=_int("HELPDESK_MAX_FAILED_ATTEMPTS", 5, minimum=1),
            wrong_codes_per_client=_int("HELPDESK_WRONG_CODES_PER_CLIENT", 20, minimum=1),
            wrong_codes_per_application=_int("HELPDESK_WRONG_CODES_PER_APPLICATION", 10, minimum=1),
            wrong_codes_total=_int("HELPDESK_WRONG_CODES_TOTAL", 500, minimum=1),
            lock_minutes=_int("HELPDESK_LOCK_MINUTES", 15, minimum=1),
            verification_idle_minutes=_int("HELPDESK_VERIFICATION_IDLE_MINUTES", 30, minimum=1),
            unverified_escalations_per_client=_int(
                "HELPDESK_UNVERIFIED_ESCALATIONS_PER_CLIENT", 3, minimum=1
            ),
            action_server_token=os.environ.get("HELPDESK_ACTION_SERVER_TOKEN", "").strip() or None,
            retention_weeks=_int("HELPDESK_RETENTION_WEEKS", 4, minimum=1),
            consent_retention_months=_int("HELPDESK_CONSENT_RETENTION_MONTHS", 12, minimum=1),
            link_hours=_int("HELPDESK_LINK_HOURS", 72, minimum=1),
            sweep_minutes=_int("HELPDESK_SWEEP_MINUTES", 15, minimum=0),
            send_receipts=_bool("HELPDESK_SEND_RECEIPTS", False),
            public_url=(_text("HELPDESK_PUBLIC_URL") or "").rstrip("/") or None,
            rasa_port=_int("HELPDESK_RASA_PORT", 5005, minimum=1),
        )
