"""Interventions' use cases: declare, correct, cancel — each refused on a hard error, checked
by the shared conformity checks otherwise, and recorded with its flags. The hard errors are the
aggregate's (:mod:`interventions.declarations.domain`): this layer reads the facts it decides
with (:mod:`interventions.declarations.admission`) and passes them in the command."""

from __future__ import annotations

import uuid
from functools import partial

from sqlalchemy import Connection

from gsi_kernel.envelope import CommandContext
from gsi_kernel.events import DomainEvent
from gsi_kernel.store.database import Database
from gsi_kernel.writer import Decision, StreamWriter
from interventions.checks.checking import Candidate
from interventions.declarations import domain as intervention
from interventions.declarations.admission import Admission
from interventions.declarations.domain import Details


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

        def decide(connection: Connection, history: list[DomainEvent]) -> Decision[intervention.Checked]:
            gate.read_ahead(connection, organization_id, person_id, details)
            person = gate.person(connection, organization_id, person_id)
            facts = gate.facts(connection, organization_id, person, details.service_date)
            gate.refuse(connection, organization_id, details, facts)
            candidate = Candidate(intervention_id, organization_id, person, details)
            checked = gate.checked(connection, candidate, facts)
            command = intervention.DeclareIntervention(
                intervention_id=intervention_id,
                organization_id=organization_id,
                person_id=person.person_id,
                details=details,
                checked=checked,
                facts=facts,
            )
            return Decision(intervention.declare(history, command), checked)

        with self.db.transaction() as connection:
            executed = self._writer.execute(
                stream_id(intervention_id),
                partial(decide, connection),
                context,
                new_stream=True,
                connection=connection,
            )
        return intervention_id, executed.result.flags

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

        with self.db.transaction() as connection:
            self._writer.execute(
                stream_id(intervention_id), partial(decide, connection), context, connection=connection
            )

    def cancel(self, intervention_id: str, *, reason: str, context: CommandContext) -> None:
        """Cancel the intervention (it stays in its history, out of every count)."""
        gate = self._admission

        def decide(connection: Connection, history: list[DomainEvent]) -> list[DomainEvent]:
            state = _owned(history, context)
            locks = gate.locks(connection, state.organization_id, state.details.service_date)
            return intervention.cancel(history, intervention.CancelIntervention(reason, gate.today(), locks))

        with self.db.transaction() as connection:
            self._writer.execute(
                stream_id(intervention_id), partial(decide, connection), context, connection=connection
            )


def _owned(history: list[DomainEvent], context: CommandContext) -> intervention.Intervention:
    """The intervention, if it belongs to the caller's organization (else: not found, no leak)."""
    state = intervention.fold(history)
    if state is None or state.organization_id != context.organization:
        return intervention.current([])  # raises intervention.not_found
    return state
