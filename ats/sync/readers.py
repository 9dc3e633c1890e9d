"""Reading what an ATS sends, defensively: the pieces every ATS module shares.

A signed body can still hold anything (a list where an object belongs, a number for a name), so
these readers never raise: they give an empty object, None, or False.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime
from typing import Any

from ats.models import Status
from ats.rows import ImportRow, parse_consent, parse_time
from ats.settings import Settings
from ats.store_basics import normalise_email


def dict_of(value: Any) -> dict[str, Any]:
    """`value` when it is an object, else an empty one."""
    return value if isinstance(value, dict) else {}


def text_of(value: Any, limit: int | None = None) -> str | None:
    """`value` as trimmed text (a number as its digits), cut to `limit`; None when empty."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)
    return value.strip()[:limit] if isinstance(value, str) and value.strip() else None


def time_of(value: Any, settings: Settings) -> datetime | None:
    """An ISO 8601 time (without an offset: the employer's), or None when it is none."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return parse_time(value, settings.timezone)
    except (ValueError, OverflowError):
        return None


def consent_of(value: Any, settings: Settings) -> tuple[bool | None, datetime | None]:
    """An ATS's consent field as (given, when): a boolean, yes/no/ja/nee/1/0, or the date it
    was given; (None, None) for anything else (the stored consent is then left as it is)."""
    if isinstance(value, bool):
        return value, None
    text = text_of(value, 40)
    if text is None:
        return None, None
    try:
        return parse_consent(text, settings.timezone)
    except (ValueError, OverflowError):
        return None, None


def hex_hmac_matches(message: bytes, given: Any, secret: str) -> bool:
    """True when `given` is the hex HMAC-SHA256 of `message` under `secret`."""
    if not isinstance(given, str) or not isinstance(secret, str) or not secret:
        return False
    given = given.strip().lower()
    if not given or not given.isascii():
        return False  # compare_digest refuses non-ASCII text: no such signature can be right
    expected = hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, given)


def recruiter_or_default(email: Any, name: Any, settings: Settings) -> tuple[str, str] | None:
    """(email, name) of the recruiter the ATS names, else of HELPDESK_DEFAULT_RECRUITER_EMAIL;
    None when there is neither. A name goes with its own address, never with the default's."""
    if not isinstance(email, str) or "@" not in email:
        email, name = settings.default_recruiter_email, settings.default_recruiter_name
    if not isinstance(email, str) or "@" not in email:
        return None
    email = normalise_email(email)[:320]
    name = name.strip() if isinstance(name, str) and name.strip() else email.split("@")[0]
    return email, name[:200]


def import_row(
    *,
    source: str,
    ats_id: str,
    name: str | None,
    email: str,
    vacancy_code: str,
    vacancy_title: str,
    recruiter: tuple[str, str],
    applied_at: datetime,
    status: Status,
    stage: str | None,
    phone: str | None = None,
    line: int = 0,
    consent: tuple[bool | None, datetime | None] = (None, None),
) -> ImportRow:
    """An application the ATS holds, as a row for the importer's upsert by the ATS's own id.

    Cut to the store's column sizes. The candidate's language is in no ATS's payload: "en".
    Several rows of one batch need distinct `line`s: the importer matches rows by line.
    """
    email = normalise_email(email)[:320]
    recruiter_email, recruiter_name = recruiter
    return ImportRow(
        line=line,
        reference=None,
        candidate_name=(name or email)[:200],
        candidate_email=email,
        candidate_language="en",
        candidate_phone=phone,
        vacancy_code=vacancy_code[:100],
        vacancy_title=vacancy_title.strip()[:300] or "Vacancy",
        recruiter_name=recruiter_name,
        recruiter_email=recruiter_email,
        applied_at=applied_at,
        acknowledged_at=None,
        status=status,
        stage=stage,
        next_update_due_at=None,
        ats_system=source,
        ats_id=ats_id[:100],
        consent=consent[0],
        consent_given_at=consent[1],
    )
