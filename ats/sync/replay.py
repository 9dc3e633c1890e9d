"""Refusing replayed ATS web hook deliveries: a freshness window, and names by what is signed.

A signature proves that the ATS sent a body once; it does not prove that the ATS is sending it
now. Whoever captured a delivery (a proxy's log, a mistaken forward, a leaked request log) can
send it again, so a delivery is only taken:

- while it is fresh: its signed time is at most HELPDESK_WEBHOOK_MAX_AGE_SECONDS (default 300)
  old and not more than FUTURE_SKEW ahead of this server's clock;
- once: it is named by a SHA-256 of the bytes its signature covers, never by a header the
  signature does not cover, so the same signed bytes under another delivery id are the same
  delivery.

What a signature covers, and which of its times is the signed time, is each ATS module's to say.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from ats.settings import LONGEST_WEBHOOK_MAX_AGE_SECONDS, Settings

MAX_AGE_VARIABLE = "HELPDESK_WEBHOOK_MAX_AGE_SECONDS"
LONGEST_MAX_AGE_SECONDS = LONGEST_WEBHOOK_MAX_AGE_SECONDS
# Clocks of the ATS and of this server that keep time (NTP) differ by far less than this.
FUTURE_SKEW = timedelta(seconds=60)


def max_age(settings: Settings) -> timedelta:
    """How old a delivery's signed time may be (HELPDESK_WEBHOOK_MAX_AGE_SECONDS, checked to be
    from 1 to LONGEST_MAX_AGE_SECONDS when the settings are read)."""
    return timedelta(seconds=settings.webhook_max_age_seconds)


def refusal(signed_at: datetime, now: datetime, oldest: timedelta) -> str | None:
    """Why a delivery signed at `signed_at` is not taken now, or None when it is fresh."""
    if signed_at > now + FUTURE_SKEW:
        return (
            f"the delivery is signed at {signed_at.isoformat()}, later than this server's "
            f"clock ({now.isoformat()}): refused"
        )
    if now - signed_at > oldest:
        return (
            f"the delivery is signed at {signed_at.isoformat()}, more than "
            f"{int(oldest.total_seconds())} s ago: refused as a possible replay (catch up with "
            "`helpdesk ats sync`)"
        )
    return None


def delivery_key(signed: bytes) -> str:
    """The name of a delivery: a SHA-256 of exactly the bytes its signature covers."""
    return "sha256:" + hashlib.sha256(signed).hexdigest()
