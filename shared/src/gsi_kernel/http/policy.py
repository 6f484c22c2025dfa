"""Who may call an operation, and on which organizations' objects: the access policies, written
once, that every endpoint declares (through :mod:`gsi_kernel.http.security`) and that the app
layers apply to the objects they load.

A policy has two halves:

* the **roles** that may call the operation at all (function level, OWASP API5) — checked by
  the endpoint's dependency, refused with 403 ``auth.forbidden_role``;
* the **scope**: the organizations whose objects the caller may touch (object level, OWASP
  API1) — checked by the app layer once it knows the object's organization, refused with the
  object's own 404, the answer an object that does not exist gets (no hint of another tenant).

Nothing here imports FastAPI: app layers use :func:`require_in_scope` and
:func:`own_organization` without depending on the web framework. Each policy publishes itself
in the OpenAPI document under :data:`OPENAPI_KEY`, so a client — and the cross-tenant tests —
can read every operation's policy from the document alone.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from gsi_kernel.auth import ORG_ROLES, Principal, Role
from gsi_kernel.errors import Forbidden, GsiError

OPENAPI_KEY = "x-gsi-policy"
"""The operation's policy in the OpenAPI document: name, roles, scope, description (fr, en)."""


class Scope(StrEnum):
    """The organizations whose objects a caller may touch through an operation."""

    OWN_ORGANIZATION = "own_organization"
    """The caller's own organization only (partner organizations' users)."""
    READABLE_ORGANIZATIONS = "readable_organizations"
    """Own organization; a reviewer's assigned organizations; every organization for an admin."""
    ASSIGNED_ORGANIZATIONS = "assigned_organizations"
    """A reviewer's assigned organizations; every organization for an admin."""
    PROGRAM = "program"
    """No organization's object: program-wide configuration or reference data."""


_SCOPE_TEXT = {
    Scope.OWN_ORGANIZATION: ("son propre organisme", "their own organization"),
    Scope.READABLE_ORGANIZATIONS: (
        "son organisme, ses organismes assignés (conseillers) ou tous (administration)",
        "their organization, their assigned organizations (reviewers) or all (admins)",
    ),
    Scope.ASSIGNED_ORGANIZATIONS: (
        "ses organismes assignés (conseillers) ou tous (administration)",
        "their assigned organizations (reviewers) or all (admins)",
    ),
    Scope.PROGRAM: ("l'ensemble du programme", "the whole program"),
}


@dataclass(frozen=True, slots=True)
class Policy:
    """Roles allowed to call, and the scope of the objects they may touch. Roles are kept in
    :class:`Role`'s order, so two declarations of the same roles are the same policy."""

    name: str
    roles: tuple[Role, ...]
    scope: Scope

    def allows(self, principal: Principal) -> bool:
        """Function level: may this principal call the operation at all?"""
        return principal.has_any(self.roles)

    def covers(self, principal: Principal, organization_id: str) -> bool:
        """Object level: may this principal touch an object of ``organization_id``?"""
        return self.allows(principal) and in_scope(principal, organization_id, self.scope)

    def description(self) -> tuple[str, str]:
        """French, then English."""
        fr_scope, en_scope = _SCOPE_TEXT[self.scope]
        roles = ", ".join(self.roles)
        return f"Rôles : {roles} — portée : {fr_scope}", f"Roles: {roles} — scope: {en_scope}"

    def to_openapi(self) -> dict[str, Any]:
        fr, en = self.description()
        return {
            "name": self.name,
            "roles": [str(r) for r in self.roles],
            "scope": str(self.scope),
            "description": {"fr": fr, "en": en},
        }

    @classmethod
    def from_openapi(cls, document: dict[str, Any]) -> Policy:
        return cls(document["name"], _ordered(Role(r) for r in document["roles"]), Scope(document["scope"]))


def _ordered(roles: Iterable[Role]) -> tuple[Role, ...]:
    wanted = frozenset(roles)
    return tuple(r for r in Role if r in wanted)


