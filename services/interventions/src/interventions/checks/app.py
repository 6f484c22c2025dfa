"""Checking a declaration before saving it: the declaration's own admission rules and conformity
checks, run on what the organization is about to declare, with nothing recorded.

The steps are the ones :meth:`interventions.declarations.app.Interventions.declare` takes, through the
same :class:`~interventions.declarations.admission.Admission` (the reads made ahead, the person on file,
the hard errors, then the checks), so what this answers is what the declaration would answer
at this moment: the same refusal (the same error, raised), or the flags it would be recorded
with. The candidate gets an id no intervention has, so every intervention already declared
counts as "another" (C4, C6, C8).
"""

from __future__ import annotations

import uuid

from gsi_kernel.store.database import Database
from interventions.checks.checking import Candidate
from interventions.declarations.admission import Admission
from interventions.declarations.domain import Details, Flag


class DeclarationChecks:
    def __init__(self, *, db: Database, admission: Admission) -> None:
        self.db = db
        self._admission = admission

    def flags(self, person_id: str, details: Details, *, organization_id: str) -> tuple[Flag, ...]:
        """The flags declaring ``details`` for the person would record now; what would refuse
        the declaration raises the declaration's own error."""
        gate = self._admission
        probe = str(uuid.uuid4())
        with self.db.transaction() as connection:
            gate.read_ahead(connection, organization_id, person_id, details)
            person = gate.person(connection, organization_id, person_id)
            facts = gate.facts(connection, organization_id, person, details.service_date)
            gate.refuse(connection, organization_id, details, facts)
            candidate = Candidate(probe, organization_id, person, details)
            return gate.checked(connection, candidate, facts).flags
