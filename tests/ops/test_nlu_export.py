"""`helpdesk nlu export` as an operator runs it: the reviewed messages as Rasa NLU YAML that
`rasa data validate` accepts beside the project's own data, each exported once."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import yaml

from ats.db import create_engine
from ats.review import CONFIRMED, CORRECTED, DISCARDED, Noticed, keep_for_review, set_verdict
from ats.store import ATSStore
from tests.ops.test_cli import HELPDESK, ats_url, migrate_now, sqlite_url  # noqa: F401

PROJECT = Path(__file__).parents[2]
RASA = str(Path(sys.executable).with_name("rasa"))
REVIEWED = [
    # text as the applicant typed it, what the model thought, the admin's verdict and intent
    ("can I [still] change my cv? my code is 123456", "greet", CORRECTED, "ask_process"),
    ("hoe lang duurt het nog, bel me op 06-12345678", "ask_timeline", CONFIRMED, "ask_timeline"),
    ("asdf qwerty", "greet", DISCARDED, None),
    ("any news on AP-7K3M-9XQ2? mail jan@example.nl", "greet", None, None),  # not reviewed
]


def reviewed(url: str) -> None:
    async def work() -> None:
        store = ATSStore(create_engine(url))
        start = datetime(2026, 11, 30, 9, tzinfo=timezone.utc)
        try:
            for n, (text, intent, verdict, corrected) in enumerate(REVIEWED):
                message = Noticed(
                    conversation_id=f"chat-{n}",
                    conversation_hash=f"hash-{n}",
                    message_at=start + timedelta(minutes=n),
                    text=text,
                    intent=intent,
                    confidence=0.3,
                    reason="low_confidence",
                )
                await keep_for_review(store, message, start)
                if verdict:
                    await set_verdict(store, n + 1, verdict, corrected, start)
        finally:
            await store.close()

    asyncio.run(work())


def helpdesk(*args: str, url: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "ATS_DATABASE_URL": url}
    return subprocess.run(
        [HELPDESK, *args], capture_output=True, text=True, env=env, timeout=120, check=False
    )


def test_the_reviewed_messages_export_as_nlu_data_rasa_accepts(ats_url, tmp_path):  # noqa: F811
    reviewed(ats_url)
    exported = tmp_path / "data" / "reviewed.yml"
    exported.parent.mkdir()
    result = helpdesk("nlu", "export", "--out", str(exported), url=ats_url)
    assert result.returncode == 0, result.stderr
    assert "2 example(s) written" in result.stderr

    text = exported.read_text()
    assert text.endswith(
        'version: "3.1"\n'
        "nlu:\n"
        "- intent: ask_process\n"
        "  examples: |\n"
        "    - can I (still) change my cv? my code is 000000\n"
        "- intent: ask_timeline\n"
        "  examples: |\n"
        "    - hoe lang duurt het nog, bel me op +31 6 00000000\n"
    )
    assert yaml.safe_load(text)["nlu"][0]["intent"] == "ask_process"

    # valid beside the project's own data, against the domain's intents: warnings fail it
    validated = subprocess.run(
        [
            RASA,
            "data",
            "validate",
            "--fail-on-warnings",
            "--config",
            str(PROJECT / "config.yml"),
            "--domain",
            str(PROJECT / "domain.yml"),
            "--data",
            str(PROJECT / "data" / "nlu"),
            str(PROJECT / "data" / "rules.yml"),
            str(exported),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "RASA_TELEMETRY_ENABLED": "false"},
        timeout=300,
        check=False,
    )
    assert validated.returncode == 0, validated.stdout[-3000:] + validated.stderr[-3000:]

    # exported once: the next export has nothing new, unless asked for all
    again = helpdesk("nlu", "export", url=ats_url)
    assert again.returncode == 0 and again.stdout == ""
    assert "No reviewed messages to export." in again.stderr
    everything = helpdesk("nlu", "export", "--all", url=ats_url)
    assert "- can I (still) change my cv? my code is 000000" in everything.stdout
