"""Reading persons: one person's file (every read logged: who, when, purpose), and search."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic_core import to_jsonable_python
from sqlalchemy import insert, select

from gsi_kernel.auth import Principal, Role, may_read_organization
from gsi_kernel.clock import Clock
from gsi_kernel.errors import GsiError, NotFound
from gsi_kernel.store.database import Database
from gsi_kernel.store.event_store import EventStore
from gsi_kernel.store.queries import fetch_one, fetch_page
from registration.persons import events as ev
from registration.persons.person_file import file_details
from registration.persons.search import SearchFilters, search
from registration.privacy.vault import PersonVault
from registration.tables import access_log, consents, documents, persons


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


@dataclass(frozen=True, slots=True)
class Erasure:
    """What is kept of an erased person (Loi 25): that they were erased, when, by whom, why."""

    person_id: str
    erased_at: datetime
    erased_by: str
    reason: str

    def record(self) -> dict[str, Any]:
        return {
            "person_id": self.person_id,
            "erased": True,
            "erased_at": self.erased_at,
            "erased_by": self.erased_by,
            "reason": self.reason,
        }


class PersonGone(GsiError):
    """A read (or change) of an erased person's file: gone, with the erasure record only."""

    status = 410

    def __init__(self, erasure: Erasure) -> None:
        super().__init__(
            "person.erased",
            "Cette personne a été effacée (Loi 25) : seule la trace de l'effacement est conservée.",
            "This person was erased (Loi 25): only the record of the erasure is kept.",
            details=to_jsonable_python(erasure.record()),
        )


class PersonQueries:
    def __init__(self, *, db: Database, store: EventStore, clock: Clock, vault: PersonVault) -> None:
        self._db = db
        self._store = store
        self._clock = clock
        self._vault = vault

    def visible(self, person_id: str, principal: Principal) -> dict[str, Any]:
        """The person's read-model row, if the principal may see it (else: not found, no leak)
        and the person was not erased (else: gone, with the erasure record only)."""
        row = self.row(person_id, principal)
        if row["erased"]:
            raise PersonGone(self.erasure(person_id))
        return row

    def row(self, person_id: str, principal: Principal) -> dict[str, Any]:
        """The row, erased or not, if the principal may see it: for the erasure and the export."""
        row = fetch_one(self._db, select(persons).where(persons.c.person_id == person_id))
        if row is None or not may_read_organization(principal, row["organization_id"]):
            raise NotFound("person.not_found", "Personne introuvable.", "Person not found.")
        return row

    def erasure(self, person_id: str) -> Erasure:
        """The erasure record, from the person's stream (its last PersonErased event)."""
        with self._db.transaction() as connection:
            history = self._store.load(connection, f"person-{person_id}")
        erased = next((e for e in reversed(history) if e.type == ev.PersonErased.event_type), None)
        if erased is None:  # the read model says erased, the stream does not: a broken invariant
            raise RuntimeError(f"person {person_id} is erased in the read model but not in its stream")
        return Erasure(person_id, erased.occurred_at, erased.actor, str(erased.payload["reason"]))

    def file(self, person_id: str, principal: Principal, purpose: AccessPurpose) -> dict[str, Any]:
        """The person's file, with consents, documents, status history and identity (unsealed:
        whoever may read the file reads it whole); the read is logged."""
        row = self.visible(person_id, principal)
        with self._db.transaction() as connection:
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
            history = self._store.load(connection, f"person-{person_id}")
            row |= file_details(history, lambda token: self._vault.open(connection, person_id, token))
        self.log_access(person_id, principal, purpose, "read")
        return row

    def log_access(self, person_id: str, principal: Principal, purpose: AccessPurpose, action: str) -> None:
        with self._db.transaction() as connection:
            connection.execute(
                insert(access_log).values(
                    person_id=person_id,
                    actor=principal.user_id,
                    actor_organization=principal.organization,
                    roles=",".join(sorted(principal.roles)),
                    purpose=purpose,
                    action=action,
                    at=self._clock.now(),
                )
            )

    def search(
        self, principal: Principal, filters: SearchFilters, *, offset: int, limit: int
    ) -> tuple[list[dict[str, Any]], int]:
        return search(self._db, principal, filters, offset=offset, limit=limit)

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
            self._db, query, access_log.c.at.desc(), access_log.c.id.desc(), offset=offset, limit=limit
        )
