"""Interventions' use cases: declare, correct, cancel — each refused on a hard error, checked
by the shared conformity checks otherwise, and recorded with its flags."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import Connection

from gsi_kernel.clock import montreal_date
from gsi_kernel.envelope import CommandContext
from gsi_kernel.events import DomainEvent
from gsi_kernel.fiscal import FiscalQuarter
from gsi_kernel.runtime import Kernel
from gsi_kernel.store.prepared import prefetch
from interventions.app.checking import Candidate, Checker, declaration_reads
from interventions.app.knowledge import Knowledge
from interventions.domain import admission, intervention
from interventions.domain.intervention import Details


def stream_id(intervention_id: str) -> str:
    return f"intervention-{intervention_id}"


class Admission:
    """The hard errors every write goes through, and the checks of what passes them."""

    def __init__(self, kernel: Kernel, knowledge: Knowledge, checker: Checker, *, program: str) -> None:
        self._kernel = kernel
        self.knowledge = knowledge
        self.checker = checker
        self._program = program

    def today(self) -> date:
        return montreal_date(self._kernel.clock.now())

    def read_ahead(
        self, connection: Connection, organization_id: str, person_id: str, details: Details
    ) -> None:
        """Make, in one round trip, the reads a write of ``details`` for the person is about to
        make (ADR 10): the steps below still read one by one, and find them done."""
        prefetch(
            connection,
            [
                *self.knowledge.declaration_reads(organization_id, person_id),
                *declaration_reads(organization_id, person_id, details),
            ],
        )

    def person(self, connection: Connection, organization_id: str, person_id: str) -> admission.PersonOnFile:
        person = self.knowledge.person(connection, person_id)
        return admission.refuse_unknown_person(person, organization_id, person_id)

    def refuse(
        self, connection: Connection, organization_id: str, person: admission.PersonOnFile, details: Details
    ) -> frozenset[str]:
        """Refuse a write outright: a date in the future or before registration, a code outside
        the catalogue in force, a locked quarter. Return the organization's locked quarters."""
        self.refuse_dates(details, person)
        self.refuse_unknown_code(connection, details.code, details.service_date)
        return self.refuse_locked(connection, organization_id, details.service_date)

    def refuse_dates(self, details: Details, person: admission.PersonOnFile) -> None:
        admission.refuse_bad_date(
            details.service_date, today=self.today(), registered_on=person.registered_on
        )

    def refuse_unknown_code(self, connection: Connection, code: str, day: date) -> None:
        self.knowledge.catalogue_book(connection, self.today()).code_on(self._program, day, code)

    def refuse_locked(self, connection: Connection, organization_id: str, day: date) -> frozenset[str]:
        """Refuse a write in a locked quarter that no granted exception covers today; return the
        organization's quarters closed to it (the checks' C7 needs them too: a quarter an
        exception opens is not one)."""
        quarter = FiscalQuarter.of(day)
        closed = self.knowledge.closed_quarters(connection, organization_id, self.today(), [quarter])
        admission.refuse_locked(organization_id, day, locked=str(quarter) in closed)
        return closed

    def checked(
        self, connection: Connection, candidate: Candidate, *, locked_quarters: frozenset[str]
    ) -> intervention.Checked:
        """The candidate's findings; ``locked_quarters``: the organization's closed quarters,
        as :meth:`refuse_locked` returned them."""
        locked = {candidate.organization_id: locked_quarters}
        checked = self.checker.check(connection, [candidate], today=self.today(), locked=locked)
        return checked[candidate.intervention_id]


class Interventions:
    def __init__(self, kernel: Kernel, admission: Admission) -> None:
        self._kernel = kernel
        self._admission = admission
        self.db = kernel.db

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
            quarters = gate.refuse(connection, organization_id, person, details)
            candidate = Candidate(intervention_id, organization_id, person, details)
            verdict.append(gate.checked(connection, candidate, locked_quarters=quarters))
            command = intervention.DeclareIntervention(
                intervention_id=intervention_id,
                organization_id=organization_id,
                person_id=person.person_id,
                details=details,
                checked=verdict[-1],
            )
            return intervention.declare(history, command)

        self._kernel.writer.execute_with(stream_id(intervention_id), decide, context, new_stream=True)
        return intervention_id, verdict[-1].flags

    def correct(
        self, intervention_id: str, details: Details, *, reason: str, context: CommandContext
    ) -> None:
        """Record a new version of the intervention; the checks run again on it."""
        gate = self._admission

        def decide(connection: Connection, history: list[DomainEvent]) -> list[DomainEvent]:
            state = _owned(history, context)
            person = gate.person(connection, state.organization_id, state.person_id)
            # Both the quarter it leaves and the quarter it enters must be open.
            gate.refuse_locked(connection, state.organization_id, state.details.service_date)
            quarters = gate.refuse(connection, state.organization_id, person, details)
            candidate = Candidate(intervention_id, state.organization_id, person, details, state.session_id)
            command = intervention.CorrectIntervention(
                details=details,
                reason=reason,
                checked=gate.checked(connection, candidate, locked_quarters=quarters),
            )
            return intervention.correct(history, command)

        self._kernel.writer.execute_with(stream_id(intervention_id), decide, context)

    def cancel(self, intervention_id: str, *, reason: str, context: CommandContext) -> None:
        """Cancel the intervention (it stays in its history, out of every count)."""
        gate = self._admission

        def decide(connection: Connection, history: list[DomainEvent]) -> list[DomainEvent]:
            state = _owned(history, context)
            gate.refuse_locked(connection, state.organization_id, state.details.service_date)
            return intervention.cancel(history, reason)

        self._kernel.writer.execute_with(stream_id(intervention_id), decide, context)


def _owned(history: list[DomainEvent], context: CommandContext) -> intervention.Intervention:
    """The intervention, if it belongs to the caller's organization (else: not found, no leak)."""
    state = intervention.fold(history)
    if state is None or state.organization_id != context.organization:
        return intervention.current([])  # raises intervention.not_found
    return state
