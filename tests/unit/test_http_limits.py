"""The HTTP edge of every service, on a small app built like ``create_app`` builds theirs: body
size (413 before the body is read in full, per-route limits), per-user rate limits (429 with
Retry-After), security headers and CORS."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Annotated, Any

import pytest
from fastapi import FastAPI, File, Response, UploadFile
from fastapi.testclient import TestClient
from opentelemetry import trace

from gsi_kernel.auth import DevTokenIssuer, TokenVerifier
from gsi_kernel.http.app import add_edge_middleware
from gsi_kernel.http.errors import install_error_handlers
from gsi_kernel.http.headers import security_headers
from gsi_kernel.http.limits import route_limits
from gsi_kernel.settings import ServiceSettings

KIB = 1024


class EdgeSettings(ServiceSettings):
    service = "edge"


@pytest.fixture(scope="module")
def issuer(tmp_path_factory: pytest.TempPathFactory) -> DevTokenIssuer:
    from gsi_kernel.auth import load_or_create_dev_key

    pem = load_or_create_dev_key(tmp_path_factory.mktemp("keys") / "dev.pem")
    return DevTokenIssuer(pem, issuer="gsi-dev-issuer", audience="gsi")


def bearer(issuer: DevTokenIssuer, user: str) -> dict[str, str]:
    token = issuer.issue(user_id=user, roles=["org_staff"], organization="o", now=datetime.now(UTC))
    return {"Authorization": f"Bearer {token}"}


def edge_app(issuer: DevTokenIssuer, body_limits: dict[str, int] | None = None, **settings: Any) -> FastAPI:
    app = FastAPI()
    app.state.verifier = TokenVerifier(
        issuer="gsi-dev-issuer", audience="gsi", public_key_pem=issuer.public_key_pem
    )
    install_error_handlers(app)

    @app.get("/things")
    def things() -> dict[str, str]:
        return {"ok": "yes"}

    @app.post("/things")
    def add_thing(body: dict[str, Any]) -> dict[str, int]:
        return {"keys": len(body)}

    @app.post("/upload")
    async def upload(file: Annotated[UploadFile, File()]) -> dict[str, int]:
        return {"size": len(await file.read())}

    @app.post("/small", max_body_size=2 * KIB)
    def small(body: dict[str, Any]) -> dict[str, int]:
        return {"keys": len(body)}

    @app.get("/cached")
    def cached() -> Response:
        return Response("{}", headers={"Cache-Control": "max-age=60"}, media_type="application/json")

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    add_edge_middleware(app, EdgeSettings(**settings), body_limits or {}, tracer=trace.get_tracer("test"))
    return app


@pytest.fixture
def client(issuer: DevTokenIssuer) -> Iterator[TestClient]:
    app = edge_app(issuer, max_body_bytes=8 * KIB, upload_max_bytes=32 * KIB)
    with TestClient(app) as c:
        yield c


def assert_refused(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["code"] == code
    assert body["message"]["fr"] != body["message"]["en"]
    assert all(body["message"].values())
    return body


# ---- body size ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "size", "limit"),
    [("/things", 9 * KIB, 8 * KIB), ("/small", 3 * KIB, 2 * KIB)],
)
def test_a_body_announced_too_large_is_refused_with_413(
    client: TestClient, path: str, size: int, limit: int
) -> None:
    body = assert_refused(
        client.post(path, content=b"x" * size, headers={"Content-Type": "application/json"}),
        413,
        "request.too_large",
    )
    assert body["details"] == {"limit_bytes": limit}
    assert body["message"]["en"].endswith(f"{limit // KIB} KB.")


def test_a_body_of_unannounced_length_is_refused_once_it_passes_the_limit(client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"a": "'
        for _ in range(20):
            yield b"x" * KIB
        yield b'"}'

    response = client.post("/things", content=chunks(), headers={"Content-Type": "application/json"})
    assert "content-length" not in {k.lower() for k in response.request.headers}
    assert_refused(response, 413, "request.too_large")


def test_bodies_within_the_limit_pass(client: TestClient) -> None:
    answer = client.post("/things", json={"a": "x" * (6 * KIB)})
    assert (answer.status_code, answer.json()) == (200, {"keys": 1})


def test_a_file_upload_route_takes_the_upload_limit(client: TestClient) -> None:
    ok = client.post("/upload", files={"file": ("f.csv", b"x" * (20 * KIB), "text/csv")})
    assert (ok.status_code, ok.json()) == (200, {"size": 20 * KIB})
    too_big = client.post("/upload", files={"file": ("f.csv", b"x" * (40 * KIB), "text/csv")})
    assert_refused(too_big, 413, "request.too_large")


def test_a_service_can_set_a_routes_own_limit(issuer: DevTokenIssuer) -> None:
    app = edge_app(issuer, body_limits={"/upload": 64 * KIB}, upload_max_bytes=16 * KIB)
    with TestClient(app) as c:
        answer = c.post("/upload", files={"file": ("f.csv", b"x" * (40 * KIB), "text/csv")})
    assert (answer.status_code, answer.json()) == (200, {"size": 40 * KIB})


def test_a_limit_for_a_path_no_route_has_is_a_mistake(issuer: DevTokenIssuer) -> None:
    with pytest.raises(ValueError, match="/imprts"):
        edge_app(issuer, body_limits={"/imprts": 64 * KIB})


def test_route_limits_lists_only_routes_off_the_default(issuer: DevTokenIssuer) -> None:
    app = edge_app(issuer)
    found = {r.path: r.max_bytes for r in route_limits(app.routes, upload_max_bytes=99, overrides={})}
    assert found == {"/upload": 99, "/small": 2 * KIB}


# ---- rate limits --------------------------------------------------------------------------------


@pytest.fixture
def limited(issuer: DevTokenIssuer) -> Iterator[TestClient]:
    app = edge_app(issuer, rate_limit_enabled=True, rate_limit_reads="3/minute", rate_limit_writes="2/minute")
    with TestClient(app) as c:
        yield c


def test_a_user_over_the_read_budget_gets_429_with_retry_after(
    limited: TestClient, issuer: DevTokenIssuer
) -> None:
    karine = bearer(issuer, "karine")
    assert [limited.get("/things", headers=karine).status_code for _ in range(3)] == [200, 200, 200]
    refused = limited.get("/things", headers=karine)
    body = assert_refused(refused, 429, "request.rate_limited")
    retry_after = int(refused.headers["Retry-After"])
    assert 1 <= retry_after <= 60
    assert body["details"] == {"limit": "3 per 1 minute", "retry_after_seconds": retry_after}
    assert limited.get("/things", headers=bearer(issuer, "marc")).status_code == 200  # another user
    assert limited.post("/things", headers=karine, json={}).status_code == 200  # writes: own budget


def test_writes_have_their_own_smaller_budget(limited: TestClient, issuer: DevTokenIssuer) -> None:
    karine = bearer(issuer, "karine")
    codes = [limited.post("/things", headers=karine, json={}).status_code for _ in range(3)]
    assert codes == [200, 200, 429]


def test_two_tokens_of_one_user_share_the_budget_and_bad_tokens_count_per_address(
    limited: TestClient, issuer: DevTokenIssuer
) -> None:
    codes = [limited.get("/things", headers=bearer(issuer, "karine")).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]  # a fresh token each time: still karine
    forged = {"Authorization": "Bearer not-a-token"}
    codes = [limited.get("/things", headers=forged).status_code for _ in range(3)]
    assert codes == [200, 200, 200]  # the route does not check tokens here; the address counts
    assert limited.get("/things").status_code == 429  # same address, no token


def test_probes_are_not_limited(limited: TestClient) -> None:
    assert {limited.get("/health").status_code for _ in range(10)} == {200}


def test_rate_limits_are_off_in_development_unless_asked(issuer: DevTokenIssuer) -> None:
    assert EdgeSettings().rate_limits_on is False
    assert EdgeSettings(rate_limit_enabled=True).rate_limits_on is True
    with TestClient(edge_app(issuer, rate_limit_reads="1/minute")) as c:
        assert {c.get("/things").status_code for _ in range(5)} == {200}


@pytest.mark.parametrize("value", ["lots", "600 a minute", ""])
def test_a_rate_limit_that_does_not_parse_is_refused(value: str) -> None:
    with pytest.raises(ValueError, match="rate_limit_reads"):
        EdgeSettings(rate_limit_reads=value)


# ---- security headers and CORS ------------------------------------------------------------------

EXPECTED = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "content-security-policy": "default-src 'none'; frame-ancestors 'none'",
    "referrer-policy": "no-referrer",
    "cache-control": "no-store",
}


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [("GET", "/things", 200), ("GET", "/nowhere", 404), ("POST", "/things", 422)],
)
def test_every_answer_carries_the_security_headers(
    client: TestClient, method: str, path: str, status: int
) -> None:
    answer = client.request(method, path, content=b"[]" if method == "POST" else None)
    assert answer.status_code == status
    assert {k: answer.headers.get(k) for k in EXPECTED} == EXPECTED
    assert "strict-transport-security" not in answer.headers  # development


def test_a_routes_own_cache_policy_stands(client: TestClient) -> None:
    assert client.get("/cached").headers["cache-control"] == "max-age=60"


def test_the_documentation_loads_from_the_service_only_and_is_not_framed() -> None:
    docs = security_headers("/docs", hsts_max_age=None)
    csp = docs["Content-Security-Policy"]
    assert "default-src 'none'; script-src 'self';" in csp
    assert "frame-ancestors 'none'" in csp
    assert "Strict-Transport-Security" not in docs
    production = security_headers("/persons", hsts_max_age=31536000)
    assert production["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def preflight(c: TestClient, origin: str) -> Any:
    return c.options(
        "/things",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization",
        },
    )


def test_no_cors_unless_configured(client: TestClient) -> None:
    answer = preflight(client, "https://evil.example")
    assert "access-control-allow-origin" not in answer.headers
    assert (
        "access-control-allow-origin"
        not in client.get("/things", headers={"Origin": "https://evil.example"}).headers
    )


def test_cors_allows_only_the_configured_origins(issuer: DevTokenIssuer) -> None:
    app = edge_app(issuer, cors_origins="https://gsi.quebec.example, https://admin.gsi.quebec.example")
    with TestClient(app) as c:
        allowed = preflight(c, "https://admin.gsi.quebec.example")
        assert allowed.status_code == 200
        assert allowed.headers["access-control-allow-origin"] == "https://admin.gsi.quebec.example"
        assert "authorization" in allowed.headers["access-control-allow-headers"].lower()
        refused = preflight(c, "https://evil.example")
        assert refused.status_code == 400
        assert "access-control-allow-origin" not in refused.headers
        simple = c.get("/things", headers={"Origin": "https://gsi.quebec.example"})
        assert simple.headers["access-control-allow-origin"] == "https://gsi.quebec.example"
        assert simple.headers["x-content-type-options"] == "nosniff"
