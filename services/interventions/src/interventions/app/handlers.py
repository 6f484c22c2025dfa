"""Interventions' use cases."""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass
from datetime import date

from sqlalchemy import select

from gsi_kernel.auth import Principal, may_read_organization
from gsi_kernel.clock import montreal_date
from gsi_kernel.envelope import CommandContext
from gsi_kernel.errors import InvalidInput, NotFound
from gsi_kernel.runtime import Kernel
from gsi_kernel.store.queries import fetch_one, fetch_page, scoped_to_principal
from interventions.domain import intervention
from interventions.projections.tables import interventions, known_persons


@dataclass(frozen=True, slots=True)
class InterventionInput:
    person_id: str
    code: str
    service_date: date
    duration_minutes: int
    mode: intervention.Mode
    volet: intervention.Volet
    staff_member: str


class Interventions:
    def __init__(self, kernel: Kernel) -> None:
        self._kernel = kernel

    def declare(self, data: InterventionInput, *, organization_id: str, context: CommandContext) -> str:
        """Declare an intervention for a person the organization registered; return its id."""
        person = self._known_person(data.person_id, organization_id)
        intervention_id = str(uuid.uuid4())
        fields = asdict(data)
        del fields["person_id"]
        command = intervention.DeclareIntervention(
            intervention_id=intervention_id,
            organization_id=organization_id,
            person=person,
            today=montreal_date(self._kernel.clock.now()),
            **fields,
        )
        self._kernel.writer.execute(
            f"intervention-{intervention_id}",
            lambda history: intervention.declare(history, command),
            context,
            new_stream=True,
        )
        return intervention_id

    def get(self, intervention_id: str, principal: Principal) -> dict[str, object]:
        row = fetch_one(
            self._kernel.db, select(interventions).where(interventions.c.intervention_id == intervention_id)
        )
        if row is None or not may_read_organization(principal, row["organization_id"]):
            raise NotFound("intervention.not_found", "Intervention introuvable.", "Intervention not found.")
        return row

    def list(self, principal: Principal, *, offset: int, limit: int) -> tuple[list[dict[str, object]], int]:
        query = scoped_to_principal(select(interventions), interventions.c.organization_id, principal)
        order = (interventions.c.service_date.desc(), interventions.c.intervention_id)
        return fetch_page(self._kernel.db, query, *order, offset=offset, limit=limit)

    def _known_person(self, person_id: str, organization_id: str) -> intervention.KnownPerson:
        row = fetch_one(self._kernel.db, select(known_persons).where(known_persons.c.person_id == person_id))
        # Another organization's person is reported exactly like an unknown one: no leak.
        if row is None or row["organization_id"] != organization_id:
            raise InvalidInput(
                "intervention.unknown_person",
                "Personne inconnue de votre organisme (inscrivez-la d'abord).",
                "Person unknown to your organization (register them first).",
                details={"field": "person_id"},
            )
        return intervention.KnownPerson(row["person_id"], row["organization_id"], row["birth_date"])
