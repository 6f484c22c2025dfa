"""Persons as this service knows them — from registration's published events, applied by the
idempotent consumer runner (``gsi_readmodels.persons``, the same follower reporting keeps)."""

from __future__ import annotations

from sqlalchemy import select

from gsi_contracts import registration
from gsi_kernel.errors import InvalidInput
from gsi_kernel.runtime import ConsumerSpec
from gsi_kernel.store.database import Database
from gsi_kernel.store.queries import fetch_one
from gsi_readmodels.persons import PersonFollower
from interventions.tables import PERSONS, known_persons


def consumer() -> ConsumerSpec:
    """The consumer of registration's topic that keeps :data:`PERSONS`."""
    return ConsumerSpec("interventions.persons", [registration.TOPIC], PersonFollower(PERSONS).handlers)


def require_own_person(db: Database, person_id: str, organization_id: str, *, code: str) -> None:
    """Refuse (``code``, on the field ``person_id``) a person this organization has not
    registered. Another organization's person is refused exactly like an unknown one: no leak."""
    query = select(known_persons.c.organization_id).where(known_persons.c.person_id == person_id)
    row = fetch_one(db, query)
    if row is None or row["organization_id"] != organization_id:
        raise InvalidInput(
            code,
            "Personne inconnue de votre organisme (inscrivez-la d'abord).",
            "Person unknown to your organization (register them first).",
            details={"field": "person_id"},
        )
