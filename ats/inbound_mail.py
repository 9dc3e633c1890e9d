"""Applicants' email replies, taken back into the escalation's thread by an SMTP server of our own.

A recruiter's reply by email carries `Reply-To: reply+<token>@<HELPDESK_INBOUND_DOMAIN>`. The
token names the escalation and proves the address was ours: `<id>-<mac>`, the mac a keyed hash
of the id under a key derived from the help desk's secret key, so nobody can write into an
escalation by guessing or counting ids. The help desk runs an SMTP server (aiosmtpd) on
HELPDESK_INBOUND_SMTP_PORT (off by default) that the domain's MX, or a relay in front of it,
delivers to. It accepts only mail for such an address of an escalation that still exists;
everything else is refused with 550, mail larger than MAX_MESSAGE_BYTES with 552. Of what it
accepts it keeps only the text (the plain part, else the HTML part as text), without the quoted
history below the reply, as a message of kind "applicant" by "email" in the thread.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import re
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from html.parser import HTMLParser
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session

from ats.keys import derived_key, secret_key
from ats.models import Escalation
from ats.settings import Settings
from ats.store import ATSStore
from ats.threads import add_message, reopen_escalation

logger = logging.getLogger(__name__)

MAX_MESSAGE_BYTES = 2 * 1024 * 1024  # a reply with a CV attached fits; the CV is not kept
MAX_REPLY_CHARS = 4000
MAX_RECIPIENTS = 5
MAC_CHARS = 24  # 96 bits


def _mac(key: bytes, escalation_id: int) -> str:
    purpose_key = derived_key(key, "inbound-reply-address").encode()
    digest = hmac.new(purpose_key, f"escalation:{escalation_id}".encode(), hashlib.sha256)
    return digest.hexdigest()[:MAC_CHARS]


def reply_token(key: bytes, escalation_id: int) -> str:
    return f"{escalation_id}-{_mac(key, escalation_id)}"


def escalation_of_token(key: bytes, token: str) -> int | None:
    """The escalation a token was made for, or None for a token we did not make."""
    number, _, mac = token.lower().partition("-")
    if not number.isdigit() or len(number) > 10 or len(mac) != MAC_CHARS:
        return None
    escalation_id = int(number)
    return escalation_id if hmac.compare_digest(mac, _mac(key, escalation_id)) else None


def reply_address(settings: Settings, escalation_id: int) -> str | None:
    """Where the applicant's answer to a recruiter's mail goes; None without an inbound domain."""
    if not settings.inbound_domain:
        return None
    token = reply_token(secret_key(settings), escalation_id)
    return f"reply+{token}@{settings.inbound_domain}"


# -- the text of a reply ------------------------------------------------------------------------

# Where a mail program starts the quoted history (English and Dutch clients; Gmail, Outlook,
# Apple Mail, Thunderbird); the "On … wrote:" line may be wrapped over two lines.
_HISTORY = re.compile(
    r"^\s*(?:"
    r"on\b.{0,200}\bwrote:"
    r"|op\b.{0,200}\b(?:schreef|geschreven)\b.{0,100}:"
    r"|-{2,}\s*(?:original message|oorspronkelijk bericht|forwarded message|doorgestuurd bericht).*"
    r"|_{10,}"
    r"|(?:from|van):\s.+"
    r")\s*$",
    re.IGNORECASE,
)


def strip_history(text: str) -> str:
    """The reply without the quoted history below it and without the mail's signature."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    kept: list[str] = []
    for index, line in enumerate(lines):
        joined = f"{line} {lines[index + 1]}" if index + 1 < len(lines) else line
        if _HISTORY.match(line) or (_HISTORY.match(joined) and line.strip()):
            break
        if line.rstrip() == "--":  # the signature delimiter "-- "
            break
        if line.lstrip().startswith(">"):
            continue
        kept.append(line.rstrip())
    reply = re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip()
    return reply[:MAX_REPLY_CHARS]


