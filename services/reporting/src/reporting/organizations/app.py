"""The organization registry and reviewer assignments (written by the program's admins).

Reading: the ministry (admins and reviewers) sees every organization; an organization's users
see their own only. A reviewer's organizations: admins, or the reviewer themself."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select

from gsi_kernel.auth import Principal, Role
from gsi_kernel.envelope import CommandContext
from gsi_kernel.errors import Forbidden
from gsi_kernel.store.database import Database
from gsi_kernel.store.queries import fetch_one, fetch_page
from gsi_kernel.writer import StreamWriter
from reporting.organizations import domain as organization
from reporting.organizations.domain import Contact, Description, organization_not_found
from reporting.registry_projection import organization_regions, organizations, reviewer_assignments

MINISTRY = frozenset({Role.ADMIN, Role.MINISTRY_REVIEWER})


def sees_every_organization(principal: Principal) -> bool:
    return principal.has_any(MINISTRY)


class Organizations:
    def __init__(self, *, writer: StreamWriter, db: Database) -> None:
        self._writer = writer
        self._db = db

    def register(self, organization_id: str, description: Description, *, context: CommandContext) -> None:
        """Enter an organization in the registry."""
        self._writer.execute(
            organization.stream_id(organization_id),
            lambda history: organization.register(
                history, organization_id=organization_id, description=description
            ),
            context,
        )

    def update(
        self,
        organization_id: str,
        *,
        name: str | None,
        regions: Sequence[str] | None,
        contacts: Sequence[Contact] | None,
        reason: str,
        context: CommandContext,
    ) -> None:
        """Change an organization's name, regions or contacts, with a reason."""
        self._writer.execute(
            organization.stream_id(organization_id),
            lambda history: organization.update(
                history, name=name, regions=regions, contacts=contacts, reason=reason
            ),
            context,
        )

    def assign(self, organization_id: str, reviewer_id: str, *, context: CommandContext) -> None:
        self._writer.execute(
            organization.stream_id(organization_id),
            lambda history: organization.assign_reviewer(history, reviewer_id=reviewer_id),
            context,
        )

    def unassign(
        self, organization_id: str, reviewer_id: str, *, reason: str | None, context: CommandContext
    ) -> None:
        self._writer.execute(
            organization.stream_id(organization_id),
            lambda history: organization.unassign_reviewer(history, reviewer_id=reviewer_id, reason=reason),
            context,
        )

    def get(self, organization_id: str, principal: Principal) -> dict[str, Any]:
        if not (sees_every_organization(principal) or principal.organization == organization_id):
            raise organization_not_found(organization_id)
        row = fetch_one(
            self._db, select(organizations).where(organizations.c.organization_id == organization_id)
        )
        if row is None:
            raise organization_not_found(organization_id)
        return row

    def page(
        self, principal: Principal, *, region: str | None, offset: int, limit: int
    ) -> tuple[list[dict[str, Any]], int]:
        query = select(organizations)
        if not sees_every_organization(principal):
            query = query.where(organizations.c.organization_id == principal.organization)
        if region is not None:
            serving = select(organization_regions.c.organization_id).where(
                organization_regions.c.region == region
            )
            query = query.where(organizations.c.organization_id.in_(serving))
        return fetch_page(self._db, query, organizations.c.organization_id, offset=offset, limit=limit)

    def reviewers(self, organization_id: str, principal: Principal) -> list[dict[str, Any]]:
        """The organization's assigned reviewers (whoever may see the organization)."""
        self.get(organization_id, principal)
        a = reviewer_assignments.c
        query = select(a.reviewer_id, a.assigned_at, a.assigned_by).where(
            a.organization_id == organization_id
        )
        with self._db.transaction() as connection:
            rows = connection.execute(query.order_by(a.reviewer_id)).all()
        return [dict(r._mapping) for r in rows]

    def organizations_of(self, reviewer_id: str, principal: Principal) -> list[dict[str, Any]]:
        """The organizations a reviewer is assigned to, with their names."""
        if Role.ADMIN not in principal.roles and principal.user_id != reviewer_id:
            raise Forbidden(
                "reviewer.not_yourself",
                "Seule l'administration voit les assignations d'une autre personne.",
                "Only administrators see another person's assignments.",
            )
        a, o = reviewer_assignments.c, organizations.c
        query = (
            select(a.organization_id, o.name, a.assigned_at, a.assigned_by)
            .join_from(reviewer_assignments, organizations, a.organization_id == o.organization_id)
            .where(a.reviewer_id == reviewer_id)
            .order_by(a.organization_id)
        )
        with self._db.transaction() as connection:
            rows = connection.execute(query).all()
        return [dict(r._mapping) for r in rows]


def is_assigned(db: Database, reviewer_id: str, organization_id: str) -> bool:
    a = reviewer_assignments.c
    query = select(a.reviewer_id).where(a.organization_id == organization_id, a.reviewer_id == reviewer_id)
    return fetch_one(db, query) is not None
