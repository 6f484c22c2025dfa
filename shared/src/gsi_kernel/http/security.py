"""FastAPI dependencies for the bearer token and the access policies (:mod:`.policy`).

Every router of every service is built with :func:`authenticated_router`, so no endpoint can
forget the token; and every endpoint takes its principal through one policy dependency
(``OrgUser``, ``Reader``, ``Admin``, ``Ministry``, ``Manager``, ``CurrentPrincipal`` or
:func:`require_roles`), which refuses the other roles and declares the operation's policy: in
the OpenAPI document (``x-gsi-policy``) and through :func:`operation_policies`, which the
security tests use to fail on an operation that declares none.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.dependencies.models import Dependant
from fastapi.openapi.models import HTTPBearer as HTTPBearerModel
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.security.base import SecurityBase
from starlette.concurrency import run_in_threadpool

from gsi_kernel.auth import Principal, Role, TokenVerifier
from gsi_kernel.errors import Forbidden, Unauthenticated
from gsi_kernel.http import policy as policies
from gsi_kernel.http.policy import OPENAPI_KEY, Policy, Scope
from gsi_kernel.reviewers import ReviewerRegistry

_PRINCIPAL = "gsi.principal"  # the request's verified principal, in its ASGI scope


class BearerAuthentication(SecurityBase):
    """The bearer scheme and the token's verification in one dependency (an instance).

    FastAPI solves each dependency of a route as a node of its own on every request, its
    sub-dependencies again for every dependency that uses them even when their value is cached:
    the scheme, the authentication and the policy check made five of a declaration's seven nodes,
    and solving them a third of the HTTP stack's time in a profile (issue 23); now two of four.
    As a :class:`SecurityBase` this one node still declares the scheme in the OpenAPI document
    (as ``HTTPBearer``, as before); it remembers the principal in the request's scope, where
    each policy check reads it (:func:`requires`)."""

    def __init__(self, *, description: str) -> None:
        self.model = HTTPBearerModel(description=description)
        self.scheme_name = "HTTPBearer"

    async def __call__(self, request: Request) -> Principal:
        found: Principal | None = request.scope.get(_PRINCIPAL)
        if found is None:
            found = request.scope[_PRINCIPAL] = await _verified(request)
        return found


authenticate = BearerAuthentication(description="Jeton JWT (RS256) / JWT bearer token (RS256)")


async def _verified(request: Request) -> Principal:
    scheme, _, token = (request.headers.get("authorization") or "").partition(" ")
    token = token.strip()
    if not (scheme and token) or scheme.lower() != "bearer":
        raise Unauthenticated(
            "auth.missing_token",
            "Jeton d'authentification manquant.",
            "Missing authentication token.",
        )
    verifier: TokenVerifier = request.app.state.verifier
    principal = verifier.verify(token)
    if Role.MINISTRY_REVIEWER not in principal.roles:
        return principal
    # A reviewer's organizations, from the registry on each request (ADR 23); a service that
    # keeps none gives its reviewers none. The query goes to the thread pool: reviewers only.
    registry: ReviewerRegistry | None = getattr(request.app.state, "reviewers", None)
    if registry is None:
        return principal
    return await run_in_threadpool(registry.principal_with_assignments, principal)


PolicyCheck = Callable[..., Awaitable[Principal]]

# One check per policy: the same policy declared twice on a route (router and handler) is one
# dependency, run once per request.
_CHECKS: dict[Policy, PolicyCheck] = {}
_POLICY_OF: dict[PolicyCheck, Policy] = {}


def requires(policy: Policy) -> PolicyCheck:
    """The dependency that lets through only principals holding one of the policy's roles, and
    declares the policy on the operations that use it.

    ``async def``: FastAPI runs a plain ``def`` dependency in its thread pool, a thread hop per
    dependency and request that under load cost more than the check (ADR 10). It takes the
    request rather than ``Depends(authenticate)``: FastAPI would solve that sub-dependency again
    for every route, cached or not."""
    if policy in _CHECKS:
        return _CHECKS[policy]

    async def check(request: Request) -> Principal:
        # The router's authentication ran first (authenticated_router) and left the principal
        # in the scope; a route elsewhere is authenticated here.
        principal = await authenticate(request)
        if not policy.allows(principal):
            raise Forbidden(
                "auth.forbidden_role",
                "Votre rôle ne permet pas cette action.",
                "Your role does not allow this action.",
                details={"required_roles": [str(r) for r in policy.roles], "policy": policy.name},
            )
        return principal

    _CHECKS[policy] = check
    _POLICY_OF[check] = policy
    return check


def require_roles(*roles: Role, scope: Scope | None = None) -> PolicyCheck:
    """:func:`requires` the policy of ``roles`` (scope: see :func:`.policy.policy_for`)."""
    return requires(policies.policy_for(roles, scope))


def policy_of(dependency: Callable[..., Any] | None) -> Policy | None:
    """The policy a dependency declares, if it is a policy check."""
    return _POLICY_OF.get(dependency) if dependency is not None else None


OrgUser = Annotated[Principal, Depends(requires(policies.ORG_USER))]
"""A user of a partner organization (staff or manager), on their own organization."""

Manager = Annotated[Principal, Depends(requires(policies.ORG_MANAGER))]
"""A manager of a partner organization, on their own organization."""

Reader = Annotated[Principal, Depends(requires(policies.READER))]
"""Any role that may read; what each may see is scoped by organization in the queries."""

Admin = Annotated[Principal, Depends(requires(policies.ADMIN))]
"""Program administration at the ministry."""

Ministry = Annotated[Principal, Depends(requires(policies.MINISTRY))]
"""Ministry staff: reviewers (for their assigned organizations) and administrators."""

CurrentPrincipal = Annotated[Principal, Depends(requires(policies.SIGNED_IN))]
"""Any signed-in user, on what is addressed to them."""


def _policies_in(dependant: Dependant) -> Iterator[Policy]:
    for sub in dependant.dependencies:
        found = policy_of(sub.call)
        if found is not None:
            yield found
        yield from _policies_in(sub)


def declared_policies(dependant: Dependant) -> tuple[Policy, ...]:
    """The distinct policies an operation's dependencies declare (one is expected)."""
    return tuple(dict.fromkeys(_policies_in(dependant)))


