"""Funding agreements: recorded and amended by admins; read by the ministry, and by an
organization's users for their own organization."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from typing import Any

from sqlalchemy import Connection, select

from gsi_kernel.auth import Principal
from gsi_kernel.envelope import CommandContext
from gsi_kernel.events import DomainEvent
from gsi_kernel.http.policy import Scope, organizations_in_scope, require_in_scope
from gsi_kernel.store.database import Database
from gsi_kernel.store.queries import fetch_one, fetch_page
from gsi_kernel.writer import StreamWriter
from reporting.agreements import domain as agreement
from reporting.agreements.domain import Funding, Target, Terms, agreement_not_found
from reporting.organizations.domain import organization_not_found
from reporting.registry_projection import agreement_versions, agreements, organizations


class Agreements:
    def __init__(self, *, writer: StreamWriter, db: Database) -> None:
        self._writer = writer
        self._db = db

    def record(
        self,
        organization_id: str,
        *,
        program: str,
        starts_on: date,
        ends_on: date,
        terms: Terms,
        context: CommandContext,
    ) -> str:
        """Record a new agreement of a registered organization; return its id."""
        agreement_id = str(uuid.uuid4())

        def decide(history: list[DomainEvent]) -> list[DomainEvent]:
            return agreement.record(
                history,
                agreement_id=agreement_id,
                organization_id=organization_id,
                program=program,
                starts_on=starts_on,
                ends_on=ends_on,
                terms=terms,
            )

        with self._db.transaction() as connection:
            _must_exist(connection, organization_id)
            self._writer.execute(
                agreement.stream_id(organization_id, program), decide, context, connection=connection
            )
        return agreement_id

    def amend(
        self,
        agreement_id: str,
        *,
        reason: str,
        volets: Sequence[str] | None,
        funding: Sequence[Funding] | None,
        targets: Sequence[Target] | None,
        context: CommandContext,
    ) -> None:
        """New terms for an agreement (a new version), with the reason."""
        row = self._row(agreement_id)
        context = replace(context, organization=row["organization_id"])  # whose agreement changed
        self._writer.execute(
            agreement.stream_id(row["organization_id"], row["program"]),
            lambda history: agreement.amend(
                history,
                agreement_id=agreement_id,
                reason=reason,
                volets=volets,
                funding=funding,
                targets=targets,
            ),
            context,
        )

    def get(self, agreement_id: str, principal: Principal) -> dict[str, Any]:
        row = self._row(agreement_id)
        require_in_scope(
            principal, row["organization_id"], Scope.READABLE_ORGANIZATIONS, agreement_not_found(agreement_id)
        )
        return row

    def versions(self, agreement_id: str, principal: Principal) -> list[dict[str, Any]]:
        """Every version of the agreement, oldest first, with each amendment's reason."""
        self.get(agreement_id, principal)
        v = agreement_versions.c
        with self._db.transaction() as connection:
            rows = connection.execute(
                select(agreement_versions).where(v.agreement_id == agreement_id).order_by(v.version)
            ).all()
        return [dict(r._mapping) for r in rows]

    def page(
        self,
        principal: Principal,
        *,
        organization_id: str | None,
        program: str | None,
        offset: int,
        limit: int,
    ) -> tuple[list[dict[str, Any]], int]:
        a = agreements.c
        query = select(agreements)
        visible = organizations_in_scope(principal, Scope.READABLE_ORGANIZATIONS)
        if visible is not None:
            query = query.where(a.organization_id.in_(sorted(visible)))
        if organization_id is not None:
            query = query.where(a.organization_id == organization_id)
        if program is not None:
            query = query.where(a.program == program)
        order = (a.organization_id, a.program, a.starts_on)
        return fetch_page(self._db, query, *order, offset=offset, limit=limit)

    def _row(self, agreement_id: str) -> dict[str, Any]:
        row = fetch_one(self._db, select(agreements).where(agreements.c.agreement_id == agreement_id))
        if row is None:
            raise agreement_not_found(agreement_id)
        return row


def _must_exist(connection: Connection, organization_id: str) -> None:
    # Organizations are never removed, so a row seen here cannot vanish before the commit.
    query = select(organizations.c.organization_id).where(organizations.c.organization_id == organization_id)
    if connection.execute(query).first() is None:
        raise organization_not_found(organization_id)
