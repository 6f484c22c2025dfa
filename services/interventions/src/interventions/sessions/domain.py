"""Group sessions: one session, an attendance list, one intervention per attendee (each checked
on its own). The session stream records who attended; the interventions are their own streams,
written in the same transaction."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date

from gsi_kernel.errors import InvalidInput
from gsi_kernel.events import DomainEvent

MAX_ATTENDEES = 500


class GroupSessionHeld(DomainEvent):
    event_type = "GroupSessionHeld"

    session_id: str
    organization_id: str
    code: str
    service_date: date
    title: str | None = None
    attendees: tuple[tuple[str, str], ...]  # (person_id, intervention_id)


EVENTS = (GroupSessionHeld,)


def refuse_bad_attendance(person_ids: Sequence[str]) -> None:
    if not person_ids:
        raise InvalidInput(
            "session.no_attendee",
            "Une séance de groupe a au moins une personne présente.",
            "A group session has at least one attendee.",
            details={"field": "attendees"},
        )
    if len(person_ids) > MAX_ATTENDEES:
        raise InvalidInput(
            "session.too_many_attendees",
            f"Au plus {MAX_ATTENDEES} personnes par séance.",
            f"At most {MAX_ATTENDEES} attendees per session.",
            details={"field": "attendees"},
        )
    repeated = sorted(p for p, n in Counter(person_ids).items() if n > 1)
    if repeated:
        raise InvalidInput(
            "session.repeated_attendee",
            "Une personne figure deux fois dans la liste de présence.",
            "A person appears twice on the attendance list.",
            details={"field": "attendees", "person_ids": repeated},
        )