class _HtmlText(HTMLParser):
    """Text of an HTML mail: paragraphs and breaks as new lines; quotes, styles and scripts
    left out (mail programs quote the history in a blockquote)."""

    SKIP = {"blockquote", "style", "script", "head"}
    BREAKS = {"br", "p", "div", "li", "tr", "h1", "h2", "h3"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in self.SKIP:
            self.skipping += 1
        elif tag in self.BREAKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP:
            self.skipping = max(0, self.skipping - 1)
        elif tag in self.BREAKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def html_text(html: str) -> str:
    parser = _HtmlText()
    try:
        parser.feed(html)
        parser.close()
    except Exception:  # malformed HTML: what was read so far
        pass
    return re.sub(r"[ \t]+", " ", "".join(parser.parts))


def reply_text(raw: bytes) -> str:
    """The applicant's own words in a mail: "" when there are none to find (no text part, an
    unreadable charset, a broken structure). Never raises, whatever the MIME."""
    try:
        message = BytesParser(policy=policy.default).parsebytes(raw)
        assert isinstance(message, EmailMessage)
        body = message.get_body(preferencelist=("plain", "html"))
        if body is None:
            return ""
        try:
            content = body.get_content()
        except Exception:  # an unknown charset or a broken transfer encoding
            payload = body.get_payload(decode=True)
            content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
        if not isinstance(content, str):
            return ""
        if body.get_content_type() == "text/html":
            content = html_text(content)
        return strip_history(content)
    except Exception:
        logger.info("inbound mail: no readable text", exc_info=True)
        return ""


# -- the SMTP server ----------------------------------------------------------------------------


class ReplyHandler:
    """aiosmtpd's handler: accepts reply+<token>@<domain> of a live escalation, files the text."""

    def __init__(self, store: ATSStore, settings: Settings) -> None:
        self.store = store
        self.settings = settings
        self.domain = (settings.inbound_domain or "").lower()
        self.key = secret_key(settings)

    async def escalation_for(self, address: str) -> int | None:
        local, _, domain = address.strip().strip("<>").rpartition("@")
        prefix, plus, token = local.partition("+")
        if not self.domain or domain.lower() != self.domain:
            return None
        if not plus or prefix.lower() != "reply":
            return None
        escalation_id = escalation_of_token(self.key, token)
        if escalation_id is None:
            return None
        async with self.store.session() as session:
            escalation = await session.get(Escalation, escalation_id)
            # erased: the applicant's details are gone, and nothing new is added to it
            if escalation is None or escalation.erased_at is not None:
                return None
        return escalation_id

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        if len(envelope.rcpt_tos) >= MAX_RECIPIENTS:
            return "452 4.5.3 Too many recipients"
        if await self.escalation_for(address) is None:
            return "550 5.1.1 No such recipient here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or envelope.content or b""
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "replace")
        text = await asyncio.to_thread(reply_text, raw)
        if not text:
            return "550 5.6.0 No reply text found in the message"
        for address in envelope.rcpt_tos:
            escalation_id = await self.escalation_for(address)
            if escalation_id is None:  # erased between RCPT and DATA
                return "550 5.1.1 No such recipient here"
            await add_message(self.store, escalation_id, "applicant", text, channel="email")
            logger.info("inbound mail: an applicant's reply added to escalation %s", escalation_id)
            if await reopen_escalation(self.store, self.settings, escalation_id):
                logger.info("inbound mail: escalation %s reopened by the answer", escalation_id)
        return "250 OK: your reply reached the recruiter"


async def start_inbound_mail(
    store: ATSStore, settings: Settings, *, port: int | None = None, host: str | None = None
) -> asyncio.AbstractServer:
    """Start the inbound SMTP server in this event loop; close() the server to stop it."""
    handler = ReplyHandler(store, settings)
    hostname = settings.inbound_domain or "localhost"
    loop = asyncio.get_running_loop()
    return await loop.create_server(
        lambda: SMTP(
            handler,
            hostname=hostname,
            data_size_limit=MAX_MESSAGE_BYTES,
            decode_data=False,
            ident="helpdesk inbound mail",
        ),
        host=host or settings.inbound_smtp_host,
        port=port if port is not None else settings.inbound_smtp_port,
    )
