"""Interventions' use cases: declare, correct, cancel — each refused on a hard error, checked
by the shared conformity checks otherwise, and recorded with its flags. The hard errors are the
aggregate's (:mod:`interventions.domain.intervention`): this layer reads the facts it decides
with (:mod:`interventions.app.admission`) and passes them in the command."""

from __future__ import annotations

import uuid

from sqlalchemy import Connection

from gsi_kernel.envelope import CommandContext
from gsi_kernel.events import DomainEvent
from gsi_kernel.store.database import Database
from gsi_kernel.writer import StreamWriter
from interventions.app.admission import Admission
from interventions.app.checking import Candidate
from interventions.domain import intervention
from interventions.domain.intervention import Details


def stream_id(intervention_id: str) -> str:
    return f"intervention-{intervention_id}"


class Interventions:
    def __init__(self, *, db: Database, writer: StreamWriter, admission: Admission) -> None:
        self.db = db  # the route asks it where a command runs (run_short)
        self._writer = writer
        self._admission = admission

    def declare(
        self, person_id: str, details: Details, *, organization_id: str, context: CommandContext
    ) -> tuple[str, tuple[intervention.Flag, ...]]:
        """Declare an intervention for a person the organization registered; return its id and
        its conformity flags (what would be rejected at verify)."""
        intervention_id = str(uuid.uuid4())
        gate = self._admission
        verdict: list[intervention.Checked] = []

        def decide(connection: Connection, history: list[DomainEvent]) -> list[DomainEvent]:
            gate.read_ahead(connection, organization_id, person_id, details)
            person = gate.person(connection, organization_id, person_id)
            facts = gate.facts(connection, organization_id, person, details.service_date)
            gate.refuse(connection, organization_id, details, facts)
            candidate = Candidate(intervention_id, organization_id, person, details)
            verdict.append(gate.checked(connection, candidate, facts))
            command = intervention.DeclareIntervention(
                intervention_id=intervention_id,
                organization_id=organization_id,
                person_id=person.person_id,
                details=details,
                checked=verdict[-1],
                facts=facts,
            )
            return intervention.declare(history, command)

        self._writer.execute_with(stream_id(intervention_id), decide, context, new_stream=True)
        return intervention_id, verdict[-1].flags

    def correct(
        self, intervention_id: str, details: Details, *, reason: str, context: CommandContext
    ) -> None:
        """Record a new version of the intervention; the checks run again on it."""
        gate = self._admission

        def decide(connection: Connection, history: list[DomainEvent]) -> list[DomainEvent]:
            state = _owned(history, context)
            person = gate.person(connection, state.organization_id, state.person_id)
            facts = gate.facts(
                connection, state.organization_id, person, state.details.service_date, details.service_date
            )
            intervention.refuse_correction(state, details, facts)
            gate.refuse_unknown_code(connection, details.code, details.service_date)
            candidate = Candidate(intervention_id, state.organization_id, person, details, state.session_id)
            command = intervention.CorrectIntervention(
                details=details,
                reason=reason,
                checked=gate.checked(connection, candidate, facts),
                facts=facts,
            )
            return intervention.correct(history, command)

        self._writer.execute_with(stream_id(intervention_id), decide, context)

    def cancel(self, intervention_id: str, *, reason: str, context: CommandContext) -> None:
        """Cancel the intervention (it stays in its history, out of every count)."""
        gate = self._admission

        def decide(connection: Connection, history: list[DomainEvent]) -> list[DomainEvent]:
            state = _owned(history, context)
            locks = gate.locks(connection, state.organization_id, state.details.service_date)
            return intervention.cancel(history, intervention.CancelIntervention(reason, gate.today(), locks))

        self._writer.execute_with(stream_id(intervention_id), decide, context)


def _owned(history: list[DomainEvent], context: CommandContext) -> intervention.Intervention:
    """The intervention, if it belongs to the caller's organization (else: not found, no leak)."""
    state = intervention.fold(history)
    if state is None or state.organization_id != context.organization:
        return intervention.current([])  # raises intervention.not_found
    return state
