"""Rasa's own test stories (tests/test_stories.yml) against the trained model."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from ops.model import ensure_model

PROJECT = Path(__file__).parents[1]
RASA = str(Path(sys.executable).with_name("rasa"))


@pytest.mark.server
def test_the_test_stories_pass(tmp_path):
    model = ensure_model()
    result = subprocess.run(
        [
            RASA,
            "test",
            "core",
            "--stories",
            "tests/test_stories.yml",
            "--model",
            str(model),
            "--out",
            str(tmp_path),
            "--fail-on-prediction-errors",
        ],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    failed = tmp_path / "failed_test_stories.yml"
    detail = failed.read_text() if failed.exists() else result.stdout[-3000:]
    assert result.returncode == 0, detail
    report = json.loads((tmp_path / "story_report.json").read_text())
    assert report["conversation_accuracy"]["accuracy"] == 1.0