ORG_USER = Policy("org_user", _ordered(ORG_ROLES), Scope.OWN_ORGANIZATION)
"""Staff and managers of a partner organization, on their own organization's objects."""
ORG_MANAGER = Policy("org_manager", (Role.ORG_MANAGER,), Scope.OWN_ORGANIZATION)
"""Managers of a partner organization (submit a report, answer a rejection)."""
READER = Policy("reader", tuple(Role), Scope.READABLE_ORGANIZATIONS)
"""Any role, reading what its organizations allow."""
SIGNED_IN = Policy("signed_in", tuple(Role), Scope.READABLE_ORGANIZATIONS)
"""Any signed-in user, on what is addressed to them (their organization or assignments)."""
MINISTRY = Policy("ministry", (Role.MINISTRY_REVIEWER, Role.ADMIN), Scope.ASSIGNED_ORGANIZATIONS)
"""Ministry staff: reviewers for their assigned organizations, admins for all."""
ADMIN = Policy("admin", (Role.ADMIN,), Scope.PROGRAM)
"""Program administration: configuration, unlock, merge, erasure."""

DECLARED: tuple[Policy, ...] = (ORG_USER, ORG_MANAGER, READER, SIGNED_IN, MINISTRY, ADMIN)


def policy_for(roles: Iterable[Role], scope: Scope | None = None) -> Policy:
    """The policy of ``roles``; without ``scope``, the one the roles imply (organization roles:
    their own organization; reviewers: assigned organizations; admins alone: the program)."""
    ordered = _ordered(roles)
    if not ordered:
        raise ValueError("a policy needs at least one role")
    chosen = scope or _implied_scope(frozenset(ordered))
    for known in DECLARED:
        if known.roles == ordered and known.scope == chosen and known is not SIGNED_IN:
            return known
    return Policy("+".join(ordered), ordered, chosen)


def _implied_scope(roles: frozenset[Role]) -> Scope:
    if roles <= ORG_ROLES:
        return Scope.OWN_ORGANIZATION
    if roles == {Role.ADMIN}:
        return Scope.PROGRAM
    if roles <= {Role.MINISTRY_REVIEWER, Role.ADMIN}:
        return Scope.ASSIGNED_ORGANIZATIONS
    return Scope.READABLE_ORGANIZATIONS


def in_scope(principal: Principal, organization_id: str, scope: Scope) -> bool:
    """May ``principal`` touch an object of ``organization_id`` under ``scope``?"""
    if scope is Scope.PROGRAM:
        return True
    if scope is Scope.OWN_ORGANIZATION:
        return principal.has_any(ORG_ROLES) and principal.organization == organization_id
    if Role.ADMIN in principal.roles:
        return True
    assigned = (
        Role.MINISTRY_REVIEWER in principal.roles and organization_id in principal.assigned_organizations
    )
    if scope is Scope.ASSIGNED_ORGANIZATIONS:
        return assigned
    return assigned or (principal.has_any(ORG_ROLES) and principal.organization == organization_id)


def organizations_in_scope(principal: Principal, scope: Scope) -> frozenset[str] | None:
    """The organizations a list may show under ``scope``; None: every organization."""
    if scope is Scope.PROGRAM or (scope is not Scope.OWN_ORGANIZATION and Role.ADMIN in principal.roles):
        return None
    own = {principal.organization} if principal.organization and principal.has_any(ORG_ROLES) else set()
    if scope is Scope.OWN_ORGANIZATION:
        return frozenset(own)
    assigned = principal.assigned_organizations if Role.MINISTRY_REVIEWER in principal.roles else frozenset()
    if scope is Scope.ASSIGNED_ORGANIZATIONS:
        return frozenset(assigned)
    return frozenset(own | assigned)


def require_in_scope(principal: Principal, organization_id: str, scope: Scope, not_found: GsiError) -> None:
    """Raise ``not_found`` (the object's own 404) unless the principal may touch an object of
    ``organization_id``: another tenant's object answers exactly as a missing one."""
    if not in_scope(principal, organization_id, scope):
        raise not_found


def own_organization(principal: Principal) -> str:
    """The caller's organization, for a write made in its name (never taken from the body)."""
    if principal.organization is None:
        raise Forbidden("auth.no_organization", "Aucun organisme associé.", "No organization on the token.")
    return principal.organization
