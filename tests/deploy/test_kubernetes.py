"""deploy/kubernetes/'s manifests against Kubernetes' schemas (kubernetes-validate, strict: an
unknown field is an error), and consistent with the image, the Helm values and each other."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from kubernetes_validate.utils import ValidationError

from tests.deploy.conftest import DEPLOY

KUBERNETES = DEPLOY / "kubernetes"
VERSION = "1.28"  # the newest whose schemas kubernetes-validate 1.28 ships (pyproject.toml)
# custom resources of the Prometheus Operator: no schema in kubernetes-validate
CUSTOM = {"monitoring.coreos.com/v1"}


def documents() -> list[tuple[str, dict[str, Any]]]:
    return [
        (path.name, document)
        for path in sorted(KUBERNETES.glob("*.yaml"))
        for document in yaml.safe_load_all(path.read_text())
        if document
    ]


def by_kind(kind: str) -> dict[str, Any]:
    (found,) = [document for _name, document in documents() if document["kind"] == kind]
    return found


def containers(document: dict[str, Any]) -> list[dict[str, Any]]:
    return document["spec"]["template"]["spec"]["containers"]


@pytest.mark.parametrize(
    "name, document",
    [(n, d) for n, d in documents() if d["apiVersion"] not in CUSTOM],
    ids=lambda value: value if isinstance(value, str) else value["kind"],
)
def test_it_follows_kubernetes_schema(name: str, document: dict[str, Any]) -> None:
    kubernetes_validate.validate(document, VERSION, strict=True)


def test_a_misspelt_field_is_caught() -> None:
    job = by_kind("Job")
    job["spec"]["backoffLimits"] = job["spec"].pop("backoffLimit")
    with pytest.raises(ValidationError):
        kubernetes_validate.validate(job, VERSION, strict=True)


def test_the_jobs_and_deployments_run_the_help_desk_image_as_its_user() -> None:
    common = yaml.safe_load((DEPLOY / "helm" / "common.yaml").read_text())
    image = f"{common['image']['repository']}:{common['image']['tag']}"
    for kind, command in (("Job", "migrate"), ("Deployment", "sweep")):
        document = by_kind(kind)
        assert document["metadata"]["namespace"] == "helpdesk"
        (container,) = containers(document)
        assert container["image"] == image
        assert command in container["args"]
        assert document["spec"]["template"]["spec"]["securityContext"]["runAsUser"] == 10001
        sources = {next(iter(source.values()))["name"] for source in container["envFrom"]}
        assert sources == {"helpdesk-secrets", "helpdesk-config"}


def test_the_ingress_sends_only_the_public_paths_to_the_rasa_servers() -> None:
    rasa = yaml.safe_load((DEPLOY / "helm" / "values-rasa.yaml").read_text())
    (rule,) = by_kind("Ingress")["spec"]["rules"]
    paths = {path["path"] for path in rule["http"]["paths"]}
    assert paths == {"/socket.io", "/webhooks", "/ats", "/desk", "/chat", "/careers"}
    backends = {
        (path["backend"]["service"]["name"], path["backend"]["service"]["port"]["number"])
        for path in rule["http"]["paths"]
    }
    assert backends == {(rasa["fullnameOverride"], rasa["applicationSettings"]["port"])}


def test_the_service_monitors_select_the_charts_services() -> None:
    monitors = [d for _n, d in documents() if d["kind"] == "ServiceMonitor"]
    releases = {
        m["spec"]["selector"]["matchLabels"]["app.kubernetes.io/instance"] for m in monitors
    }
    assert releases == {"helpdesk-rasa", "helpdesk-actions"}
    assert all(m["spec"]["endpoints"][0]["path"] == "/metrics" for m in monitors)


def test_every_file_is_named_in_the_deployment_guide() -> None:
    guide = (Path(DEPLOY).parent / "docs" / "deploy.md").read_text()
    for path in [*KUBERNETES.glob("*.yaml"), *(DEPLOY / "helm").glob("*.yaml")]:
        assert f"deploy/{path.parent.name}/{path.name}" in guide, path.name
