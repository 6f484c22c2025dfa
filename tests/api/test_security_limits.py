"""The HTTP edge of the real services (built by ``create_app``): body size limits with the
upload routes' larger ones, per-user rate limits, pagination caps, security headers, CORS only
where configured, HSTS in production."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

import interventions.bootstrap as interventions_app
import registration.bootstrap as registration_app
import reporting.bootstrap as reporting_app
from gsi_kernel.clock import FixedClock
from gsi_kernel.http.pagination import MAX_PAGE_SIZE
from interventions.settings import InterventionsSettings
from registration.settings import RegistrationSettings
from reporting.settings import ReportingSettings
from tests.api.conftest import NOW
from tests.api.test_http_behaviour import assert_error
from tests.api.test_registration import AMINA, PDF
from tests.e2e.flow import Services, token

MIB = 1024 * 1024
ORG = "org-sherbrooke"


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Any]:
    """``service(module, settings_cls, **settings)``: a client of that service with these
    settings (closed at the end of the test)."""
    clients: list[TestClient] = []

    def build(module: Any, settings_cls: Any, **settings: Any) -> TestClient:
        built = module.build(
            settings_cls(data_dir=tmp_path / str(len(clients)), **settings), clock=FixedClock(NOW)
        )
        client = TestClient(module.build_app(built))
        clients.append(client.__enter__())
        return client

    yield build
    for client in clients:
        client.__exit__(None, None, None)


def staff(client: TestClient, user: str = "karine") -> dict[str, str]:
    return token(client, user_id=user, roles=["org_staff"], organization=ORG)


def persons(client: TestClient, headers: dict[str, str]) -> int:
    return int(client.get("/persons", headers=headers).json()["total"])


# ---- body size ----------------------------------------------------------------------------------


def test_a_body_over_the_limit_is_refused_with_413_and_nothing_is_written(service: Any) -> None:
    client = service(registration_app, RegistrationSettings)
    karine = staff(client)
    huge = {**AMINA, "family_name": "x" * (2 * MIB)}
    body = assert_error(client.post("/persons", headers=karine, json=huge), 413, "request.too_large")
    assert body["details"] == {"limit_bytes": MIB}
    assert "1 Mo" in body["message"]["fr"]
    assert persons(client, karine) == 0


def test_a_document_has_its_own_limit_above_the_json_one(service: Any) -> None:
    client = service(registration_app, RegistrationSettings)
    karine = staff(client)
    person_id = client.post("/persons", headers=karine, json=AMINA).json()["person_id"]
    url = f"/persons/{person_id}/documents"
    two_mb = PDF + b"x" * (2 * MIB)
    accepted = client.post(url, headers=karine, files={"file": ("a.pdf", two_mb, "application/pdf")})
    assert accepted.status_code == 201, accepted.text  # over the 1 MB of JSON bodies
    eleven_mb = PDF + b"x" * (11 * MIB)
    refused = client.post(url, headers=karine, files={"file": ("b.pdf", eleven_mb, "application/pdf")})
    assert_error(refused, 413, "request.too_large")  # the route's own limit: 10 MB + the form
    assert len(client.get(f"/persons/{person_id}", headers=karine).json()["documents"]) == 1


def test_imports_take_the_upload_limit(service: Any) -> None:
    client = service(interventions_app, InterventionsSettings, upload_max_bytes=3 * MIB)
    manager = token(client, user_id="sophie", roles=["org_manager"], organization=ORG)

    def upload(size: int) -> Any:
        content = b"nom;prenom\n" + b"A;B\n" * (size // 4)
        return client.post(
            "/imports",
            headers=manager,
            files={"file": ("f.csv", content, "text/csv")},
            data={"mode": "dry_run"},
        )

    assert_error(upload(2 * MIB), 422, "import.bad_header")  # read by the route: past the JSON limit
    assert_error(upload(4 * MIB), 413, "request.too_large")  # refused at the edge


# ---- rate limits --------------------------------------------------------------------------------


def test_a_user_over_the_write_budget_gets_429_and_others_carry_on(service: Any) -> None:
    client = service(
        registration_app, RegistrationSettings, rate_limit_enabled=True, rate_limit_writes="3/minute"
    )
    karine, marc = staff(client), staff(client, "marc")

    # Each registration its own UCI: the same UCI twice in one organization is refused (409).
    def amina(n: int) -> dict[str, Any]:
        return {**AMINA, "uci": f"9900-{n:04d}"}

    codes = [client.post("/persons", headers=karine, json=amina(n)).status_code for n in range(3)]
    assert codes == [201, 201, 201]
    refused = client.post("/persons", headers=karine, json=amina(3))
    body = assert_error(refused, 429, "request.rate_limited")
    assert int(refused.headers["Retry-After"]) == body["details"]["retry_after_seconds"] >= 1
    assert persons(client, karine) == 3  # the refused one wrote nothing; reads have their own budget
    assert client.post("/persons", headers=marc, json=amina(4)).status_code == 201


def test_reads_are_limited_per_user_too(service: Any) -> None:
    client = service(reporting_app, ReportingSettings, rate_limit_enabled=True, rate_limit_reads="5/minute")
    admin = token(client, user_id="adele", roles=["admin"])
    codes = [client.get("/audit", headers=admin).status_code for _ in range(6)]
    assert codes == [200] * 5 + [429]


# ---- pagination caps ----------------------------------------------------------------------------


def test_every_list_endpoint_of_every_service_caps_its_page_size(embedded_services: Services) -> None:
    capped = 0
    for client in vars(embedded_services).values():
        spec = client.get("/openapi.json").json()
        for path, item in spec["paths"].items():
            for operation in item.values():
                for parameter in operation.get("parameters", []):
                    if parameter["name"] == "limit" and parameter["in"] == "query":
                        assert parameter["schema"]["maximum"] <= MAX_PAGE_SIZE, path
                        capped += 1
    assert capped >= 8


@pytest.mark.parametrize("path", ["/persons", "/audit", "/incidents"])
def test_a_page_larger_than_the_cap_is_refused(embedded_services: Services, path: str) -> None:
    admin = token(embedded_services.registration, user_id="adele", roles=["admin"])
    client = embedded_services.registration
    assert client.get(path, headers=admin, params={"limit": MAX_PAGE_SIZE}).status_code == 200
    assert_error(client.get(path, headers=admin, params={"limit": MAX_PAGE_SIZE + 1}), 422, "invalid_field")


# ---- headers and CORS ---------------------------------------------------------------------------

SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cache-control": "no-store",
}


def test_every_service_sends_the_security_headers_and_no_cors(embedded_services: Services) -> None:
    for name, client in vars(embedded_services).items():
        for answer in (
            client.get("/health"),
            client.get("/audit"),  # 401
            client.get("/nowhere", headers={"Origin": "https://evil.example"}),  # 404
        ):
            assert {k: answer.headers.get(k) for k in SECURITY_HEADERS} == SECURITY_HEADERS, name
            assert re.search(r"frame-ancestors 'none'", answer.headers["content-security-policy"]), name
            assert "strict-transport-security" not in answer.headers, name  # development
            assert "access-control-allow-origin" not in answer.headers, name


def test_cors_answers_only_the_configured_origin(service: Any) -> None:
    client = service(registration_app, RegistrationSettings, cors_origins="https://gsi.quebec.example")
    ask = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type",
    }
    allowed = client.options("/persons", headers={"Origin": "https://gsi.quebec.example", **ask})
    assert (allowed.status_code, allowed.headers["access-control-allow-origin"]) == (
        200,
        "https://gsi.quebec.example",
    )
    other = client.options("/persons", headers={"Origin": "https://evil.example", **ask})
    assert "access-control-allow-origin" not in other.headers


def test_production_adds_hsts(tmp_path: Path) -> None:
    # Production settings need PostgreSQL, Kafka and a real issuer; the header only needs the mode.
    settings = ReportingSettings.model_construct(
        environment="production", data_dir=tmp_path, run_workers=False
    )
    with TestClient(reporting_app.build_app(reporting_app.build(settings, clock=FixedClock(NOW)))) as client:
        answer = client.get("/health")
    assert answer.headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"
