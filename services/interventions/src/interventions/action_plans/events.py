"""The action plan's vocabulary, its events (stream ``plan-{id}``) and the fold of its history to
state. The event type names and payloads are stored: change them only with an upcaster.

The decisions live in :mod:`interventions.action_plans.domain`, which re-exports every name here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum

from gsi_kernel.events import DomainEvent


class Need(StrEnum):
    HOUSING = "housing"
    HEALTH_CARD = "health_card"
    SIN = "sin"
    DAYCARE = "daycare"
    FRENCH_COURSES = "french_courses"
    EMPLOYMENT = "employment"
    COMMUNITY = "community"


NEED_LABELS: dict[Need, tuple[str, str]] = {
    Need.HOUSING: ("Logement", "Housing"),
    Need.HEALTH_CARD: ("Carte d'assurance maladie", "Health insurance card"),
    Need.SIN: ("Numéro d'assurance sociale", "Social insurance number"),
    Need.DAYCARE: ("Service de garde", "Daycare"),
    Need.FRENCH_COURSES: ("Cours de français", "French courses"),
    Need.EMPLOYMENT: ("Emploi", "Employment"),
    Need.COMMUNITY: ("Vie communautaire", "Community life"),
}


class ObjectiveStatus(StrEnum):
    OPEN = "open"
    ACHIEVED = "achieved"
    ABANDONED = "abandoned"


class ServiceStatus(StrEnum):
    PLANNED = "planned"
    DONE = "done"
    CANCELLED = "cancelled"


class Outcome(StrEnum):
    """Why a plan ends."""

    COMPLETED = "completed"
    PARTIALLY_COMPLETED = "partially_completed"
    PERSON_WITHDREW = "person_withdrew"
    PERSON_MOVED = "person_moved"
    TRANSFERRED = "transferred"
    OTHER = "other"


# ---- events -----------------------------------------------------------------------------------


class ActionPlanOpened(DomainEvent):
    event_type = "ActionPlanOpened"

    plan_id: str
    organization_id: str
    person_id: str
    opened_on: date
    needs: tuple[Need, ...]


class PlanObjectiveAdded(DomainEvent):
    event_type = "PlanObjectiveAdded"

    objective_id: str
    text: str
    reason: str | None = None


class PlanObjectiveUpdated(DomainEvent):
    event_type = "PlanObjectiveUpdated"

    objective_id: str
    text: str
    status: ObjectiveStatus
    reason: str


class PlannedServiceAdded(DomainEvent):
    event_type = "PlannedServiceAdded"

    service_id: str
    code: str
    planned_on: date
    note: str | None = None
    reason: str | None = None


class PlannedServiceUpdated(DomainEvent):
    event_type = "PlannedServiceUpdated"

    service_id: str
    planned_on: date
    note: str | None
    status: ServiceStatus
    reason: str


class PlanFollowUpRecorded(DomainEvent):
    event_type = "PlanFollowUpRecorded"

    follow_up_id: str
    held_on: date
    note: str
    staff_member: str


class ActionPlanClosed(DomainEvent):
    """Carries the person and organization: what is published on closure needs them."""

    event_type = "ActionPlanClosed"

    plan_id: str
    organization_id: str
    person_id: str
    closed_on: date
    outcome: Outcome
    reason: str


EVENTS = (
    ActionPlanOpened,
    PlanObjectiveAdded,
    PlanObjectiveUpdated,
    PlannedServiceAdded,
    PlannedServiceUpdated,
    PlanFollowUpRecorded,
    ActionPlanClosed,
)


# ---- state ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Objective:
    objective_id: str
    text: str
    status: ObjectiveStatus = ObjectiveStatus.OPEN


@dataclass(frozen=True, slots=True)
class PlannedService:
    service_id: str
    code: str
    planned_on: date
    note: str | None
    status: ServiceStatus = ServiceStatus.PLANNED


@dataclass(frozen=True, slots=True)
class FollowUp:
    follow_up_id: str
    held_on: date
    note: str
    staff_member: str


@dataclass(frozen=True, slots=True)
class ActionPlan:
    plan_id: str
    organization_id: str
    person_id: str
    opened_on: date
    needs: tuple[Need, ...]
    objectives: tuple[Objective, ...] = ()
    services: tuple[PlannedService, ...] = ()
    follow_ups: tuple[FollowUp, ...] = ()
    closed_on: date | None = None
    outcome: Outcome | None = None
    closure_reason: str | None = None

    @property
    def status(self) -> str:
        return "active" if self.closed_on is None else "closed"


def fold(history: Sequence[DomainEvent]) -> ActionPlan | None:
    plan: ActionPlan | None = None
    for event in history:
        plan = _apply(plan, event)
    return plan


def _apply(plan: ActionPlan | None, e: DomainEvent) -> ActionPlan:
    if isinstance(e, ActionPlanOpened):
        return ActionPlan(e.plan_id, e.organization_id, e.person_id, e.opened_on, e.needs)
    assert plan is not None, f"{e.event_type} before ActionPlanOpened"
    if isinstance(e, PlanObjectiveAdded):
        return replace(plan, objectives=(*plan.objectives, Objective(e.objective_id, e.text)))
    if isinstance(e, PlanObjectiveUpdated):
        changed = Objective(e.objective_id, e.text, e.status)
        objectives = tuple(changed if o.objective_id == e.objective_id else o for o in plan.objectives)
        return replace(plan, objectives=objectives)
    if isinstance(e, PlannedServiceAdded):
        service = PlannedService(e.service_id, e.code, e.planned_on, e.note)
        return replace(plan, services=(*plan.services, service))
    if isinstance(e, PlannedServiceUpdated):
        services = tuple(
            replace(s, planned_on=e.planned_on, note=e.note, status=e.status)
            if s.service_id == e.service_id
            else s
            for s in plan.services
        )
        return replace(plan, services=services)
    if isinstance(e, PlanFollowUpRecorded):
        follow_up = FollowUp(e.follow_up_id, e.held_on, e.note, e.staff_member)
        return replace(plan, follow_ups=(*plan.follow_ups, follow_up))
    if isinstance(e, ActionPlanClosed):
        return replace(plan, closed_on=e.closed_on, outcome=e.outcome, closure_reason=e.reason)
    return plan
