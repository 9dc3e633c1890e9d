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

    @classmethod
    def from_env(cls) -> Settings:
        return cls(
            ats_database_url=os.environ.get("ATS_DATABASE_URL", "").strip()
            or DEFAULT_ATS_DATABASE_URL,
            timezone=_zone("HELPDESK_TIMEZONE", "Europe/Amsterdam"),
            ack_working_days=_int("HELPDESK_ACK_WORKING_DAYS", 5, minimum=1),
            holiday_country=os.environ.get("HELPDESK_HOLIDAY_COUNTRY", "").strip().upper() or "NL",
        )
