"""The ATS sync's tests: each keeps its sync state (HELPDESK_SYNC_STATE_DIR) in its own folder."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from ats.settings import Settings


@pytest.fixture
def settings(settings: Settings, tmp_path: Path) -> Settings:
    return dataclasses.replace(settings, sync_state_dir=tmp_path / "sync")
