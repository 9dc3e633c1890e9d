"""deploy/docker-compose.yml holds together: against the Compose Specification's schema (the
copy in tests/deploy/schemas, from compose-spec/compose-spec), every variable it substitutes
documented and given in production.env.example, every file, service, volume and config it names
present, health checks where its start order waits for health, and nothing published to the
world but nginx. `docker compose config` runs too where Docker's Compose plugin is installed."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from tests.deploy.conftest import DEPLOY, PROJECT, SCHEMAS, readme_variables

COMPOSE = DEPLOY / "docker-compose.yml"
EXAMPLE = DEPLOY / "production.env.example"
# ${NAME}, ${NAME:-default}, ${NAME:?message}; $$ escapes a dollar
SUBSTITUTION = re.compile(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}")


def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text())


def example() -> dict[str, str]:
    values = {}
    for line in EXAMPLE.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, value = line.partition("=")
            values[name.strip()] = value
    return values


def substituted() -> dict[str, list[tuple[str, str]]]:
    """Each variable the file substitutes, with its operators and defaults."""
    found: dict[str, list[tuple[str, str]]] = {}
    for match in SUBSTITUTION.finditer(COMPOSE.read_text()):
        found.setdefault(match[1], []).append((match[2] or "", match[3] or ""))
    return found


def services() -> dict[str, dict[str, Any]]:
    return compose()["services"]


def test_the_file_follows_the_compose_specification() -> None:
    schema = json.loads((SCHEMAS / "compose-spec.json").read_text())
    errors = sorted(jsonschema.Draft7Validator(schema).iter_errors(compose()), key=str)
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)


def test_a_mistake_is_caught_by_the_schema() -> None:
    schema = json.loads((SCHEMAS / "compose-spec.json").read_text())
    broken = compose()
    broken["services"]["rasa"]["depends_on"]["redis"]["condition"] = "service_ready"
    assert not jsonschema.Draft7Validator(schema).is_valid(broken)


def test_every_substituted_variable_is_in_the_example_and_the_readme() -> None:
    names = set(substituted())
    assert names >= {"POSTGRES_PASSWORD", "REDIS_PASSWORD", "RABBITMQ_PASSWORD"}
    assert names - set(example()) == set()
    assert names - readme_variables() == set()


def test_the_secrets_compose_requires_are_left_empty_in_the_example() -> None:
    required = {name for name, uses in substituted().items() if any(op == ":?" for op, _ in uses)}
    assert required >= {"POSTGRES_PASSWORD", "HELPDESK_SECRET_KEY", "HELPDESK_RASA_API_TOKEN"}
    assert {name: example()[name] for name in required} == dict.fromkeys(required, "")


def test_the_environment_of_the_help_desk_processes_is_documented() -> None:
    named = set(example())
    for service in services().values():
        environment = service.get("environment") or {}
        named |= set(environment if isinstance(environment, dict) else [])
    own = {n for n in named if not n.startswith(("POSTGRES_", "RABBITMQ_", "REDISCLI_"))}
    assert own - readme_variables() == set()


def test_every_service_has_an_image_and_the_build_points_at_the_dockerfile() -> None:
    for name, service in services().items():
        assert service.get("image") or service.get("build"), name
        if "build" in service:
            context = (COMPOSE.parent / service["build"]["context"]).resolve()
            assert context == PROJECT
            assert (context / service["build"]["dockerfile"]).is_file()


def test_the_files_volumes_and_configs_it_names_exist() -> None:
    whole = compose()
    for name, service in services().items():
        for env_file in [service["env_file"]] if "env_file" in service else []:
            # the operator's copy of the example (docs/deploy.md), never committed
            assert env_file == "production.env" and EXAMPLE.is_file(), name
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("."):
                assert (COMPOSE.parent / source).is_file(), (name, source)
            else:
                assert source in whole["volumes"], (name, source)
        for config in service.get("configs", []):
            assert config["source"] in whole["configs"], (name, config)
    assert "deploy/production.env" in (PROJECT / ".gitignore").read_text().split()


def test_start_order_waits_only_for_what_can_report_it() -> None:
    for name, service in services().items():
        for target, rule in service.get("depends_on", {}).items():
            assert target in services(), (name, target)
            other = services()[target]
            if rule["condition"] == "service_healthy":
                assert not other.get("healthcheck", {}).get("disable"), (name, target)
                assert "test" in other.get("healthcheck", {}) or target in {"actions", "rasa"}
            if rule["condition"] == "service_completed_successfully":
                assert other["restart"] == "no", (name, target)


def test_only_nginx_is_published_beyond_the_host() -> None:
    published = {}
    for name, service in services().items():
        for port in service.get("ports", []):
            published[name] = port
    assert published == {"nginx": "80:80", "rabbitmq": "127.0.0.1:15672:15672"}


def test_the_event_queue_is_bounded_by_default() -> None:
    assert int(example()["HELPDESK_EVENT_QUEUE_MAX_LENGTH"]) > 0


@pytest.mark.skipif(
    shutil.which("docker") is None
    or subprocess.run(["docker", "compose", "version"], capture_output=True).returncode != 0,
    reason="Docker's Compose plugin is not installed",
)
def test_docker_compose_config_accepts_it(tmp_path: Path) -> None:
    folder = tmp_path / "deploy"
    shutil.copytree(DEPLOY, folder)
    env = folder / "production.env"
    filled = {name: value or "0123abcd" for name, value in example().items()}
    env.write_text("".join(f"{name}={value}\n" for name, value in filled.items()))
    result = subprocess.run(
        ["docker", "compose", "--env-file", str(env), "-f", str(folder / COMPOSE.name), "config"]
        + ["--quiet"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
