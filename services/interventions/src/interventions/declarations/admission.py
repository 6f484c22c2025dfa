"""What every write of an intervention is decided with: the person on file, the facts the
aggregate's hard errors need (read here, decided in :mod:`interventions.declarations.domain`),
the refusals asked before the shared checks are spent on a write, and those checks."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Connection

from gsi_kernel.clock import Clock, montreal_date
from gsi_kernel.fiscal import FiscalQuarter
from gsi_kernel.store.prepared import prefetch
from interventions.checks.checking import Candidate, Checker, declaration_reads
from interventions.declarations import domain as intervention
from interventions.declarations.domain import Details, Facts, PersonOnFile, QuarterLocks
from interventions.knowledge import Knowledge


class Admission:
    """What every write is decided with: the person on file, the facts the aggregate's hard
    errors need, the refusals asked before the checks, and the checks of what passes them."""

    def __init__(self, *, clock: Clock, knowledge: Knowledge, checker: Checker, program: str) -> None:
        self._clock = clock
        self.knowledge = knowledge
        self.checker = checker
        self._program = program

    def today(self) -> date:
        return montreal_date(self._clock.now())

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

    def person(self, connection: Connection, organization_id: str, person_id: str) -> PersonOnFile:
        person = self.knowledge.person(connection, person_id)
        return intervention.refuse_unknown_person(person, organization_id, person_id)

    def facts(self, connection: Connection, organization_id: str, person: PersonOnFile, *days: date) -> Facts:
        """What the aggregate decides a write on ``days`` with (the day it leaves too, for a
        correction): today, the person's registration day, the organization's quarter locks."""
        return Facts(self.today(), person.registered_on, self.locks(connection, organization_id, *days))

    def locks(self, connection: Connection, organization_id: str, *days: date) -> QuarterLocks:
        """The organization's quarter locks, with the exceptions on the quarters of ``days``
        (on every locked quarter, when no day is named)."""
        among = [FiscalQuarter.of(day) for day in days] if days else None
        return self.knowledge.quarter_locks(connection, organization_id, among)

    def refuse(self, connection: Connection, organization_id: str, details: Details, facts: Facts) -> None:
        """Refuse a declaration outright, before the checks are spent on it: the aggregate's
        hard errors, then a code outside the catalogue in force."""
        intervention.refuse_declaration(organization_id, details, facts)
        self.refuse_unknown_code(connection, details.code, details.service_date)

    def refuse_unknown_code(self, connection: Connection, code: str, day: date) -> None:
        self.knowledge.catalogue_book(connection, self.today()).code_on(self._program, day, code)

    def checked(self, connection: Connection, candidate: Candidate, facts: Facts) -> intervention.Checked:
        """The candidate's findings (C7 with the quarters ``facts`` closes)."""
        locked = {candidate.organization_id: facts.locks.closed(facts.today)}
        checked = self.checker.check(connection, [candidate], today=facts.today, locked=locked)
        return checked[candidate.intervention_id]
