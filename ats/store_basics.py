"""What every part of the ATS store shares: the current time (aware, in UTC), email addresses as
they are compared, and the errors of a lookup that finds nothing."""

from __future__ import annotations

from datetime import datetime, timezone

UTC = timezone.utc


class ApplicationNotFound(LookupError):
    """No application has that reference."""


class RecruiterNotFound(LookupError):
    """No recruiter has that email address."""


def utcnow() -> datetime:
    return datetime.now(UTC)


def normalise_email(email: str) -> str:
    return email.strip().lower()
