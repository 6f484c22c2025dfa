"""Authentication and policy as FastAPI dependencies (gsi_kernel.http.security): the token is
verified once per request however many dependencies need the principal, a policy guards a
route even outside an authenticated router, and the OpenAPI document still declares the bearer
scheme on the operations of an authenticated router. The edge is one ASGI layer (gsi_kernel.http.edge_layer)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient
from opentelemetry import trace

from gsi_kernel.auth import DevTokenIssuer, Principal, TokenVerifier, load_or_create_dev_key
from gsi_kernel.http.app import add_edge_middleware
from gsi_kernel.http.edge_layer import EdgeLayer
from gsi_kernel.http.errors import install_error_handlers
from gsi_kernel.http.security import Admin, OrgUser, authenticated_router
from gsi_kernel.settings import ServiceSettings


class CountingVerifier(TokenVerifier):
    """Counts the verifications a request asks for."""

    calls = 0

    def verify(self, token: str) -> Principal:
        CountingVerifier.calls += 1
        return super().verify(token)


@pytest.fixture(scope="module")
def issuer(tmp_path_factory: pytest.TempPathFactory) -> DevTokenIssuer:
    pem = load_or_create_dev_key(tmp_path_factory.mktemp("keys") / "dev.pem")
    return DevTokenIssuer(pem, issuer="gsi-dev-issuer", audience="gsi")


def bearer(issuer: DevTokenIssuer, roles: list[str]) -> dict[str, str]:
    token = issuer.issue(user_id="karine", roles=roles, organization="o", now=datetime.now(UTC))
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def app(issuer: DevTokenIssuer) -> FastAPI:
    app = FastAPI()
    app.state.verifier = CountingVerifier(
        issuer="gsi-dev-issuer", audience="gsi", public_key_pem=issuer.public_key_pem
    )
    install_error_handlers(app)
    guarded = authenticated_router(prefix="/guarded")

    @guarded.get("/own")
    async def own(principal: OrgUser) -> dict[str, Any]:
        return {"user": principal.user_id}

    plain = APIRouter(prefix="/plain")  # no router-level authentication: the policy alone

    @plain.get("/admin")
    async def admin(principal: Admin) -> dict[str, Any]:
        return {"user": principal.user_id}

    app.include_router(guarded)
    app.include_router(plain)
    return app


def test_the_token_is_verified_once_per_request(app: FastAPI, issuer: DevTokenIssuer) -> None:
    client = TestClient(app)
    headers = bearer(issuer, ["org_staff"])
    CountingVerifier.calls = 0
    assert client.get("/guarded/own", headers=headers).json() == {"user": "karine"}
    assert CountingVerifier.calls == 1  # the router's authentication and the policy: one check


@pytest.mark.parametrize(("headers_of", "status"), [(None, 401), (["org_staff"], 403), (["admin"], 200)])
def test_a_policy_guards_a_route_outside_an_authenticated_router(
    app: FastAPI, issuer: DevTokenIssuer, headers_of: list[str] | None, status: int
) -> None:
    headers = bearer(issuer, headers_of) if headers_of else {}
    answer = TestClient(app).get("/plain/admin", headers=headers)
    assert answer.status_code == status, answer.text


@pytest.mark.parametrize("authorization", ["Basic a2FyaW5lOng=", "Bearer", "Bearer   ", "token"])
def test_anything_but_a_bearer_token_is_a_missing_token(app: FastAPI, authorization: str) -> None:
    answer = TestClient(app).get("/guarded/own", headers={"Authorization": authorization})
    assert answer.status_code == 401
    assert answer.json()["code"] == "auth.missing_token"


def test_an_authenticated_routers_operations_declare_the_bearer_scheme(app: FastAPI) -> None:
    document = app.openapi()
    assert document["components"]["securitySchemes"] == {
        "HTTPBearer": {
            "type": "http",
            "scheme": "bearer",
            "description": "Jeton JWT (RS256) / JWT bearer token (RS256)",
        }
    }
    # The router's authentication declares it (every service's router is an authenticated one).
    assert document["paths"]["/guarded/own"]["get"]["security"] == [{"HTTPBearer": []}]


class EdgeSettings(ServiceSettings):
    service = "edge"


def test_the_edge_is_one_layer(app: FastAPI) -> None:
    add_edge_middleware(app, EdgeSettings(), {}, tracer=trace.get_tracer("test"))
    layers: list[object] = [m.cls for m in app.user_middleware]
    assert layers == [EdgeLayer]
