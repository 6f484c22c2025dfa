"""Events the registration service publishes on ``gsi.registration``.

Privacy by design (Loi 25, art. 64): only what consumers need — a pseudonymous person id, the
organization, the birth date, the status and its dates, the region, and the file number. No
name, no contact, no UCI.

The file number is the file's human reference: e-mails, reports and screens name a person by
it (never by the id), written as :func:`file_reference` writes it (``D-000123``). Registration
draws it from one sequence for all organizations, so it is unique within each organization and
across them.
"""

from __future__ import annotations

import re
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
    # Added in the same schema version (optional: consumers that predate it ignore it). None
    # only for persons registered before files were numbered: PersonFileNumberAssigned follows.
    file_number: int | None = None


class PersonFileNumberAssigned(ContractEvent):
    """A person registered before files were numbered got a file number."""

    event_type = "registration.PersonFileNumberAssigned"
    schema_version = 1

    person_id: str
    organization_id: str
    file_number: int


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


_REFERENCE = re.compile(r"^\s*(?:[dD]\s*-?\s*)?0*(\d{1,12})\s*$")


def file_reference(file_number: int) -> str:
    """How people see a file number: ``D-000123`` (six digits at least)."""
    return f"D-{file_number:06d}"


def parse_file_reference(text: str) -> int | None:
    """The number in ``D-000123``, ``d123`` or ``123``; None if ``text`` is not one."""
    match = _REFERENCE.match(text)
    return int(match.group(1)) if match and int(match.group(1)) > 0 else None


CONTRACTS: tuple[type[DomainEvent], ...] = (
    PersonRegistered,
    PersonFileNumberAssigned,
    PersonStatusChanged,
    PersonRegionChanged,
    PersonsMerged,
    PersonErased,
    RuleSetPublished,
)
