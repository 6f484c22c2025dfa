"""Events the interventions service publishes on ``gsi.interventions``.

Reporting follows declarations, corrections and cancellations (its verify runs the same checks)
and action plans (C5, the share of persons with a plan); notifications follows regionalization
checkpoints, lock exceptions and finished imports. No names: persons are pseudonymous ids.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict

from gsi_contracts.base import ContractEvent
from gsi_kernel.events import DomainEvent

TOPIC = "gsi.interventions"


class _InterventionFields(ContractEvent):
    """An intervention's full state at one version (declarations and corrections alike)."""

    intervention_id: str
    person_id: str
    organization_id: str
    code: str
    service_date: date
    volet: str
    duration_minutes: int
    mode: str = "in_person"
    staff_member: str | None = None
    target_organization: str | None = None
    referral_reason: str | None = None
    session_id: str | None = None
    version: int = 1  # the intervention stream's version: a report's snapshot names it


class InterventionDeclared(_InterventionFields):
    event_type = "interventions.InterventionDeclared"
    schema_version = 1


class InterventionCorrected(_InterventionFields):
    """The intervention's new state (every field), after a correction with ``reason``."""

    event_type = "interventions.InterventionCorrected"
    schema_version = 1

    reason: str


class InterventionCancelled(ContractEvent):
    event_type = "interventions.InterventionCancelled"
    schema_version = 1

    intervention_id: str
    person_id: str
    organization_id: str
    service_date: date
    reason: str
    version: int


class ActionPlanOpened(ContractEvent):
    event_type = "interventions.ActionPlanOpened"
    schema_version = 1

    plan_id: str
    person_id: str
    organization_id: str
    opened_on: date


class ActionPlanClosed(ContractEvent):
    event_type = "interventions.ActionPlanClosed"
    schema_version = 1

    plan_id: str
    person_id: str
    organization_id: str
    closed_on: date


class Checkpoint(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    months: int
    due_on: date


class RegionalizationFollowUpOpened(ContractEvent):
    """A person settled in ``destination_region``: checkpoints fall due at 3, 6 and 12 months."""

    event_type = "interventions.RegionalizationFollowUpOpened"
    schema_version = 1

    follow_up_id: str
    person_id: str
    organization_id: str
    destination_region: str
    opened_on: date
    checkpoints: tuple[Checkpoint, ...]


class RegionalizationCheckpointRecorded(ContractEvent):
    event_type = "interventions.RegionalizationCheckpointRecorded"
    schema_version = 1

    follow_up_id: str
    person_id: str
    organization_id: str
    months: int
    outcome: str  # stayed | moved | unknown
    recorded_on: date


class LockExceptionRequested(ContractEvent):
    event_type = "interventions.LockExceptionRequested"
    schema_version = 1

    exception_id: str
    organization_id: str
    quarter: str
    reason: str
    intervention_count: int


class LockExceptionGranted(ContractEvent):
    event_type = "interventions.LockExceptionGranted"
    schema_version = 1

    exception_id: str
    organization_id: str
    quarter: str
    valid_until: date


class LockExceptionRefused(ContractEvent):
    event_type = "interventions.LockExceptionRefused"
    schema_version = 1

    exception_id: str
    organization_id: str
    quarter: str
    reason: str


class CataloguePublished(ContractEvent):
    """A new version of the intervention catalogue (the document is ``gsi_conformity``'s)."""

    event_type = "interventions.CataloguePublished"
    schema_version = 1

    program: str
    version: str
    effective_from: date
    document: dict[str, Any]


class ImportFinished(ContractEvent):
    event_type = "interventions.ImportFinished"
    schema_version = 1

    import_id: str
    organization_id: str
    file_name: str
    created: int
    unchanged: int
    rejected: int


CONTRACTS: tuple[type[DomainEvent], ...] = (
    InterventionDeclared,
    InterventionCorrected,
    InterventionCancelled,
    ActionPlanOpened,
    ActionPlanClosed,
    RegionalizationFollowUpOpened,
    RegionalizationCheckpointRecorded,
    LockExceptionRequested,
    LockExceptionGranted,
    LockExceptionRefused,
    CataloguePublished,
    ImportFinished,
)
