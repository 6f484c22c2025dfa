"""Events the registration service publishes on ``gsi.registration``.

Privacy by design (Loi 25, art. 64): only what consumers need — a pseudonymous person id, the
organization, the birth date, the status and its dates, the region. No name, no contact, no UCI.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from gsi_contracts.base import ContractEvent
from gsi_kernel.events import DomainEvent

TOPIC = "gsi.registration"


class PersonRegistered(ContractEvent):
    event_type = "registration.PersonRegistered"
    schema_version = 1

    person_id: str
    organization_id: str
    birth_date: date
    status: str
    status_since: date
    region: str | None
    admission_date: date | None = None
    status_expires_on: date | None = None


class PersonStatusChanged(ContractEvent):
    """A new status period, valid from ``effective_from`` (history: earlier periods stay)."""

    event_type = "registration.PersonStatusChanged"
    schema_version = 1

    person_id: str
    organization_id: str
    status: str
    effective_from: date
    admission_date: date | None = None
    expires_on: date | None = None


class PersonRegionChanged(ContractEvent):
    event_type = "registration.PersonRegionChanged"
    schema_version = 1

    person_id: str
    organization_id: str
    region: str | None
    effective_from: date


class PersonsMerged(ContractEvent):
    """``person_id`` was a duplicate of ``into_person_id``: follow the latter from now on."""

    event_type = "registration.PersonsMerged"
    schema_version = 1

    person_id: str
    into_person_id: str


class PersonErased(ContractEvent):
    """The person's personal data was destroyed (Loi 25); counts keep the pseudonymous id."""

    event_type = "registration.PersonErased"
    schema_version = 1

    person_id: str


class RuleSetPublished(ContractEvent):
    """A new version of an eligibility rule set (the document is ``gsi_eligibility``'s format)."""

    event_type = "registration.RuleSetPublished"
    schema_version = 1

    program: str
    version: str
    effective_from: date
    document: dict[str, Any]


CONTRACTS: tuple[type[DomainEvent], ...] = (
    PersonRegistered,
    PersonStatusChanged,
    PersonRegionChanged,
    PersonsMerged,
    PersonErased,
    RuleSetPublished,
)
