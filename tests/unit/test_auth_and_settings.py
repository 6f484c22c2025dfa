"""Tokens, the principal, and settings that refuse development defaults in production."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError

from gsi_kernel import auth
from gsi_kernel.auth import (
    DevTokenIssuer,
    Principal,
    Role,
    TokenVerifier,
    load_or_create_dev_key,
    may_read_organization,
)
from gsi_kernel.errors import Unauthenticated
from gsi_kernel.settings import ServiceSettings

NOW = datetime.now(UTC)


@pytest.fixture(scope="module")
def issuer(tmp_path_factory: pytest.TempPathFactory) -> DevTokenIssuer:
    pem = load_or_create_dev_key(tmp_path_factory.mktemp("keys") / "dev.pem")
    return DevTokenIssuer(pem, issuer="gsi-dev-issuer", audience="gsi")


def verifier(issuer: DevTokenIssuer) -> TokenVerifier:
    return TokenVerifier(issuer="gsi-dev-issuer", audience="gsi", public_key_pem=issuer.public_key_pem)


def test_a_valid_token_gives_the_principal_without_the_claimed_assignments(issuer: DevTokenIssuer) -> None:
    """Roles come from the token; a reviewer's organizations never do (ADR 23): the registry
    fills them in on each request (gsi_kernel.reviewers)."""
    token = issuer.issue(
        user_id="nadia", roles=[Role.MINISTRY_REVIEWER], assigned_organizations=["org-a", "org-b"], now=NOW
    )
    principal = verifier(issuer).verify(token)
    assert principal == Principal("nadia", frozenset({Role.MINISTRY_REVIEWER}), None, frozenset())
    assert not may_read_organization(principal, "org-a")
    assigned = Principal("nadia", frozenset({Role.MINISTRY_REVIEWER}), None, frozenset({"org-a"}))
    assert may_read_organization(assigned, "org-a")
    assert not may_read_organization(assigned, "org-c")


def test_a_verified_token_is_remembered_until_it_expires(
    issuer: DevTokenIssuer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The signature is checked once per token; expiry on every use; the memory is bounded."""
    decoded: list[str] = []
    decode = TokenVerifier._decode
    monkeypatch.setattr(TokenVerifier, "_decode", lambda self, t: decoded.append(t) or decode(self, t))
    now = datetime.now(UTC)
    tokens = [issuer.issue(user_id=u, roles=["org_staff"], now=now, ttl=timedelta(minutes=5)) for u in "abc"]
    remembering = TokenVerifier(
        issuer="gsi-dev-issuer", audience="gsi", public_key_pem=issuer.public_key_pem, remembered=2
    )
    assert [remembering.verify(tokens[0]).user_id for _ in range(3)] == ["a", "a", "a"]
    assert len(decoded) == 1
    remembering.verify(tokens[1])
    remembering.verify(tokens[2])  # forgets tokens[0], the least recently used
    remembering.verify(tokens[0])
    assert decoded == [tokens[0], tokens[1], tokens[2], tokens[0]]
    monkeypatch.setattr(auth, "now_epoch", lambda: time.time() + 600)
    with pytest.raises(Unauthenticated) as raised:
        remembering.verify(tokens[0])
    assert raised.value.code == "auth.token_expired"


