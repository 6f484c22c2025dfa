"""What every client sees at the HTTP edge: authentication on every endpoint, and bad input
answered with a 4xx, a stable code and a message in French and English — never a 500, never a
partial write."""

from __future__ import annotations

import re
import subprocess
import sys
from typing import Any

import pytest

from gsi_kernel.http.app import PUBLIC_PATHS
from tests.e2e.flow import ORG, Services, token

PERSON = {
    "family_name": "Nguyen",
    "given_name": "Linh",
    "birth_date": "1990-05-01",
    "sex": "F",
    "country_of_birth": "VN",
    "status": {
        "status": "permanent_resident",
        "effective_from": "2025-09-01",
        "admission_date": "2025-09-01",
    },
    "address": {"region": "05"},
}


def assert_error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["code"] == code
    assert body["message"]["fr"]
    assert body["message"]["en"]
    assert body["message"]["fr"] != body["message"]["en"]
    return body


def operations(client: Any) -> list[tuple[str, str]]:
    spec = client.get("/openapi.json").json()
    return [
        (method.upper(), re.sub(r"\{[^}]+\}", "x", path))
        for path, item in spec["paths"].items()
        if path not in PUBLIC_PATHS
        for method in item
    ]


def test_every_endpoint_of_every_service_requires_a_token(embedded_services: Services) -> None:
    checked = 0
    for client in vars(embedded_services).values():
        for method, path in operations(client):
            response = client.request(method, path, json={})
            assert_error(response, 401, "auth.missing_token")
            assert response.headers["WWW-Authenticate"] == "Bearer"
            checked += 1
    assert checked >= 7  # the walking skeleton's operations, at least


def test_an_invalid_token_is_refused(embedded_services: Services) -> None:
    response = embedded_services.registration.get("/persons", headers={"Authorization": "Bearer nope"})
    assert_error(response, 401, "auth.invalid_token")


def test_health_and_readiness_answer_without_a_token(embedded_services: Services) -> None:
    for client in vars(embedded_services).values():
        assert client.get("/health").json()["status"] == "ok"
        ready = client.get("/ready").json()
        assert ready["status"] == "ok"
        assert ready["checks"]["database"] == "ok"


@pytest.fixture
def staff(embedded_services: Services) -> dict[str, str]:
    return token(embedded_services.registration, user_id="karine", roles=["org_staff"], organization=ORG)


def _persons_total(services: Services, headers: dict[str, str]) -> int:
    return int(services.registration.get("/persons", headers=headers).json()["total"])


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (b'{"family_name": "Nguyen",', 400, "malformed_json"),
        ({**PERSON, "is_admin": True}, 422, "unknown_field"),
        ({k: v for k, v in PERSON.items() if k != "birth_date"}, 422, "missing_field"),
        ({**PERSON, "birth_date": "le 1er mai"}, 422, "invalid_field"),
        ({**PERSON, "status": {"status": "tourist", "effective_from": "2025-09-01"}}, 422, "invalid_field"),
        ({**PERSON, "birth_date": "2999-01-01"}, 422, "person.birth_date_in_future"),
        (
            {**PERSON, "status": {"status": "permanent_resident", "effective_from": "1980-01-01"}},
            422,
            "person.status_before_birth",
        ),
        ({**PERSON, "address": {"region": "42"}}, 422, "person.unknown_region"),
    ],
)
def test_bad_registrations_are_refused_with_a_code_and_write_nothing(
    embedded_services: Services, staff: dict[str, str], body: Any, status: int, code: str
) -> None:
    kwargs = {"content": body} if isinstance(body, bytes) else {"json": body}
    headers = {**staff, "Content-Type": "application/json"}
    response = embedded_services.registration.post("/persons", headers=headers, **kwargs)
    assert_error(response, status, code)
    assert _persons_total(embedded_services, staff) == 0


def test_a_role_without_the_right_is_refused(embedded_services: Services) -> None:
    reviewer = token(
        embedded_services.registration, user_id="n", roles=["ministry_reviewer"], assigned_organizations=[ORG]
    )
    response = embedded_services.registration.post("/persons", headers=reviewer, json=PERSON)
    body = assert_error(response, 403, "auth.forbidden_role")
    assert body["details"]["required_roles"] == ["org_staff", "org_manager"]


def test_another_organizations_person_is_not_found_and_not_usable(
    embedded_services: Services, staff: dict[str, str]
) -> None:
    person_id = embedded_services.registration.post("/persons", headers=staff, json=PERSON).json()[
        "person_id"
    ]
    other = token(
        embedded_services.registration, user_id="marc", roles=["org_staff"], organization="org-montreal"
    )
    assert_error(
        embedded_services.registration.get(f"/persons/{person_id}", headers=other), 404, "person.not_found"
    )
    assert embedded_services.registration.get("/persons", headers=other).json()["total"] == 0
    declaration = {
        "person_id": person_id,
        "code": "ACC",
        "service_date": "2026-11-02",
        "duration_minutes": 30,
        "mode": "in_person",
        "volet": "V1",
        "staff_member": "marc",
    }
    response = embedded_services.interventions.post("/interventions", headers=other, json=declaration)
    assert_error(response, 422, "intervention.unknown_person")


def test_reports_refuse_bad_quarters_and_other_organizations(embedded_services: Services) -> None:
    manager = token(embedded_services.registration, user_id="s", roles=["org_manager"], organization=ORG)
    assert_error(
        embedded_services.reporting.get(f"/reports/{ORG}/2026-Q3", headers=manager),
        422,
        "report.invalid_quarter",
    )
    response = embedded_services.reporting.post("/reports/org-montreal/2026-2027-Q3/submit", headers=manager)
    assert_error(response, 404, "report.not_found")  # no leak: as if it did not exist
    assert_error(
        embedded_services.reporting.get("/reports/org-montreal/2026-2027-Q3", headers=manager),
        404,
        "report.not_found",
    )


def test_unknown_routes_and_methods_answer_in_the_same_shape(embedded_services: Services) -> None:
    assert_error(embedded_services.registration.get("/nowhere"), 404, "not_found")
    assert_error(embedded_services.registration.put("/health"), 405, "method_not_allowed")


_GLOBAL_PROVIDER_PROBE = """
import sys, tempfile
from pathlib import Path
from fastapi.testclient import TestClient
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from registration.bootstrap import build, build_app
from registration.settings import RegistrationSettings

host_spans = InMemorySpanExporter()  # a host that configured OpenTelemetry's global provider
provider = TracerProvider()
provider.add_span_processor(SimpleSpanProcessor(host_spans))
trace.set_tracer_provider(provider)
container = build(RegistrationSettings(data_dir=Path(tempfile.mkdtemp())))
with TestClient(build_app(container)) as client:
    answer = client.get("/health")
print(answer.status_code, "x-trace-id" in answer.headers, len(host_spans.get_finished_spans()))
"""


def test_each_request_is_traced_once_by_the_service_not_again_by_fastapi() -> None:
    """The kernel's middleware traces every request with the service's own provider; FastAPI's
    native telemetry (which would trace it again through a configured global provider, and asks
    the global providers on every request) is off."""
    done = subprocess.run(
        [sys.executable, "-c", _GLOBAL_PROVIDER_PROBE], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["200", "True", "0"]
