"""The immigrant person (PI) aggregate: registration, for now.

Pure: decisions take the stream's past events and a command, and return new events or raise a
domain error with a code.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from gsi_kernel.errors import Conflict, InvalidInput
from gsi_kernel.events import DomainEvent, EventRegistry

REGIONS = frozenset(f"{n:02d}" for n in range(1, 18))  # Québec's administrative regions


class Status(StrEnum):
    PERMANENT_RESIDENT = "permanent_resident"
    CSQ_HOLDER = "csq_holder"
    GOVERNMENT_ASSISTED_REFUGEE = "government_assisted_refugee"
    PRIVATELY_SPONSORED_REFUGEE = "privately_sponsored_refugee"
    PROTECTED_PERSON = "protected_person"
    ASYLUM_CLAIMANT = "asylum_claimant"
    TEMPORARY_WORKER = "temporary_worker"
    INTERNATIONAL_STUDENT = "international_student"
    CITIZEN = "citizen"


class Sex(StrEnum):
    FEMALE = "F"
    MALE = "M"
    OTHER = "X"


@dataclass(frozen=True, slots=True)
class RegisterPerson:
    person_id: str
    organization_id: str
    family_name: str
    given_name: str
    birth_date: date
    sex: Sex
    status: Status
    status_since: date
    region: str | None
    today: date


class PersonRegistered(DomainEvent):
    event_type = "PersonRegistered"

    person_id: str
    organization_id: str
    family_name: str
    given_name: str
    birth_date: date
    sex: Sex
    status: Status
    status_since: date
    region: str | None


EVENTS = EventRegistry([PersonRegistered])


def register(history: Sequence[DomainEvent], command: RegisterPerson) -> list[DomainEvent]:
    if history:
        raise Conflict(
            "person.already_registered",
            "Cette personne est déjà inscrite.",
            "This person is already registered.",
        )
    _check_dates(command)
    if command.region is not None and command.region not in REGIONS:
        raise InvalidInput(
            "person.unknown_region",
            f"Région administrative inconnue : {command.region} (01 à 17).",
            f"Unknown administrative region: {command.region} (01 to 17).",
            details={"field": "region"},
        )
    return [
        PersonRegistered(
            person_id=command.person_id,
            organization_id=command.organization_id,
            family_name=command.family_name,
            given_name=command.given_name,
            birth_date=command.birth_date,
            sex=command.sex,
            status=command.status,
            status_since=command.status_since,
            region=command.region,
        )
    ]


def _check_dates(command: RegisterPerson) -> None:
    if command.birth_date > command.today:
        raise InvalidInput(
            "person.birth_date_in_future",
            "La date de naissance est dans le futur.",
            "The birth date is in the future.",
            details={"field": "birth_date"},
        )
    if command.status_since < command.birth_date:
        raise InvalidInput(
            "person.status_before_birth",
            "La date d'admission ou de statut précède la naissance.",
            "The admission or status date is before the birth date.",
            details={"field": "status_since"},
        )
