"""Reading the help desk's settings from environment variables: each value checked as it is
read, and a clear error that names the variable (ats/settings.py reads them all, once)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

T = TypeVar("T")


class ConfigurationError(ValueError):
    """An environment variable holds a value the help desk cannot use."""


class Environment:
    """The variables, read with the checks every setting gets: a clear error names the variable."""

    def __init__(self, values: Mapping[str, str]) -> None:
        self.values = values

    def text(self, name: str) -> str | None:
        return self.values.get(name, "").strip() or None

    def secret(self, name: str) -> str | None:
        """A value taken as it is: passwords may begin or end with spaces."""
        return self.values.get(name) or None

    def _parsed(self, name: str, parse: Callable[[str], T], what: str) -> tuple[str, T] | None:
        """The variable as written and as `parse` reads it; None when unset or blank."""
        raw = self.values.get(name, "").strip()
        if not raw:
            return None
        try:
            return raw, parse(raw)
        except ValueError:
            raise ConfigurationError(f"{name} must be {what}, not {raw!r}") from None

    def number(self, name: str, default: int, minimum: int = 0, maximum: int | None = None) -> int:
        parsed = self._parsed(name, int, "a whole number")
        if parsed is None:
            return default
        _raw, value = parsed
        if value < minimum:
            raise ConfigurationError(f"{name} must be at least {minimum}, not {value}")
        if maximum is not None and value > maximum:
            raise ConfigurationError(f"{name} must be at most {maximum}, not {value}")
        return value

    def seconds(self, name: str, default: float, minimum: float = 0.1) -> float:
        parsed = self._parsed(name, float, "a number of seconds")
        if parsed is None:
            return default
        raw, value = parsed
        if not value >= minimum:  # NaN too
            raise ConfigurationError(f"{name} must be at least {minimum}, not {raw}")
        return value

    def share(self, name: str, default: float) -> float:
        """A fraction from 0 to 1, such as a confidence."""
        parsed = self._parsed(name, float, "a number from 0 to 1")
        if parsed is None:
            return default
        raw, value = parsed
        if not 0 <= value <= 1:  # NaN too
            raise ConfigurationError(f"{name} must be a number from 0 to 1, not {raw}")
        return value

    def flag(self, name: str, default: bool) -> bool:
        raw = self.values.get(name, "").strip().lower()
        if not raw:
            return default
        if raw in {"1", "true", "yes", "on"}:
            return True
        if raw in {"0", "false", "no", "off"}:
            return False
        raise ConfigurationError(f"{name} must be true or false, not {raw!r}")

    def zone(self, name: str, default: str) -> ZoneInfo:
        raw = self.values.get(name, "").strip() or default
        try:
            return ZoneInfo(raw)
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigurationError(
                f"{name}={raw!r} is not a time zone name (for example Europe/Amsterdam)"
            ) from None

    def folder(self, name: str, default: Path) -> Path:
        return Path(self.text(name) or default)

    def listed(self, name: str) -> tuple[str, ...]:
        """A comma-separated list, empty items left out."""
        return tuple(item.strip() for item in (self.text(name) or "").split(",") if item.strip())
