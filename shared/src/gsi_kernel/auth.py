"""Authentication and the principal: bearer JWTs (OIDC-style, RS256), verified against a
configured public key or a JWKS endpoint; and a development issuer for the embedded mode and
the tests, which signs with a local RSA key."""

from __future__ import annotations

import hashlib
import json
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from gsi_kernel.errors import Unauthenticated
from gsi_kernel.secrets_files import read_or_create_private_file


class Role(StrEnum):
    ORG_STAFF = "org_staff"
    ORG_MANAGER = "org_manager"
    MINISTRY_REVIEWER = "ministry_reviewer"
    ADMIN = "admin"


ORG_ROLES = frozenset({Role.ORG_STAFF, Role.ORG_MANAGER})


@dataclass(frozen=True, slots=True)
class Principal:
    """Who calls: user and roles from the token; ``assigned_organizations`` from GSI's reviewer
    registry (:mod:`gsi_kernel.reviewers`), filled in per request for a reviewer."""

    user_id: str
    roles: frozenset[Role]
    organization: str | None = None
    assigned_organizations: frozenset[str] = field(default_factory=frozenset)
    language: str = "fr"

    def has_any(self, roles: Iterable[Role]) -> bool:
        return not self.roles.isdisjoint(roles)


def readable_organizations(principal: Principal) -> frozenset[str]:
    """Organizations whose data the principal may read (admins: see ``may_read_organization``)."""
    own = {principal.organization} if principal.organization else set()
    return frozenset(own | principal.assigned_organizations)


def may_read_organization(principal: Principal, organization: str) -> bool:
    return Role.ADMIN in principal.roles or organization in readable_organizations(principal)


class TokenVerifier:
    """Checks signature, issuer, audience and expiry, and builds the principal.

    A token that verified is remembered until it expires (a bounded, least-recently-used set):
    a client sends the same token with every request, and an RS256 signature check costs more
    than many a request's own work (ADR 10). Expiry is still checked on every request."""

    def __init__(
        self,
        *,
        issuer: str,
        audience: str,
        public_key_pem: bytes | None = None,
        jwks_url: str | None = None,
        remembered: int = 4096,
    ) -> None:
        if not (public_key_pem or jwks_url):
            raise ValueError("a public key or a JWKS URL is needed to verify tokens")
        self._issuer = issuer
        self._audience = audience
        self._key = serialization.load_pem_public_key(public_key_pem) if public_key_pem else None
        self._jwks = jwt.PyJWKClient(jwks_url) if jwks_url else None
        self._verified: OrderedDict[bytes, tuple[Principal, float]] = OrderedDict()
        self._remembered = remembered
        self._lock = threading.Lock()

    def verify(self, token: str) -> Principal:
        digest = hashlib.sha256(token.encode()).digest()
        with self._lock:
            known = self._verified.get(digest)
            if known is not None:
                self._verified.move_to_end(digest)
        if known is not None:
            principal, expires = known
            if now_epoch() < expires:
                return principal
            with self._lock:
                self._verified.pop(digest, None)
            raise _token_error("auth.token_expired", "Le jeton a expiré.", "The token has expired.")
        principal, expires = self._decode(token)
        with self._lock:
            self._verified[digest] = (principal, expires)
            while len(self._verified) > self._remembered:
                self._verified.popitem(last=False)
        return principal

    def _decode(self, token: str) -> tuple[Principal, float]:
        try:
            key: Any = self._key if self._key is not None else self._signing_key(token)
            claims = jwt.decode(
                token,
                key,
                algorithms=["RS256"],
                issuer=self._issuer,
                audience=self._audience,
                options={"require": ["exp", "iat", "sub", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise _token_error("auth.token_expired", "Le jeton a expiré.", "The token has expired.") from exc
        except jwt.InvalidIssuerError as exc:
            raise _token_error(
                "auth.wrong_issuer", "Émetteur du jeton inconnu.", "Unknown token issuer."
            ) from exc
        except jwt.PyJWTError as exc:
            raise _token_error("auth.invalid_token", "Jeton invalide.", "Invalid token.") from exc
        return _principal(claims), float(claims["exp"])

    def _signing_key(self, token: str) -> Any:
        assert self._jwks is not None
        return self._jwks.get_signing_key_from_jwt(token).key


def now_epoch() -> float:
    """Wall-clock seconds, as tokens' ``exp`` counts them (a seam for the tests)."""
    return time.time()


def _token_error(code: str, fr: str, en: str) -> Unauthenticated:
    return Unauthenticated(code, fr, en)


def _principal(claims: dict[str, Any]) -> Principal:
    try:
        roles = frozenset(Role(r) for r in claims.get("roles", []))
    except ValueError as exc:
        raise _token_error(
            "auth.invalid_token", "Rôle inconnu dans le jeton.", "Unknown role in token."
        ) from exc
    return Principal(
        user_id=str(claims["sub"]),
        roles=roles,
        organization=claims.get("org"),
        # A reviewer's organizations come from GSI's registry on each request, never from the
        # identity provider (ADR 23): an ``assigned_orgs`` claim is ignored.
        language=str(claims.get("locale", "fr"))[:2],
    )


class DevTokenIssuer:
    """Mints tokens for development and tests. Never enabled in production (settings refuse).

    ``assigned_organizations`` still writes an ``assigned_orgs`` claim, as an identity provider
    might: the services ignore it (ADR 23), and the tests show that they do."""

    def __init__(self, private_key_pem: bytes, *, issuer: str, audience: str) -> None:
        self._private_pem = private_key_pem
        private_key = serialization.load_pem_private_key(private_key_pem, password=None)
        assert isinstance(private_key, rsa.RSAPrivateKey)
        self.public_key_pem = private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        self._issuer = issuer
        self._audience = audience
        self.kid = "gsi-dev"

    def issue(
        self,
        *,
        user_id: str,
        roles: Iterable[Role | str],
        organization: str | None = None,
        assigned_organizations: Iterable[str] = (),
        language: str = "fr",
        now: datetime,
        ttl: timedelta = timedelta(hours=8),
        issuer: str | None = None,
    ) -> str:
        claims = {
            "sub": user_id,
            "iss": issuer or self._issuer,
            "aud": self._audience,
            "iat": int(now.timestamp()),
            "exp": int((now + ttl).timestamp()),
            "jti": str(uuid.uuid4()),
            "roles": [str(r) for r in roles],
            "org": organization,
            "assigned_orgs": sorted(assigned_organizations),
            "locale": language,
        }
        return jwt.encode(claims, self._private_pem, algorithm="RS256", headers={"kid": self.kid})

    def jwks(self) -> dict[str, Any]:
        public_key = serialization.load_pem_public_key(self.public_key_pem)
        assert isinstance(public_key, rsa.RSAPublicKey)
        jwk = json.loads(RSAAlgorithm.to_jwk(public_key))
        jwk.update({"kid": self.kid, "use": "sig", "alg": "RS256"})
        return {"keys": [jwk]}


def load_or_create_dev_key(path: Path) -> bytes:
    """The development signing key, created on first use (mode 0600); safe across processes."""

    def make() -> bytes:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        return key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )

    return read_or_create_private_file(path, make)
