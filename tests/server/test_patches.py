"""The patches to Rasa and rasa_sdk (server/patches.py): every one fits the installed versions
and is applied once; one that no longer fits stops everything with an error that names it and
the installed version; importing the channels patches nothing."""

from __future__ import annotations

import dataclasses
import importlib
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
import rasa
from rasa.core.actions.action import RemoteAction
from rasa.core.agent import Agent
from rasa.core.tracker_store import FailSafeTrackerStore
from rasa.utils.endpoints import EndpointConfig
from rasa_sdk import __version__ as sdk_version
from rasa_sdk.executor import ActionExecutor

from ats.settings import ServerSettings
from server import patches
from server.patches import ACTION_SERVER, RASA_SERVER, Patch, RasaChanged, apply_all
from tests.servers import PROJECT

SETTINGS = ServerSettings()
RUN_ACTION = "rasa.core.actions.action:RemoteAction.run"


class UpgradedRemoteAction:
    """RemoteAction.run as a later Rasa could have it: one more parameter."""

    async def run(
        self, output_channel: Any, nlg: Any, tracker: Any, domain: Any, metadata: Any = None
    ) -> list[Any]:
        return []


class ReshapedRemoteAction:
    """RemoteAction.run made a static method."""

    @staticmethod
    async def run(output_channel: Any, nlg: Any, tracker: Any, domain: Any) -> list[Any]:
        return []


def current(target: str) -> object:
    module, _, path = target.partition(":")
    owner_path, _, name = path.rpartition(".")
    found: object = importlib.import_module(module)
    for part in filter(None, owner_path.split(".")):
        found = getattr(found, part)
    return vars(found)[name]


@pytest.fixture(autouse=True)
def rasa_as_installed() -> Iterator[None]:
    """Each test starts and ends with Rasa's originals (the tests share one process)."""
    patches.undo_all()
    yield
    patches.undo_all()


def test_every_patch_fits_the_installed_rasa_and_rasa_sdk_and_is_applied() -> None:
    originals = {patch.target: current(patch.target) for patch in (*RASA_SERVER, *ACTION_SERVER)}
    apply_all(RASA_SERVER, SETTINGS)
    apply_all(ACTION_SERVER, SETTINGS)
    assert set(patches.applied()) == set(originals)
    for target, original in originals.items():
        assert current(target) is not original, target
    assert RemoteAction._validate_action_result.__module__ == "server.rasa_speedups"
    assert RemoteAction.run.__module__ == "server.resilience"
    assert Agent.handle_message.__module__ == "server.resilience"
    assert FailSafeTrackerStore.on_tracker_store_error.__module__ == "server.resilience"
    assert EndpointConfig.session.__module__ == "server.rasa_speedups"
    assert ActionExecutor.run.__module__ == "server.action_metrics"
    assert current("rasa.core.run:close_resources").__module__ == "server.lifecycle"


def test_applying_twice_changes_nothing_and_undoing_puts_rasas_back() -> None:
    original = RemoteAction.run
    apply_all(RASA_SERVER, SETTINGS)
    replaced = RemoteAction.run
    apply_all(RASA_SERVER, dataclasses.replace(SETTINGS, action_timeout_seconds=1))
    assert RemoteAction.run is replaced  # not wrapped twice
    patches.undo_all()
    assert RemoteAction.run is original


def test_a_changed_signature_stops_everything_with_a_clear_error() -> None:
    table = [
        dataclasses.replace(patch, target=f"{__name__}:UpgradedRemoteAction.run")
        if patch.target == RUN_ACTION
        else patch
        for patch in RASA_SERVER
    ]
    validate = RemoteAction._validate_action_result
    with pytest.raises(RasaChanged) as error:
        apply_all(table, SETTINGS)
    message = str(error.value)
    assert f"{__name__}:UpgradedRemoteAction.run" in message
    assert f"rasa {rasa.__version__} is installed" in message
    assert "(self, output_channel, nlg, tracker, domain, metadata=None)" in message
    assert "expects (self, output_channel, nlg, tracker, domain)" in message
    # checked before anything was changed: no half-patched Rasa
    assert patches.applied() == []
    assert RemoteAction._validate_action_result is validate


@pytest.mark.parametrize(
    ("target", "complaint"),
    [
        ("rasa.core.actions.action:RemoteAction.run_with_retries", "no longer exists"),
        ("rasa.core.actions.action_with_retries:RemoteAction.run", "no longer exists"),
        (f"{__name__}:ReshapedRemoteAction.run", "is no longer a plain function but a staticm"),
    ],
)
def test_a_missing_or_reshaped_target_is_named(target: str, complaint: str) -> None:
    moved = Patch(target, "(self, output_channel, nlg, tracker, domain)", "x:y", "why")
    with pytest.raises(RasaChanged) as error:
        apply_all([moved, *RASA_SERVER], SETTINGS)
    assert f"{target} (rasa {rasa.__version__} is installed) {complaint}" in str(error.value)
    assert patches.applied() == []


def test_the_action_server_names_rasa_sdk_and_its_version() -> None:
    [patch] = ACTION_SERVER
    changed = dataclasses.replace(patch, expects="(self, action_call, domain)")
    with pytest.raises(RasaChanged) as error:
        apply_all([changed], SETTINGS)
    assert f"rasa_sdk {sdk_version} is installed" in str(error.value)


def test_importing_the_channels_patches_nothing() -> None:
    # a fresh process, which imports every channel credentials.yml lists, as Rasa does
    script = """
import importlib
import yaml
import rasa.core.run
from rasa.core.actions.action import RemoteAction
from rasa.core.agent import Agent
from rasa.core.tracker_store import FailSafeTrackerStore
from rasa.utils.endpoints import EndpointConfig
from rasa_sdk.executor import ActionExecutor
targets = (
    (RemoteAction, "run"), (RemoteAction, "_validate_action_result"), (Agent, "handle_message"),
    (FailSafeTrackerStore, "on_tracker_store_error"), (EndpointConfig, "session"),
    (ActionExecutor, "run"), (rasa.core.run, "close_resources"),
)
before = [vars(owner)[name] for owner, name in targets]
for channel in yaml.safe_load(open("credentials.yml")):
    importlib.import_module(channel.rpartition(".")[0])
changed = [name for (owner, name), was in zip(targets, before) if vars(owner)[name] is not was]
print("changed:", changed)
"""
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=PROJECT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "changed: []" in result.stdout
