"""FastAPI dependencies for the bearer token and roles.

Every router of every service is built with :func:`authenticated_router` (or lists
``Depends(authenticate)`` itself), so no endpoint can forget the token; the test suite checks it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from gsi_kernel.auth import Principal, Role, TokenVerifier
from gsi_kernel.errors import Forbidden, Unauthenticated

_bearer = HTTPBearer(auto_error=False, description="Jeton JWT (RS256) / JWT bearer token (RS256)")


async def authenticate(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthenticated(
            "auth.missing_token",
            "Jeton d'authentification manquant.",
            "Missing authentication token.",
        )
    verifier: TokenVerifier = request.app.state.verifier
    return verifier.verify(credentials.credentials)


CurrentPrincipal = Annotated[Principal, Depends(authenticate)]


def require_roles(*roles: Role) -> Callable[..., Awaitable[Principal]]:
    """A dependency that lets through only principals holding one of ``roles``.

    Dependencies here are ``async def``: FastAPI runs a plain ``def`` one in its thread pool, a
    thread hop per dependency and request that under load cost more than the check (ADR 10)."""

    async def check(principal: CurrentPrincipal) -> Principal:
        if not principal.has_any(roles):
            raise Forbidden(
                "auth.forbidden_role",
                "Votre rôle ne permet pas cette action.",
                "Your role does not allow this action.",
                details={"required_roles": [str(r) for r in roles]},
            )
        return principal

    return check


OrgUser = Annotated[Principal, Depends(require_roles(Role.ORG_STAFF, Role.ORG_MANAGER))]
"""A user of a partner organization (staff or manager)."""

Reader = Annotated[
    Principal,
    Depends(require_roles(Role.ORG_STAFF, Role.ORG_MANAGER, Role.MINISTRY_REVIEWER, Role.ADMIN)),
]
"""Any role that may read; what each may see is scoped by organization in the queries."""

Admin = Annotated[Principal, Depends(require_roles(Role.ADMIN))]
"""Program administration at the ministry."""

Ministry = Annotated[Principal, Depends(require_roles(Role.MINISTRY_REVIEWER, Role.ADMIN))]
"""Ministry staff: reviewers (for their assigned organizations) and administrators."""


def authenticated_router(**kwargs: Any) -> APIRouter:
    dependencies = [*kwargs.pop("dependencies", []), Depends(authenticate)]
    return APIRouter(dependencies=dependencies, **kwargs)
