"""Hard errors: what refuses an intervention outright (as opposed to conformity flags, which are
recorded with it). Pure: the handler passes in what it knows."""

from __future__ import annotations

from datetime import date

from gsi_kernel.errors import InvalidInput, Locked
from gsi_kernel.fiscal import FiscalQuarter
from gsi_readmodels.model import KnownPerson

PersonOnFile = KnownPerson  # a person as this service knows them from registration's events


def refuse_unknown_person(person: PersonOnFile | None, organization_id: str, person_id: str) -> PersonOnFile:
    # Another organization's person is answered exactly like an unknown one: no leak.
    if person is None or person.organization_id != organization_id:
        raise InvalidInput(
            "intervention.unknown_person",
            "Personne inconnue de votre organisme (inscrivez-la d'abord).",
            "Person unknown to your organization (register them first).",
            details={"field": "person_id", "person_id": person_id},
        )
    return person


def refuse_bad_date(service_date: date, *, today: date, registered_on: date) -> None:
    if service_date > today:
        raise InvalidInput(
            "intervention.date_in_future",
            f"La date de l'intervention ({service_date.isoformat()}) est dans le futur.",
            f"The intervention date ({service_date.isoformat()}) is in the future.",
            details={"field": "service_date"},
        )
    if service_date < registered_on:
        raise InvalidInput(
            "intervention.date_before_registration",
            f"La date de l'intervention précède l'inscription de la personne ({registered_on.isoformat()}).",
            f"The intervention date is before the person's registration ({registered_on.isoformat()}).",
            details={"field": "service_date", "registered_on": registered_on.isoformat()},
        )


def refuse_locked(organization_id: str, service_date: date, *, locked: bool) -> None:
    """``locked``: the quarter of ``service_date`` is locked for the organization and no granted,
    unexpired lock exception covers it."""
    if locked:
        quarter = FiscalQuarter.of(service_date)
        raise Locked(
            "quarter.locked",
            f"Le trimestre {quarter} est verrouillé pour votre organisme : demandez une exception.",
            f"Quarter {quarter} is locked for your organization: request a lock exception.",
            details={"quarter": str(quarter), "organization_id": organization_id},
        )
