"""The Rasa project files agree with each other and with the action server's code."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml
from rasa_sdk.executor import ActionExecutor

PROJECT = Path(__file__).parents[1]
RASA = str(Path(sys.executable).with_name("rasa"))


def domain() -> dict:
    return yaml.safe_load((PROJECT / "domain.yml").read_text())


def test_every_domain_action_is_served_by_the_action_server_and_nothing_else():
    executor = ActionExecutor()
    executor.register_package("actions")
    assert set(executor.actions) == set(domain()["actions"])


def test_every_intent_has_a_rule_and_the_fixed_intent_names_exist():
    fixed = {
        "check_status", "ask_timeline", "ask_process", "request_human", "withdraw_application",
        "privacy_request", "bot_challenge", "greet", "goodbye", "thank", "affirm", "deny",
        "out_of_scope",
    }  # fmt: skip
    intents = set(domain()["intents"])
    assert fixed <= intents
    rules = yaml.safe_load((PROJECT / "data" / "rules.yml").read_text())["rules"]
    covered = {rule["steps"][0]["intent"] for rule in rules}
    assert intents | {"nlu_fallback"} == covered


def test_rasa_data_validate_is_clean():
    result = subprocess.run(
        [RASA, "data", "validate", "--fail-on-warnings"],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


def test_every_environment_variable_the_code_reads_is_in_the_readme_table():
    import re

    reads = re.compile(
        r"""(?:environ\.get|environ\[|\.(?:text|secret|number|seconds|flag|zone|folder|listed))"""
        r"""\(?\s*"([A-Z][A-Z0-9_]+)\""""
    )
    names = set()
    for folder in (
        "ats",
        "speech",
        "dialogue",
        "actions",
        "channels",
        "server",
        "desk",
        "monitor",
        "ops",
        "bench",
        "tests",
    ):
        for path in (PROJECT / folder).rglob("*.py"):
            names |= set(reads.findall(path.read_text()))
    assert {"ATS_DATABASE_URL", "TELEGRAM_BOT_TOKEN", "HELPDESK_RASA_API_TOKEN"} <= names
    table = {
        name
        for line in (PROJECT / "README.md").read_text().splitlines()
        if line.startswith("| `")
        for name in re.findall(r"`([A-Z][A-Z0-9_]+)`", line.split("|")[1])
    }
    set_by_pytest = {name for name in names if name.startswith("PYTEST_")}  # not configuration
    assert names - set_by_pytest - table == set()


def test_the_vendored_socketio_client_is_the_version_the_lock_file_pins():
    import json
    import re

    lock = json.loads((PROJECT / "web" / "package-lock.json").read_text())
    pinned = lock["packages"]["node_modules/socket.io-client"]["version"]
    vendored = (PROJECT / "web" / "chat" / "socket.io.min.js").read_text()[:200]
    assert re.search(r"Socket\.IO v(\S+)", vendored).group(1) == pinned
