"""The endpoints file Rasa reads, as the production variables make it."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import yaml

from ats.keys import action_server_token
from ats.settings import ConfigurationError, Settings
from server.endpoints import write_endpoints

PRODUCTION = {
    "HELPDESK_TRACKER_STORE_URL": "postgresql://rasa:s3cr%40t@db.internal:5433/helpdesk",
    "HELPDESK_REDIS_URL": "redis://:redispass@redis.internal:6380/2",
    "HELPDESK_EVENT_BROKER_URL": "amqp://rabbit:rabbitpass@mq.internal:5673/",
    "HELPDESK_ACTIONS_URL": "http://actions.internal:5055/webhook",
}


def test_the_defaults_need_no_services(tmp_path: Path) -> None:
    path, secrets = write_endpoints(Settings.from_env({}), tmp_path)
    config = yaml.safe_load(path.read_text())
    assert config == {
        "action_endpoint": {
            "url": "http://localhost:5055/webhook",
            "headers": {"X-Helpdesk-Action-Token": "${HELPDESK_ACTION_TOKEN_}"},
        },
        "tracker_store": {"type": "server.tracker_store.LeanInMemoryTrackerStore"},
    }
    assert set(secrets) == {"HELPDESK_ACTION_TOKEN_"}


def test_the_action_server_token_is_passed_by_reference_and_matches_the_action_server(
    tmp_path: Path,
) -> None:
    env = {"HELPDESK_SECRET_KEY": "a-key-shared-by-every-server"}
    path, secrets = write_endpoints(Settings.from_env(env), tmp_path)
    token = secrets["HELPDESK_ACTION_TOKEN_"]
    assert len(token) == 64 and token not in path.read_text()
    # the action server derives the same token from the same key
    settings = dataclasses.replace(Settings.from_env(), secret_key=env["HELPDESK_SECRET_KEY"])
    assert action_server_token(settings) == token
    # or both take the one given
    given = {**env, "HELPDESK_ACTION_SERVER_TOKEN": "given-token"}
    assert write_endpoints(Settings.from_env(given), tmp_path)[1] == {
        "HELPDESK_ACTION_TOKEN_": "given-token"
    }


def test_production_urls_become_stores_without_passwords_in_the_file(tmp_path: Path) -> None:
    path, secrets = write_endpoints(Settings.from_env(PRODUCTION), tmp_path)
    text = path.read_text()
    for password in ("s3cr@t", "s3cr%40t", "redispass", "rabbitpass"):
        assert password not in text
    config = yaml.safe_load(text)
    store = config["tracker_store"]
    assert (store["type"], store["url"], store["port"], store["db"]) == (
        "server.tracker_store.LeanSQLTrackerStore",
        "db.internal",
        5433,
        "helpdesk",
    )
    assert secrets[store["password"][2:-1]] == "s3cr@t"  # ${NAME}, expanded by Rasa
    assert store["max_connections"] == 10
    lock = config["lock_store"]
    assert (lock["url"], lock["port"], lock["db"]) == ("redis.internal", 6380, 2)
    assert secrets[lock["password"][2:-1]] == "redispass"
    broker = config["event_broker"]
    assert (broker["url"], broker["port"], broker["username"]) == ("mq.internal", 5673, "rabbit")
    assert broker["queues"] == ["helpdesk_events"]
    assert broker["queue_max_length"] == 1_000_000  # bounded by default: nothing consumes it
    assert secrets[broker["password"][2:-1]] == "rabbitpass"
    assert config["action_endpoint"]["url"] == "http://actions.internal:5055/webhook"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("HELPDESK_TRACKER_STORE_URL", "mysql://root:hunter2@db/helpdesk"),
        ("HELPDESK_TRACKER_STORE_URL", "postgresql://root:hunter2@db/helpdesk?keepalives=1"),
        ("HELPDESK_REDIS_URL", "localhost:6379"),
        ("HELPDESK_EVENT_BROKER_URL", "amqp://guest:guest@mq:notaport/"),
    ],
)
def test_a_wrong_url_names_its_variable_and_hides_the_password(
    name: str, value: str, tmp_path: Path
) -> None:
    with pytest.raises(ConfigurationError) as error:
        write_endpoints(Settings.from_env({name: value}), tmp_path)
    assert name in str(error.value)
    assert "hunter2" not in str(error.value)


def test_a_virtual_host_and_an_exchange_of_its_own(tmp_path: Path) -> None:
    settings = Settings.from_env(
        {"HELPDESK_EVENT_BROKER_URL": "amqps://u:p@mq:5671/helpdesk", "HELPDESK_EVENT_QUEUE": "q"}
    )
    path, _secrets = write_endpoints(settings, tmp_path)
    broker = yaml.safe_load(path.read_text())["event_broker"]
    assert broker["url"] == "amqps://mq:5671/helpdesk"
    assert broker["exchange_name"] == "q-exchange"


def test_the_event_queue_is_unbounded_only_when_told(tmp_path: Path) -> None:
    settings = Settings.from_env(
        {"HELPDESK_EVENT_BROKER_URL": "amqp://mq/", "HELPDESK_EVENT_QUEUE_MAX_LENGTH": "0"}
    )
    path, _secrets = write_endpoints(settings, tmp_path)
    assert yaml.safe_load(path.read_text())["event_broker"]["queue_max_length"] == 0
    with pytest.raises(ConfigurationError, match="HELPDESK_EVENT_QUEUE_MAX_LENGTH"):
        Settings.from_env({"HELPDESK_EVENT_QUEUE_MAX_LENGTH": "-1"})
