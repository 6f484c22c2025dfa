"""deploy/k8s holds together: every workload runs several replicas behind a disruption budget and
an autoscaler, its probes ask the endpoints that tell the truth, its container asks for
resources, and Prometheus finds its /metrics (issue 22). No cluster here: the manifests are read
as the API server would read their fields."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

K8S = Path(__file__).resolve().parents[2] / "deploy" / "k8s"
SERVICES = {"registration": 8001, "interventions": 8002, "reporting": 8003, "notifications": 8004}
WORKLOADS = {**SERVICES, "portal": 8000}


def documents() -> list[dict[str, Any]]:
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    found: list[dict[str, Any]] = []
    for name in kustomization["resources"]:
        found += [d for d in yaml.safe_load_all((K8S / name).read_text()) if d]
    return found


def of_kind(kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in documents() if d["kind"] == kind}


def test_every_manifest_file_is_in_the_kustomization() -> None:
    listed = set(yaml.safe_load((K8S / "kustomization.yaml").read_text())["resources"])
    on_disk = {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml", "secret.example.yaml"}
    assert on_disk == listed


@pytest.mark.parametrize("workload", sorted(WORKLOADS))
def test_each_workload_runs_several_replicas_rolled_without_losing_capacity(workload: str) -> None:
    spec = of_kind("Deployment")[f"gsi-{workload}"]["spec"]
    assert spec["replicas"] >= 2
    assert spec["strategy"]["rollingUpdate"] == {"maxUnavailable": 0, "maxSurge": 1}


@pytest.mark.parametrize("workload", sorted(WORKLOADS))
def test_each_workload_has_a_disruption_budget_and_an_autoscaler_that_select_it(workload: str) -> None:
    name = f"gsi-{workload}"
    labels = of_kind("Deployment")[name]["spec"]["template"]["metadata"]["labels"]
    budget = of_kind("PodDisruptionBudget")[name]["spec"]
    assert budget["minAvailable"] >= 1
    assert budget["selector"]["matchLabels"].items() <= labels.items()
    autoscaler = of_kind("HorizontalPodAutoscaler")[name]["spec"]
    assert autoscaler["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": name}
    assert 2 <= autoscaler["minReplicas"] < autoscaler["maxReplicas"]


def container(workload: str) -> dict[str, Any]:
    pod = of_kind("Deployment")[f"gsi-{workload}"]["spec"]["template"]
    (only,) = pod["spec"]["containers"]
    return dict(only)


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_a_service_is_ready_when_ready_says_so_and_alive_while_health_answers(service: str) -> None:
    """/ready is 503 while a worker is dead or stuck (ADR 22): such a pod leaves the Service's
    endpoints; /health restarts only a process that no longer answers at all."""
    c = container(service)
    assert c["readinessProbe"]["httpGet"] == {"path": "/ready", "port": "http"}
    assert c["livenessProbe"]["httpGet"] == {"path": "/health", "port": "http"}
    assert c["startupProbe"]["httpGet"]["path"] == "/health"


@pytest.mark.parametrize("workload", sorted(WORKLOADS))
def test_each_container_asks_for_resources_listens_where_it_says_and_is_scraped(workload: str) -> None:
    c = container(workload)
    assert {"cpu", "memory"} <= c["resources"]["requests"].keys()
    assert {"cpu", "memory"} <= c["resources"]["limits"].keys()
    assert c["ports"] == [{"name": "http", "containerPort": WORKLOADS[workload]}]
    env = {e["name"]: e.get("value") for e in c["env"]}
    assert env["GSI_SERVICE"] == workload
    assert c["lifecycle"]["preStop"]["exec"]["command"][0] == "sleep"
    annotations = of_kind("Deployment")[f"gsi-{workload}"]["spec"]["template"]["metadata"]["annotations"]
    assert annotations == {
        "prometheus.io/scrape": "true",
        "prometheus.io/port": str(WORKLOADS[workload]),
        "prometheus.io/path": "/metrics",
    }
    service = of_kind("Service")[f"gsi-{workload}"]["spec"]
    assert service["ports"][0]["port"] == WORKLOADS[workload]


def test_the_portal_reaches_each_service_through_its_kubernetes_service() -> None:
    env = {e["name"]: e.get("value") for e in container("portal")["env"]}
    services = of_kind("Service")
    for name, port in SERVICES.items():
        assert env[f"GSI_PORTAL_{name.upper()}_URL"] == f"http://gsi-{name}:{port}"
        assert f"gsi-{name}" in services
    assert env["GSI_PORTAL_AUTH_MODE"] == "oidc"
    # Sessions live in each pod's memory (ADR 20): a client stays on its pod.
    assert services["gsi-portal"]["spec"]["sessionAffinity"] == "ClientIP"


def test_the_image_serves_the_portal_too() -> None:
    dockerfile = (K8S.parent / "Dockerfile").read_text()
    assert "COPY services/portal/pyproject.toml services/portal/" in dockerfile
    assert "registration|interventions|reporting|notifications|portal)" in dockerfile
