"""Reading persons: one person's file (every read logged: who, when, purpose), and search."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import insert, select

from gsi_kernel.auth import Principal, Role, may_read_organization
from gsi_kernel.errors import NotFound
from gsi_kernel.runtime import Kernel
from gsi_kernel.store.queries import fetch_one, fetch_page
from registration.app.search import SearchFilters, search
from registration.projections.tables import access_log, consents, documents, persons


class AccessPurpose(StrEnum):
    SERVICE_DELIVERY = "service_delivery"
    MINISTRY_CONTROL = "ministry_control"
    ADMINISTRATION = "administration"
    PERSON_REQUEST = "person_request"  # the person asked for their data (Loi 25)


def default_purpose(principal: Principal) -> AccessPurpose:
    if Role.ADMIN in principal.roles:
        return AccessPurpose.ADMINISTRATION
    if Role.MINISTRY_REVIEWER in principal.roles:
        return AccessPurpose.MINISTRY_CONTROL
    return AccessPurpose.SERVICE_DELIVERY


class PersonQueries:
    def __init__(self, kernel: Kernel) -> None:
        self._kernel = kernel

    def visible(self, person_id: str, principal: Principal) -> dict[str, Any]:
        """The person's read-model row, if the principal may see it (else: not found, no leak)."""
        row = fetch_one(self._kernel.db, select(persons).where(persons.c.person_id == person_id))
        if row is None or not may_read_organization(principal, row["organization_id"]):
            raise NotFound("person.not_found", "Personne introuvable.", "Person not found.")
        return row

    def file(self, person_id: str, principal: Principal, purpose: AccessPurpose) -> dict[str, Any]:
        """The person's file, with consents and documents; the read is logged."""
        row = self.visible(person_id, principal)
        with self._kernel.db.transaction() as connection:
            row["consents"] = [
                dict(r._mapping)
                for r in connection.execute(
                    select(consents).where(consents.c.person_id == person_id).order_by(consents.c.purpose)
                )
            ]
            row["documents"] = [
                dict(r._mapping)
                for r in connection.execute(
                    select(documents)
                    .where(documents.c.person_id == person_id)
                    .order_by(documents.c.uploaded_at)
                )
            ]
        self.log_access(person_id, principal, purpose, "read")
        return row

    def log_access(self, person_id: str, principal: Principal, purpose: AccessPurpose, action: str) -> None:
        with self._kernel.db.transaction() as connection:
            connection.execute(
                insert(access_log).values(
                    person_id=person_id,
                    actor=principal.user_id,
                    actor_organization=principal.organization,
                    roles=",".join(sorted(principal.roles)),
                    purpose=purpose,
                    action=action,
                    at=self._kernel.clock.now(),
                )
            )

    def search(
        self, principal: Principal, filters: SearchFilters, *, offset: int, limit: int
    ) -> tuple[list[dict[str, Any]], int]:
        return search(self._kernel.db, principal, filters, offset=offset, limit=limit)

    def access_log(
        self, *, person_id: str | None, actor: str | None, since: datetime | None, offset: int, limit: int
    ) -> tuple[list[dict[str, Any]], int]:
        query = select(access_log)
        if person_id:
            query = query.where(access_log.c.person_id == person_id)
        if actor:
            query = query.where(access_log.c.actor == actor)
        if since:
            query = query.where(access_log.c.at >= since)
        return fetch_page(
            self._kernel.db, query, access_log.c.at.desc(), access_log.c.id.desc(), offset=offset, limit=limit
        )
