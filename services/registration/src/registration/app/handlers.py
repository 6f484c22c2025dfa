"""Registration's use cases: one function per command, and the queries the API needs."""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass
from datetime import date

from sqlalchemy import select

from gsi_kernel.auth import Principal, may_read_organization
from gsi_kernel.clock import montreal_date
from gsi_kernel.envelope import CommandContext
from gsi_kernel.errors import NotFound
from gsi_kernel.runtime import Kernel
from gsi_kernel.store.queries import fetch_one, fetch_page, scoped_to_principal
from registration.domain import person
from registration.projections.persons import persons


@dataclass(frozen=True, slots=True)
class PersonInput:
    family_name: str
    given_name: str
    birth_date: date
    sex: person.Sex
    status: person.Status
    status_since: date
    region: str | None


class Registration:
    def __init__(self, kernel: Kernel) -> None:
        self._kernel = kernel

    def register(self, data: PersonInput, *, organization_id: str, context: CommandContext) -> str:
        """Register a person for ``organization_id``; return the new person id."""
        person_id = str(uuid.uuid4())
        command = person.RegisterPerson(
            person_id=person_id,
            organization_id=organization_id,
            today=montreal_date(self._kernel.clock.now()),
            **asdict(data),
        )
        self._kernel.writer.execute(
            f"person-{person_id}", lambda history: person.register(history, command), context
        )
        return person_id

    def get(self, person_id: str, principal: Principal) -> dict[str, object]:
        row = fetch_one(self._kernel.db, select(persons).where(persons.c.person_id == person_id))
        if row is None or not may_read_organization(principal, row["organization_id"]):
            raise NotFound("person.not_found", "Personne introuvable.", "Person not found.")
        return row

    def list(self, principal: Principal, *, offset: int, limit: int) -> tuple[list[dict[str, object]], int]:
        query = scoped_to_principal(select(persons), persons.c.organization_id, principal)
        order = (persons.c.family_name, persons.c.given_name, persons.c.person_id)
        return fetch_page(self._kernel.db, query, *order, offset=offset, limit=limit)
