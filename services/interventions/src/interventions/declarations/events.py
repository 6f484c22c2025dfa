"""The intervention's vocabulary, its events (stream ``intervention-{id}``) and the fold of its
history to state. The event type names and payloads are stored: change them only with an
upcaster.

The decisions and the invariants live in :mod:`interventions.declarations.domain`, which
re-exports every name here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict

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


class Flag(BaseModel):
    """A conformity finding recorded with the intervention (check C1…C8, error or warning)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    check: str
    severity: str
    code: str
    fr: str
    en: str
    details: dict[str, Any] = {}


class Details(BaseModel):
    """What the organization declares (and may correct): everything but the person."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str
    service_date: date
    duration_minutes: int
    mode: Mode
    volet: Volet
    staff_member: str
    notes: str | None = None
    target_organization: str | None = None
    referral_reason: str | None = None


class InterventionDeclared(DomainEvent):
    event_type = "InterventionDeclared"

    intervention_id: str
    organization_id: str
    person_id: str
    details: Details
    session_id: str | None = None
    import_id: str | None = None
    flags: tuple[Flag, ...] = ()
    catalogue_version: str
    rule_set_version: str | None


class InterventionCorrected(DomainEvent):
    event_type = "InterventionCorrected"

    intervention_id: str
    organization_id: str
    person_id: str
    details: Details
    reason: str
    flags: tuple[Flag, ...] = ()
    catalogue_version: str
    rule_set_version: str | None


class InterventionCancelled(DomainEvent):
    event_type = "InterventionCancelled"

    intervention_id: str
    organization_id: str
    person_id: str
    service_date: date
    reason: str


EVENTS = (InterventionDeclared, InterventionCorrected, InterventionCancelled)


@dataclass(frozen=True, slots=True)
class Intervention:
    """The fold of a stream: the current version of the intervention."""

    intervention_id: str
    organization_id: str
    person_id: str
    details: Details
    session_id: str | None
    cancelled: bool
    version: int


def fold(history: Sequence[DomainEvent]) -> Intervention | None:
    state: Intervention | None = None
    for version, event in enumerate(history, start=1):
        if isinstance(event, InterventionDeclared):
            state = Intervention(
                event.intervention_id,
                event.organization_id,
                event.person_id,
                event.details,
                event.session_id,
                cancelled=False,
                version=version,
            )
        elif state is not None and isinstance(event, InterventionCorrected):
            state = _with(state, details=event.details, version=version)
        elif state is not None and isinstance(event, InterventionCancelled):
            state = _with(state, cancelled=True, version=version)
    return state


def _with(state: Intervention, **changes: Any) -> Intervention:
    return replace(state, **changes)
