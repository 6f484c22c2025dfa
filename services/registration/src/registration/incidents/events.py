"""The confidentiality-incident register's events, and the facts and notice recipients they
carry (Loi 25)."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict

from gsi_kernel.events import DomainEvent


class NoticeRecipient(StrEnum):
    COMMISSION = "commission"  # Commission d'accès à l'information
    PERSONS = "persons"  # the persons whose information is concerned
    PUBLIC = "public"  # a public notice, where notifying each person is not possible


class IncidentFacts(BaseModel):
    """The register's items that describe the incident itself."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    personal_information: str  # what information is concerned (or why it cannot be described)
    circumstances: str
    occurred_on: date
    occurred_until: date | None = None  # the end of a period, if it lasted
    occurred_estimated: bool = False
    detected_on: date
    persons_concerned: int
    persons_estimated: bool = False
    risk_assessment: str  # sensitivity, anticipated misuse, likelihood of injurious use
    serious_injury_risk: bool


class IncidentRecorded(DomainEvent):
    event_type = "IncidentRecorded"

    incident_id: str
    facts: IncidentFacts


class IncidentCorrected(DomainEvent):
    event_type = "IncidentCorrected"

    changes: dict[str, Any]  # the facts' fields that changed, with their new values
    reason: str


class IncidentNoticeSent(DomainEvent):
    event_type = "IncidentNoticeSent"

    recipient: NoticeRecipient
    sent_on: date


class IncidentMeasureTaken(DomainEvent):
    event_type = "IncidentMeasureTaken"

    description: str
    taken_on: date


class IncidentClosed(DomainEvent):
    event_type = "IncidentClosed"

    reason: str


INCIDENT_EVENTS: tuple[type[DomainEvent], ...] = (
    IncidentRecorded,
    IncidentCorrected,
    IncidentNoticeSent,
    IncidentMeasureTaken,
    IncidentClosed,
)