@pytest.mark.parametrize(
    ("make", "code"),
    [
        (
            lambda i: i.issue(user_id="u", roles=["org_staff"], now=NOW - timedelta(hours=9)),
            "auth.token_expired",
        ),
        (lambda i: i.issue(user_id="u", roles=["org_staff"], now=NOW, issuer="evil"), "auth.wrong_issuer"),
        (lambda i: i.issue(user_id="u", roles=["org_staff"], now=NOW)[:-4] + "AAAA", "auth.invalid_token"),
        (lambda i: i.issue(user_id="u", roles=["superuser"], now=NOW), "auth.invalid_token"),
        (lambda _i: "not-a-jwt", "auth.invalid_token"),
    ],
)
def test_bad_tokens_are_refused_with_a_code(issuer: DevTokenIssuer, make, code: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(Unauthenticated) as raised:
        verifier(issuer).verify(make(issuer))
    assert raised.value.code == code
    assert raised.value.status == 401


def test_a_token_signed_by_another_key_is_refused(issuer: DevTokenIssuer, tmp_path: Path) -> None:
    other = DevTokenIssuer(
        load_or_create_dev_key(tmp_path / "other.pem"), issuer="gsi-dev-issuer", audience="gsi"
    )
    with pytest.raises(Unauthenticated):
        verifier(issuer).verify(other.issue(user_id="u", roles=["admin"], now=NOW))


def test_the_dev_key_is_created_once_and_kept_private(tmp_path: Path) -> None:
    path = tmp_path / "k" / "dev.pem"
    first = load_or_create_dev_key(path)
    assert load_or_create_dev_key(path) == first
    assert path.stat().st_mode & 0o777 == 0o600


class DemoSettings(ServiceSettings):
    service = "demo"
    holds_personal_data = True


class NoPersonalData(ServiceSettings):
    service = "counts"


def test_development_settings_default_to_the_embedded_mode() -> None:
    settings = DemoSettings()
    assert settings.bus == "embedded"
    assert settings.resolved_database_url.startswith("sqlite:///")


def test_production_refuses_every_development_default() -> None:
    with pytest.raises(ValidationError) as raised:
        DemoSettings(environment="production")
    message = str(raised.value)
    assert "refusing production settings" in message
    for problem in ("token issuer", "JWT verification key", "embedded log", "SQLite"):
        assert problem in message


def test_production_refuses_a_well_known_database_password() -> None:
    with pytest.raises(ValidationError, match="well-known"):
        DemoSettings(
            environment="production",
            dev_issuer_enabled=False,
            jwks_url="https://sso.example/jwks",
            jwt_issuer="https://sso.example",
            bus="kafka",
            database_url="postgresql+psycopg://gsi:gsi@db/gsi",
        )


def test_production_accepts_real_settings() -> None:
    settings = DemoSettings(
        environment="production",
        dev_issuer_enabled=False,
        jwks_url="https://sso.example/jwks",
        jwt_issuer="https://sso.example",
        bus="kafka",
        database_url="postgresql+psycopg://gsi:8f3!kq@db/gsi",
        master_key="MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",  # type: ignore[arg-type]
    )
    assert settings.resolved_schema == "demo"


def test_service_prefix_overrides_the_common_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    from pydantic_settings import SettingsConfigDict

    class Scoped(ServiceSettings):
        model_config = SettingsConfigDict(env_prefix="GSI_SCOPED_", extra="ignore")
        service = "scoped"

    monkeypatch.setenv("GSI_LOG_LEVEL", "DEBUG")
    monkeypatch.setenv("GSI_HTTP_PORT", "9000")
    monkeypatch.setenv("GSI_SCOPED_HTTP_PORT", "9100")
    settings = Scoped()
    assert settings.log_level == "DEBUG"
    assert settings.http_port == 9100


def test_production_refuses_the_development_issuer_name() -> None:
    with pytest.raises(ValidationError, match="JWT issuer is the development one"):
        DemoSettings(environment="production", jwt_issuer="gsi-dev-issuer")


def test_kafka_security_options_reach_the_client() -> None:
    settings = DemoSettings(
        kafka_security_protocol="SASL_SSL",
        kafka_sasl_mechanism="SCRAM-SHA-512",
        kafka_sasl_username="gsi",
        kafka_sasl_password="s3cret",  # type: ignore[arg-type]
        kafka_ssl_cafile="/etc/ca.pem",  # type: ignore[arg-type]
    )
    assert settings.kafka_client_options() == {
        "security_protocol": "SASL_SSL",
        "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": "gsi",
        "sasl_plain_password": "s3cret",
        "ssl_cafile": "/etc/ca.pem",
    }
    assert "s3cret" not in repr(settings)


def test_tokens_verify_against_a_jwks_endpoint(issuer: DevTokenIssuer) -> None:
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    body = json.dumps(issuer.jwks()).encode()

    class Jwks(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Jwks)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/.well-known/jwks.json"
        jwks_verifier = TokenVerifier(issuer="gsi-dev-issuer", audience="gsi", jwks_url=url)
        principal = jwks_verifier.verify(
            issuer.issue(user_id="sophie", roles=["org_manager"], organization="o", now=NOW)
        )
        assert principal.user_id == "sophie"
        assert principal.organization == "o"
    finally:
        server.shutdown()


REAL_PRODUCTION = {
    "environment": "production",
    "dev_issuer_enabled": False,
    "jwks_url": "https://sso.example/jwks",
    "jwt_issuer": "https://sso.example",
    "bus": "kafka",
    "database_url": "postgresql+psycopg://gsi:8f3!kq@db/gsi",
}


def test_production_refuses_a_missing_master_key() -> None:
    with pytest.raises(ValidationError, match="no master key for personal data"):
        DemoSettings(**REAL_PRODUCTION)  # type: ignore[arg-type]


def test_a_service_without_personal_data_needs_no_master_key() -> None:
    assert NoPersonalData(**REAL_PRODUCTION).master_key is None  # type: ignore[arg-type]


def test_production_accepts_a_master_key_and_keeps_it_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    import base64
    import os

    key = os.urandom(32)
    monkeypatch.setenv("GSI_MASTER_KEY", base64.b64encode(key).decode())
    settings = DemoSettings(**REAL_PRODUCTION)  # type: ignore[arg-type]
    assert settings.master_key_bytes() == key
    assert base64.b64encode(key).decode() not in repr(settings)


@pytest.mark.parametrize("value", ["not base64!", "c2hvcnQ=", ""])
def test_a_master_key_that_is_not_base64_of_32_bytes_is_refused(value: str) -> None:
    with pytest.raises(ValidationError, match="master key must be base64"):
        DemoSettings(master_key=value)  # type: ignore[arg-type]


def test_development_creates_a_private_master_key_file_once(tmp_path: Path) -> None:
    settings = DemoSettings(data_dir=tmp_path / "data")
    key = settings.master_key_bytes()
    assert len(key) == 32
    assert settings.dev_master_key_file == tmp_path / "data" / "dev-master-key"
    assert settings.dev_master_key_file.stat().st_mode & 0o777 == 0o600
    assert DemoSettings(data_dir=tmp_path / "data").master_key_bytes() == key
    assert list((tmp_path / "data").iterdir()) == [settings.dev_master_key_file]  # no temporary left
