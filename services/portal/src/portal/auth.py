"""Who is signed in: the person's claims mapped to a :class:`User` by settings (claim names), and
the tokens kept in the server-side session (never in the browser).

Two ways in, one session shape: OpenID Connect (authorization code + PKCE with Authlib; the
ID token's claims make the user, the access token goes to the services), or on a developer's
machine the services' development issuer (``POST /dev/token``; refused in production).

An access token from the provider lives minutes; the refresh token the provider gave with it
renews it (Authlib's refresh grant) shortly before it expires, so a person is not sent to sign
in again in the middle of their work. If the provider refuses (the person's session there ended,
or was revoked), they sign in again and come back where they were, their form kept (ADR 20).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

import httpx
from authlib.integrations.base_client import OAuthError
from starlette.requests import Request

from portal.sessions import ROTATE, carry_kept_form
from portal.settings import PortalSettings

log = logging.getLogger("portal")

_USER_KEY = "user"
_TOKENS_KEY = "tokens"
_KEPT_TOKENS = ("access_token", "id_token", "refresh_token", "expires_at")
# Renewed this long before it expires: a page's backend calls, which may take some seconds,
# still carry a valid token.
REFRESH_MARGIN_SECONDS = 5
ORG_ROLES = frozenset({"org_staff", "org_manager"})


@dataclass(frozen=True)
class User:
    user_id: str
    name: str
    roles: tuple[str, ...]
    organization: str | None = None
    assigned_organizations: tuple[str, ...] = field(default_factory=tuple)
    language: str | None = None

    @property
    def works_for_an_organization(self) -> bool:
        return self.organization is not None and not ORG_ROLES.isdisjoint(self.roles)

    @property
    def is_manager(self) -> bool:
        return "org_manager" in self.roles


class NeedSignIn(Exception):
    """The page needs a signed-in person; the handler sends them to sign in, then back.
    ``user_id``: who was signed in until now (their token could not be renewed), if known."""

    def __init__(self, user_id: str | None = None) -> None:
        super().__init__()
        self.user_id = user_id


class TokenProvider(Protocol):
    """What renewing a token needs of the OpenID Connect client (Authlib's Starlette app)."""

    async def fetch_access_token(self, redirect_uri: str | None = None, **kwargs: Any) -> Any: ...


def user_from_claims(claims: Mapping[str, Any], settings: PortalSettings) -> User:
    """The user a provider's claims describe, by the claim names the settings give."""

    def strings(name: str) -> tuple[str, ...]:
        value = claims.get(name) or ()
        return (value,) if isinstance(value, str) else tuple(str(v) for v in value)

    user_id = str(claims[settings.claim_user_id])
    organization = claims.get(settings.claim_organization)
    language = claims.get(settings.claim_language)
    return User(
        user_id=user_id,
        name=str(claims.get(settings.claim_name) or claims.get("preferred_username") or user_id),
        roles=strings(settings.claim_roles),
        organization=str(organization) if organization else None,
        assigned_organizations=strings(settings.claim_assigned_organizations),
        language=str(language)[:2] if language else None,
    )


def sign_in(session: dict[str, Any], user: User, tokens: Mapping[str, Any]) -> None:
    """Keep the user and their tokens in the session, under a fresh session id."""
    kept = {k: tokens[k] for k in _KEPT_TOKENS if tokens.get(k)}
    before = dict(session)
    language = session.get("language")
    session.clear()  # nothing of the anonymous session (Authlib's state, the old CSRF token) stays
    if language:
        session["language"] = language
    carry_kept_form(before, session, user.user_id)
    session[_USER_KEY] = asdict(user)
    session[_TOKENS_KEY] = kept
    session[ROTATE] = True


def sign_out(session: dict[str, Any]) -> str | None:
    """Forget the person; the ID token, for the provider's end-session request."""
    id_token = (session.get(_TOKENS_KEY) or {}).get("id_token")
    language = session.get("language")
    session.clear()
    if language:
        session["language"] = language
    return str(id_token) if id_token else None


def current_user(session: Mapping[str, Any]) -> User | None:
    data = session.get(_USER_KEY)
    if not isinstance(data, dict):
        return None
    return User(
        **{
            **data,
            "roles": tuple(data["roles"]),
            "assigned_organizations": tuple(data.get("assigned_organizations", ())),
        }
    )


def access_token(session: Mapping[str, Any]) -> str | None:
    token = (session.get(_TOKENS_KEY) or {}).get("access_token")
    return str(token) if token else None


@dataclass(frozen=True)
class SignedIn:
    """A page's signed-in person and the token their backend calls carry."""

    user: User
    token: str


async def signed_in(request: Request) -> SignedIn:
    """Dependency of every page behind sign-in; renews a token about to expire."""
    user, token = current_user(request.session), access_token(request.session)
    if user is None or token is None:
        raise NeedSignIn
    tokens: dict[str, Any] = request.session[_TOKENS_KEY]
    expires_at = tokens.get("expires_at")
    if isinstance(expires_at, int | float) and expires_at - time.time() < REFRESH_MARGIN_SECONDS:
        token = await _renewed(request, user, tokens)
    return SignedIn(user, token)


async def _renewed(request: Request, user: User, tokens: dict[str, Any]) -> str:
    """A new access token from the provider for the refresh token; the person signs in again
    (:class:`NeedSignIn`) when there is none or the provider refuses it."""
    provider: TokenProvider | None = getattr(request.app.state, "oidc", None)
    refresh = tokens.get("refresh_token")
    if provider is None or not refresh:
        sign_out(request.session)
        raise NeedSignIn(user.user_id)
    try:
        answer = await provider.fetch_access_token(grant_type="refresh_token", refresh_token=refresh)
    except (OAuthError, httpx.HTTPError) as refused:
        log.info("token refresh refused for %s: %s", user.user_id, refused)
        sign_out(request.session)
        raise NeedSignIn(user.user_id) from None
    renewed = {**tokens, **{k: answer[k] for k in _KEPT_TOKENS if answer.get(k)}}
    request.session[_TOKENS_KEY] = renewed
    return str(renewed["access_token"])
