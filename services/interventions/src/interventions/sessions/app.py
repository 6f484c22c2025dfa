"""Group sessions: one session, its attendance list, one intervention per attendee — each
attendee checked on their own, everything written in one transaction."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import Connection

from gsi_kernel.envelope import CommandContext
from gsi_kernel.events import DomainEvent
from gsi_kernel.store.database import Database
from gsi_kernel.writer import StreamWriter
from interventions.checks.checking import Candidate
from interventions.declarations import domain as intervention
from interventions.declarations.admission import Admission
from interventions.declarations.app import stream_id
from interventions.declarations.domain import Details, Facts, Mode
from interventions.sessions import domain as session


class GroupSessions:
    def __init__(self, *, db: Database, writer: StreamWriter, admission: Admission) -> None:
        self._db = db
        self._writer = writer
        self._admission = admission

    def hold(
        self,
        person_ids: Sequence[str],
        details: Details,
        *,
        title: str | None,
        organization_id: str,
        context: CommandContext,
    ) -> tuple[str, dict[str, str]]:
        """Record a session and its attendees' interventions; return the session id and each
        attendee's intervention id."""
        session.refuse_bad_attendance(list(person_ids))
        details = details.model_copy(update={"mode": Mode.GROUP})
        session_id = str(uuid.uuid4())
        attendance = {person_id: str(uuid.uuid4()) for person_id in person_ids}
        gate = self._admission

        def decide(connection: Connection) -> list[tuple[str, Sequence[DomainEvent]]]:
            persons = [gate.person(connection, organization_id, pid) for pid in person_ids]
            locks = gate.locks(connection, organization_id, details.service_date)
            facts = [Facts(gate.today(), person.registered_on, locks) for person in persons]
            gate.refuse(connection, organization_id, details, facts[0])
            for each in facts[1:]:
                intervention.refuse_declaration(organization_id, details, each)
            candidates = [
                Candidate(attendance[pid], organization_id, person, details, session_id)
                for pid, person in zip(person_ids, persons, strict=True)
            ]
            locked = {organization_id: locks.closed(facts[0].today)}
            checked = gate.checker.check(connection, candidates, today=facts[0].today, locked=locked)
            held = session.GroupSessionHeld(
                session_id=session_id,
                organization_id=organization_id,
                code=details.code,
                service_date=details.service_date,
                title=title,
                attendees=tuple((c.person.person_id, c.intervention_id) for c in candidates),
            )
            streams: list[tuple[str, Sequence[DomainEvent]]] = [(f"session-{session_id}", [held])]
            for c, each in zip(candidates, facts, strict=True):
                command = intervention.DeclareIntervention(
                    intervention_id=c.intervention_id,
                    organization_id=organization_id,
                    person_id=c.person.person_id,
                    details=details,
                    checked=checked[c.intervention_id],
                    facts=each,
                    session_id=session_id,
                )
                streams.append((stream_id(c.intervention_id), intervention.declare([], command)))
            return streams

        with self._db.transaction() as connection:
            self._writer.append_new_streams(decide(connection), context, connection=connection)
        return session_id, attendance
