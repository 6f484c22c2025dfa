"""Who may do what with an organization's report. A refusal for an organization the user may not
see is the same 404 as a report that does not exist: it says nothing of the other organization."""

from __future__ import annotations

from gsi_kernel.auth import Principal, Role, may_read_organization
from gsi_kernel.errors import NotFound


def not_found() -> NotFound:
    return NotFound("report.not_found", "Rapport introuvable.", "Report not found.")


def require_reader(principal: Principal, organization_id: str) -> None:
    """Read the report: its organization's users, its assigned reviewers, admins."""
    if not may_read_organization(principal, organization_id):
        raise not_found()


def require_member(principal: Principal, organization_id: str) -> None:
    """Verify, submit, answer a rejection: the organization's own users (the API asks a manager)."""
    if principal.organization != organization_id:
        raise not_found()


def may_control(principal: Principal, organization_id: str) -> bool:
    return Role.ADMIN in principal.roles or (
        Role.MINISTRY_REVIEWER in principal.roles and organization_id in principal.assigned_organizations
    )


def require_controller(principal: Principal, organization_id: str) -> None:
    """Take, decide, lock: a reviewer assigned to the organization, or an admin."""
    if not may_control(principal, organization_id):
        raise not_found()
