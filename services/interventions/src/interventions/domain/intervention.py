"""The intervention aggregate: a service an organization declares for a person.

Pure decisions. The facts the decision needs about the person (known to this service from
registration's events) are passed in by the handler.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from gsi_kernel.errors import Conflict, InvalidInput
from gsi_kernel.events import DomainEvent


class Volet(StrEnum):
    V1 = "V1"
    V2 = "V2"
    V3 = "V3"
    V4 = "V4"
    V5 = "V5"


class Mode(StrEnum):
    IN_PERSON = "in_person"
    REMOTE = "remote"
    GROUP = "group"


@dataclass(frozen=True, slots=True)
class KnownPerson:
    person_id: str
    organization_id: str
    birth_date: date


@dataclass(frozen=True, slots=True)
class DeclareIntervention:
    intervention_id: str
    organization_id: str
    person: KnownPerson
    code: str
    service_date: date
    duration_minutes: int
    mode: Mode
    volet: Volet
    staff_member: str
    today: date


class InterventionDeclared(DomainEvent):
    event_type = "InterventionDeclared"

    intervention_id: str
    organization_id: str
    person_id: str
    code: str
    service_date: date
    duration_minutes: int
    mode: Mode
    volet: Volet
    staff_member: str


EVENTS = (InterventionDeclared,)


def declare(history: Sequence[DomainEvent], command: DeclareIntervention) -> list[DomainEvent]:
    if history:
        raise Conflict(
            "intervention.already_declared",
            "Cette intervention existe déjà.",
            "This intervention already exists.",
        )
    if command.service_date > command.today:
        raise InvalidInput(
            "intervention.date_in_future",
            "La date de l'intervention est dans le futur.",
            "The intervention date is in the future.",
            details={"field": "service_date"},
        )
    if command.service_date < command.person.birth_date:
        raise InvalidInput(
            "intervention.date_before_birth",
            "La date de l'intervention précède la naissance de la personne.",
            "The intervention date is before the person's birth.",
            details={"field": "service_date"},
        )
    return [
        InterventionDeclared(
            intervention_id=command.intervention_id,
            organization_id=command.organization_id,
            person_id=command.person.person_id,
            code=command.code,
            service_date=command.service_date,
            duration_minutes=command.duration_minutes,
            mode=command.mode,
            volet=command.volet,
            staff_member=command.staff_member,
        )
    ]
