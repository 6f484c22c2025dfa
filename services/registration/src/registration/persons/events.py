"""The person's events. Personal data (names, contact, address details, UCI) travels only as
``pii``: a token sealed with the person's own key (see gsi_kernel.privacy), so destroying the
key (erasure) leaves these events intact and their personal data unreadable."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict

from gsi_kernel.events import DomainEvent, EventRegistry
from registration.persons.values import ConsentPurpose, DocumentKind, FrenchLevel, Sex, Status


class StatusPeriod(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    status: Status
    effective_from: date
    admission_date: date | None = None
    expires_on: date | None = None


class VoletResult(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    volet: str
    eligible: bool
    failures: tuple[str, ...]  # rule codes, e.g. ("E3",)


class PersonRegistered(DomainEvent):
    event_type = "PersonRegistered"

    person_id: str
    organization_id: str
    birth_date: date
    sex: Sex
    country_of_birth: str
    languages: tuple[str, ...]
    french_level: FrenchLevel
    status: StatusPeriod
    region: str | None
    uci_hash: str | None
    pii: str
    # The file's human reference (see file_numbers): None only in the events of persons
    # registered before files were numbered; FileNumberAssigned numbers those later.
    file_number: int | None = None


class FileNumberAssigned(DomainEvent):
    """A file registered before files were numbered gets its number."""

    event_type = "FileNumberAssigned"

    file_number: int


class StatusChanged(DomainEvent):
    event_type = "StatusChanged"

    period: StatusPeriod
    reason: str


class AddressChanged(DomainEvent):
    event_type = "AddressChanged"

    region: str | None
    effective_from: date
    pii: str  # the new address, sealed
    reason: str


class EligibilityEvaluated(DomainEvent):
    event_type = "EligibilityEvaluated"

    on_date: date
    trigger: str  # "registration" | "status_change" | "address_change" | "request"
    program: str
    rule_set_version: str
    results: tuple[VoletResult, ...]


class ConsentGiven(DomainEvent):
    event_type = "ConsentGiven"

    purpose: ConsentPurpose
    given_at: datetime


class ConsentWithdrawn(DomainEvent):
    event_type = "ConsentWithdrawn"

    purpose: ConsentPurpose
    withdrawn_at: datetime
    reason: str


class DocumentAttached(DomainEvent):
    event_type = "DocumentAttached"

    document_id: str
    kind: DocumentKind
    media_type: str
    size: int
    sha256: str


class PossibleDuplicateFlagged(DomainEvent):
    event_type = "PossibleDuplicateFlagged"

    candidate_person_id: str
    match: str  # "uci" | "probable"
    score: float


class DuplicateDismissed(DomainEvent):
    event_type = "DuplicateDismissed"

    candidate_person_id: str
    reason: str


class PersonMerged(DomainEvent):
    event_type = "PersonMerged"

    into_person_id: str
    reason: str


class PersonErased(DomainEvent):
    event_type = "PersonErased"

    reason: str


PERSON_EVENTS: tuple[type[DomainEvent], ...] = (
    PersonRegistered,
    FileNumberAssigned,
    StatusChanged,
    AddressChanged,
    EligibilityEvaluated,
    ConsentGiven,
    ConsentWithdrawn,
    DocumentAttached,
    PossibleDuplicateFlagged,
    DuplicateDismissed,
    PersonMerged,
    PersonErased,
)

EVENTS = EventRegistry(PERSON_EVENTS)
