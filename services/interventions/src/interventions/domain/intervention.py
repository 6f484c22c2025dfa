"""The intervention aggregate: a service an organization declares for a person, then may correct
or cancel, each change with its author (in the envelope) and reason.

Pure decisions. What a decision needs from outside — the person as this service knows them, the
quarter's lock, the conformity findings of the shared checks — is computed by the handler and
passed in the command. Hard errors refuse the write; conformity problems are recorded with it
as flags, so the organization sees at once what would be rejected at verify.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict

from gsi_kernel.errors import Conflict, InvalidInput, NotFound
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


@dataclass(frozen=True, slots=True)
class Checked:
    """The handler's verdict on one version of an intervention: the shared checks' findings and
    the versions of the catalogue and rules they were made with."""

    flags: tuple[Flag, ...]
    catalogue_version: str
    rule_set_version: str | None


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


# ---- decisions -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DeclareIntervention:
    intervention_id: str
    organization_id: str
    person_id: str
    details: Details
    checked: Checked
    session_id: str | None = None
    import_id: str | None = None


def declare(history: Sequence[DomainEvent], command: DeclareIntervention) -> list[DomainEvent]:
    if history:
        raise Conflict(
            "intervention.already_declared",
            "Cette intervention existe déjà.",
            "This intervention already exists.",
        )
    return [
        InterventionDeclared(
            intervention_id=command.intervention_id,
            organization_id=command.organization_id,
            person_id=command.person_id,
            details=command.details,
            session_id=command.session_id,
            import_id=command.import_id,
            flags=command.checked.flags,
            catalogue_version=command.checked.catalogue_version,
            rule_set_version=command.checked.rule_set_version,
        )
    ]


@dataclass(frozen=True, slots=True)
class CorrectIntervention:
    details: Details
    reason: str
    checked: Checked


def correct(history: Sequence[DomainEvent], command: CorrectIntervention) -> list[DomainEvent]:
    state = _active(history)
    if command.details == state.details:
        raise InvalidInput(
            "intervention.nothing_to_correct",
            "La correction ne change rien à l'intervention.",
            "The correction changes nothing in the intervention.",
        )
    if state.session_id is not None and command.details.code != state.details.code:
        raise InvalidInput(
            "intervention.session_code_fixed",
            "Le code d'une intervention de séance de groupe ne se corrige pas (annulez-la).",
            "A group-session intervention's code cannot be corrected (cancel it instead).",
            details={"field": "code"},
        )
    return [
        InterventionCorrected(
            intervention_id=state.intervention_id,
            organization_id=state.organization_id,
            person_id=state.person_id,
            details=command.details,
            reason=command.reason,
            flags=command.checked.flags,
            catalogue_version=command.checked.catalogue_version,
            rule_set_version=command.checked.rule_set_version,
        )
    ]


def cancel(history: Sequence[DomainEvent], reason: str) -> list[DomainEvent]:
    state = _active(history)
    return [
        InterventionCancelled(
            intervention_id=state.intervention_id,
            organization_id=state.organization_id,
            person_id=state.person_id,
            service_date=state.details.service_date,
            reason=reason,
        )
    ]


def current(history: Sequence[DomainEvent]) -> Intervention:
    state = fold(history)
    if state is None:
        raise NotFound("intervention.not_found", "Intervention introuvable.", "Intervention not found.")
    return state


def _active(history: Sequence[DomainEvent]) -> Intervention:
    state = current(history)
    if state.cancelled:
        raise Conflict(
            "intervention.cancelled",
            "Cette intervention est annulée : elle ne peut plus changer.",
            "This intervention is cancelled: it can no longer change.",
        )
    return state
