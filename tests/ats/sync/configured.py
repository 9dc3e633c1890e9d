"""Settings as a process would read them from the environment the test has set (monkeypatch):
the ATS sync's part of `Settings.from_env()`, on top of a test's own settings."""

from __future__ import annotations

import dataclasses

from ats.settings import AtsAccess, Settings


def configured(settings: Settings) -> Settings:
    """`settings` with each ATS's secrets and API, the freshness window, the mapping file and
    the sync's state folder read from the environment now, as `Settings.from_env()` reads them."""
    read = Settings.from_env()
    return dataclasses.replace(
        settings,
        ats=read.ats,
        webhook_max_age_seconds=read.webhook_max_age_seconds,
        ats_mapping_path=read.ats_mapping_path,
        sync_state_dir=read.sync_state_dir,
    )


def with_api(settings: Settings, ats: str, api_key: str | None, api_url: str | None) -> Settings:
    """`settings` with one ATS's API key and address (as <ATS>_API_KEY, <ATS>_API_URL give)."""
    access = dataclasses.replace(
        settings.access(ats), api_key=api_key, api_url=(api_url or "").rstrip("/") or None
    )
    return dataclasses.replace(settings, ats={**settings.ats, ats: access})


__all__ = ["AtsAccess", "configured", "with_api"]
