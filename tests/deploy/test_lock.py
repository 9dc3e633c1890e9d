"""The lock files (`make lock`) pin every dependency with hashes, agree with each other and with
pyproject.toml, and are what this environment runs: `make install` installs
requirements-test.lock, the Dockerfile requirements.lock, so the image and a test run hold the
same versions."""

from __future__ import annotations

import re
from importlib import metadata
from pathlib import Path

import tomli
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.deploy.conftest import PROJECT

RUNTIME = PROJECT / "requirements.lock"
TEST = PROJECT / "requirements-test.lock"
PIN = re.compile(
    r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)((?:\s*\\\n\s+--hash=sha256:[0-9a-f]{64})*)", re.M
)


def pins(lock: Path) -> dict[str, tuple[str, frozenset[str]]]:
    """Each pinned distribution's version and hashes."""
    found = {}
    for name, version, hashes in PIN.findall(lock.read_text()):
        found[canonicalize_name(name)] = (version, frozenset(re.findall(r"[0-9a-f]{64}", hashes)))
    return found


def requirements(extra: str | None = None) -> list[Requirement]:
    project = tomli.loads((PROJECT / "pyproject.toml").read_text())["project"]
    listed = project["optional-dependencies"][extra] if extra else project["dependencies"]
    return [Requirement(text) for text in listed]


def test_every_line_that_names_a_distribution_pins_it_with_hashes() -> None:
    for lock in (RUNTIME, TEST):
        named = re.findall(r"^([A-Za-z0-9][^\s#\\]*)", lock.read_text(), re.M)
        assert len(named) == len(pins(lock)), lock
        assert all(hashes for _version, hashes in pins(lock).values()), lock
        # portable: no index or local folder of the machine that made it
        assert "--index-url" not in lock.read_text() and "--find-links" not in lock.read_text()


def test_the_image_lock_is_the_test_lock_without_the_test_tools() -> None:
    runtime, test = pins(RUNTIME), pins(TEST)
    assert {name: test[name] for name in runtime} == runtime
    assert {"rasa", "tensorflow", "sqlalchemy", "setuptools"} <= set(runtime)
    assert {"pytest", "mypy", "pip-tools", "playwright"} & set(runtime) == set()


def test_the_locks_satisfy_pyproject() -> None:
    for lock, wanted in ((RUNTIME, requirements()), (TEST, requirements() + requirements("test"))):
        locked = pins(lock)
        for requirement in wanted:
            name = canonicalize_name(requirement.name)
            assert name in locked, (lock.name, requirement)
            assert requirement.specifier.contains(locked[name][0], prereleases=True), (
                f"{lock.name} pins {name}=={locked[name][0]}, pyproject.toml wants "
                f"{requirement}: run make lock"
            )


def test_this_environment_holds_exactly_the_test_lock() -> None:
    installed = {
        canonicalize_name(dist.metadata["Name"]): dist.version for dist in metadata.distributions()
    }
    installed.pop("candidate-helpdesk")  # the project itself, installed from the checkout
    locked = {name: version for name, (version, _hashes) in pins(TEST).items()}
    differ = {
        name: (installed.get(name), locked.get(name))
        for name in installed.keys() | locked.keys()
        if installed.get(name) != locked.get(name)
    }
    # make install installs the lock and removes the rest (pip-sync)
    assert differ == {}, "installed vs. locked"