class PolicyRouter(APIRouter):
    """An APIRouter whose operations publish their policy in the OpenAPI document."""

    def add_api_route(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        super().add_api_route(path, endpoint, **kwargs)
        route = self.routes[-1]
        if isinstance(route, APIRoute):
            found = declared_policies(route.dependant)
            if len(found) == 1:  # none or several: left out, and the security tests fail on it
                route.openapi_extra = {**(route.openapi_extra or {}), OPENAPI_KEY: found[0].to_openapi()}


def authenticated_router(**kwargs: Any) -> APIRouter:
    dependencies = [*kwargs.pop("dependencies", []), Depends(authenticate)]
    return PolicyRouter(dependencies=dependencies, **kwargs)


@dataclass(frozen=True, slots=True)
class OperationPolicy:
    """An operation of an app and the policies it declares."""

    method: str
    path: str
    policies: tuple[Policy, ...]

    @property
    def policy(self) -> Policy | None:
        """The operation's policy; None when it declares none, or several that disagree."""
        return self.policies[0] if len(self.policies) == 1 else None


def operation_policies(app: FastAPI) -> list[OperationPolicy]:
    """Every operation of ``app`` (path as in the OpenAPI document) with its declared policies."""
    found: list[OperationPolicy] = []
    for context in iter_route_contexts(app.routes):
        if not isinstance(context.original_route, APIRoute):
            continue
        declared = declared_policies(context.dependant)
        for method in sorted(context.methods or ()):
            found.append(OperationPolicy(method, str(context.path_format), declared))
    return found
