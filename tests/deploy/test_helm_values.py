"""deploy/helm/'s values for Rasa's charts, checked without Helm (no Helm in the package
registries this project installs from, so they are not rendered): merged over each chart's own
values.yaml as Helm merges them, the result against the chart's values.schema.json, and every
key they set one the chart has (Helm ignores an unknown key without a word). The charts' files
are copies in tests/deploy/charts (RasaHQ/helm-charts, rasa 1.17.8 and rasa-action-server
1.0.9, Apache-2.0)."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from importlib import resources
from typing import Any

import jsonschema
import pytest
import yaml

from tests.deploy.conftest import CHARTS, DEPLOY

HELM = DEPLOY / "helm"
RELEASES = {"rasa": "values-rasa.yaml", "rasa-action-server": "values-actions.yaml"}
# Values the charts' templates pass to the pod as they are (toYaml): Kubernetes objects, checked
# against Kubernetes' schema of their type rather than against the chart's defaults.
KUBERNETES_OBJECTS = {
    "livenessProbe": "probe",
    "readinessProbe": "probe",
    "podSecurityContext": "podsecuritycontext",
    "securityContext": "securitycontext",
    "resources": "resourcerequirements",
}
KUBERNETES_SCHEMAS = "kubernetes-json-schema/v1.28.0-local-strict"


def load(name: str) -> dict[str, Any]:
    return yaml.safe_load((HELM / name).read_text())


def coalesce(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """Helm's merge of values: maps merged key by key, null removes a key, the rest replaced."""
    merged = copy.deepcopy(base)
    for key, value in over.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = coalesce(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def unknown_keys(ours: dict[str, Any], chart: dict[str, Any], path: str = "") -> Iterator[str]:
    for key, value in ours.items():
        if not path and key in KUBERNETES_OBJECTS:
            continue
        if key not in chart:
            yield f"{path}{key}"
        elif isinstance(value, dict) and isinstance(chart[key], dict) and chart[key]:
            yield from unknown_keys(value, chart[key], f"{path}{key}.")


def values(chart: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The chart's defaults, and ours (common.yaml, then the release's file)."""
    defaults = yaml.safe_load((CHARTS / chart / "values.yaml").read_text())
    return defaults, coalesce(load("common.yaml"), load(RELEASES[chart]))


@pytest.mark.parametrize("chart", sorted(RELEASES))
def test_the_merged_values_follow_the_chart_s_schema(chart: str) -> None:
    defaults, ours = values(chart)
    schema = json.loads((CHARTS / chart / "values.schema.json").read_text())
    merged = coalesce(defaults, ours)
    errors = sorted(jsonschema.Draft7Validator(schema).iter_errors(merged), key=str)
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)


@pytest.mark.parametrize("chart", sorted(RELEASES))
def test_every_key_set_is_one_the_chart_has(chart: str) -> None:
    defaults, ours = values(chart)
    assert list(unknown_keys(ours, defaults)) == []
    assert list(unknown_keys({"replicaCount": 2, "replicas": 2}, defaults)) == ["replicas"]


@pytest.mark.parametrize("chart", sorted(RELEASES))
def test_the_kubernetes_objects_passed_through_follow_kubernetes_schemas(chart: str) -> None:
    defaults, ours = values(chart)
    merged = coalesce(defaults, ours)
    folder = resources.files("kubernetes_validate") / KUBERNETES_SCHEMAS
    for key, kind in KUBERNETES_OBJECTS.items():
        path = folder / f"{kind}-v1.json"
        schema = json.loads(path.read_text())
        resolver = jsonschema.RefResolver(f"file://{path}", schema)
        validator = jsonschema.Draft7Validator(schema, resolver=resolver)
        assert not list(validator.iter_errors(merged[key])), (key, merged[key])
        # strict: a misspelt field is an error, not ignored
        assert not validator.is_valid({**merged[key], "initialDelay": 5}), key


@pytest.mark.parametrize("chart", sorted(RELEASES))
def test_our_image_runs_our_command_under_its_own_entrypoint(chart: str) -> None:
    defaults, ours = values(chart)
    merged = coalesce(defaults, ours)
    assert merged["image"]["repository"].endswith("/candidate-helpdesk")
    assert merged["args"][:2] == ["helpdesk", "serve"]
    assert not merged.get("command")  # the image's tini stays PID 1
    assert merged["readinessProbe"]["httpGet"]["path"] == "/health"
    assert "httpGet" not in merged["livenessProbe"]  # a database outage restarts nothing
    assert merged["podSecurityContext"]["runAsUser"] == 10001  # the Dockerfile's USER
    names = {item["name"] for item in merged["extraEnv"]}
    assert {"ATS_DATABASE_URL", "HELPDESK_SECRET_KEY", "HELPDESK_REDIS_URL"} <= names


def test_the_rasa_chart_downloads_no_model_and_bundles_no_services() -> None:
    defaults, ours = values("rasa")
    merged = coalesce(defaults, ours)
    assert merged["applicationSettings"]["initialModel"] == ""
    assert merged["postgresql"]["install"] is False
    assert merged["nginx"]["enabled"] is False
    assert not merged.get("redis", {}).get("install")
    assert not merged.get("rabbitmq", {}).get("install")
