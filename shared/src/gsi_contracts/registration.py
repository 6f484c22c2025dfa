"""Events the registration service publishes on ``gsi.registration``.

Privacy by design (Loi 25, art. 64): only what consumers need — a pseudonymous person id, the
organization, the birth date, the status and its date, the region. No name, no contact.
"""

from __future__ import annotations

from datetime import date

from gsi_kernel.events import DomainEvent

TOPIC = "gsi.registration"


class PersonRegistered(DomainEvent):
    event_type = "registration.PersonRegistered"
    schema_version = 1

    person_id: str
    organization_id: str
    birth_date: date
    status: str
    status_since: date
    region: str | None


CONTRACTS: tuple[type[DomainEvent], ...] = (PersonRegistered,)
