"""The action plan (*plan d'action*, PAP) aggregate, stream ``plan-{id}``: the needs an
organization assessed for a person, the objectives and planned services that answer them, the
follow-ups, and the closure. Its events and their fold to state: :mod:`.events`.

Pure decisions: the handler passes in what the decision needs from elsewhere (whether another
plan of the person is active, today's date). Every decision checks that the plan belongs to the
acting organization, so another organization's plan is answered exactly like a missing one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from gsi_kernel.errors import Conflict, InvalidInput, NotFound
from gsi_kernel.events import DomainEvent
from interventions.action_plans import events

# The vocabulary, the events, the state and the fold, under this module's name too: callers import
# them from here (an assignment is a public name for mypy --strict, a plain import is not).
EVENTS = events.EVENTS
NEED_LABELS = events.NEED_LABELS
ActionPlan = events.ActionPlan
ActionPlanClosed = events.ActionPlanClosed
ActionPlanOpened = events.ActionPlanOpened
FollowUp = events.FollowUp
Need = events.Need
Objective = events.Objective
ObjectiveStatus = events.ObjectiveStatus
Outcome = events.Outcome
PlanFollowUpRecorded = events.PlanFollowUpRecorded
PlannedService = events.PlannedService
PlannedServiceAdded = events.PlannedServiceAdded
PlannedServiceUpdated = events.PlannedServiceUpdated
PlanObjectiveAdded = events.PlanObjectiveAdded
PlanObjectiveUpdated = events.PlanObjectiveUpdated
ServiceStatus = events.ServiceStatus
fold = events.fold


# ---- commands and decisions -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NewObjective:
    objective_id: str
    text: str


@dataclass(frozen=True, slots=True)
class NewService:
    service_id: str
    code: str
    planned_on: date
    note: str | None = None


@dataclass(frozen=True, slots=True)
class OpenActionPlan:
    plan_id: str
    organization_id: str
    person_id: str
    opened_on: date
    needs: tuple[Need, ...]
    objectives: tuple[NewObjective, ...]
    services: tuple[NewService, ...]
    today: date


def open_plan(
    history: Sequence[DomainEvent], command: OpenActionPlan, *, active_plan_id: str | None
) -> list[DomainEvent]:
    """Open a plan; ``active_plan_id``: the person's plan still active in this organization."""
    if history:
        raise Conflict("plan.already_opened", "Ce plan existe déjà.", "This plan already exists.")
    _not_in_future(command.opened_on, command.today, "opened_on")
    if not command.needs:
        raise _invalid("plan.no_needs", "needs", "Indiquez au moins un besoin.", "Give at least one need.")
    for service in command.services:
        _not_before_opening(service.planned_on, command.opened_on, "planned_services")
    if active_plan_id is not None:
        raise Conflict(
            "plan.already_active",
            "Cette personne a déjà un plan d'action actif dans votre organisme; fermez-le d'abord.",
            "This person already has an active action plan in your organization; close it first.",
            details={"plan_id": active_plan_id},
        )
    opened = ActionPlanOpened(
        plan_id=command.plan_id,
        organization_id=command.organization_id,
        person_id=command.person_id,
        opened_on=command.opened_on,
        needs=tuple(dict.fromkeys(command.needs)),
    )
    objectives = [_objective_added(o, None) for o in command.objectives]
    services = [_service_added(s, None) for s in command.services]
    return [opened, *objectives, *services]


@dataclass(frozen=True, slots=True)
class AddObjective:
    organization_id: str
    objective: NewObjective
    reason: str | None = None


def add_objective(history: Sequence[DomainEvent], command: AddObjective) -> list[DomainEvent]:
    _open(history, command.organization_id)
    return [_objective_added(command.objective, command.reason)]


@dataclass(frozen=True, slots=True)
class UpdateObjective:
    organization_id: str
    objective_id: str
    reason: str
    text: str | None = None
    status: ObjectiveStatus | None = None


def update_objective(history: Sequence[DomainEvent], command: UpdateObjective) -> list[DomainEvent]:
    plan = _open(history, command.organization_id)
    if command.text is None and command.status is None:
        raise _nothing_to_change()
    current = next((o for o in plan.objectives if o.objective_id == command.objective_id), None)
    if current is None:
        raise NotFound("plan.objective_not_found", "Objectif introuvable.", "Objective not found.")
    text = command.text if command.text is not None else current.text
    status = command.status or current.status
    if (text, status) == (current.text, current.status):
        return []  # sent again: already so
    return [
        PlanObjectiveUpdated(
            objective_id=current.objective_id, text=text, status=status, reason=command.reason
        )
    ]


@dataclass(frozen=True, slots=True)
class AddPlannedService:
    organization_id: str
    service: NewService
    reason: str | None = None


def add_planned_service(history: Sequence[DomainEvent], command: AddPlannedService) -> list[DomainEvent]:
    plan = _open(history, command.organization_id)
    _not_before_opening(command.service.planned_on, plan.opened_on, "planned_on")
    return [_service_added(command.service, command.reason)]


@dataclass(frozen=True, slots=True)
class UpdatePlannedService:
    organization_id: str
    service_id: str
    reason: str
    planned_on: date | None = None
    note: str | None = None  # "" clears the note
    status: ServiceStatus | None = None


def update_planned_service(
    history: Sequence[DomainEvent], command: UpdatePlannedService
) -> list[DomainEvent]:
    plan = _open(history, command.organization_id)
    if command.planned_on is None and command.note is None and command.status is None:
        raise _nothing_to_change()
    current = next((s for s in plan.services if s.service_id == command.service_id), None)
    if current is None:
        raise NotFound("plan.service_not_found", "Service prévu introuvable.", "Planned service not found.")
    planned_on = command.planned_on or current.planned_on
    _not_before_opening(planned_on, plan.opened_on, "planned_on")
    note = current.note if command.note is None else (command.note or None)
    status = command.status or current.status
    if (planned_on, note, status) == (current.planned_on, current.note, current.status):
        return []
    updated = PlannedServiceUpdated(
        service_id=current.service_id, planned_on=planned_on, note=note, status=status, reason=command.reason
    )
    return [updated]


@dataclass(frozen=True, slots=True)
class RecordFollowUp:
    organization_id: str
    follow_up_id: str
    held_on: date
    note: str
    staff_member: str
    today: date


def record_follow_up(history: Sequence[DomainEvent], command: RecordFollowUp) -> list[DomainEvent]:
    plan = _open(history, command.organization_id)
    _not_in_future(command.held_on, command.today, "held_on")
    _not_before_opening(command.held_on, plan.opened_on, "held_on")
    recorded = PlanFollowUpRecorded(
        follow_up_id=command.follow_up_id,
        held_on=command.held_on,
        note=command.note,
        staff_member=command.staff_member,
    )
    return [recorded]


@dataclass(frozen=True, slots=True)
class ClosePlan:
    organization_id: str
    closed_on: date
    outcome: Outcome
    reason: str
    today: date


def close(history: Sequence[DomainEvent], command: ClosePlan) -> list[DomainEvent]:
    plan = _open(history, command.organization_id)
    _not_in_future(command.closed_on, command.today, "closed_on")
    _not_before_opening(command.closed_on, plan.opened_on, "closed_on")
    closed = ActionPlanClosed(
        plan_id=plan.plan_id,
        organization_id=plan.organization_id,
        person_id=plan.person_id,
        closed_on=command.closed_on,
        outcome=command.outcome,
        reason=command.reason,
    )
    return [closed]


def owned(history: Sequence[DomainEvent], organization_id: str) -> ActionPlan:
    """The plan, if it is this organization's (any other: not found, no leak)."""
    plan = fold(history)
    if plan is None or plan.organization_id != organization_id:
        raise NotFound("plan.not_found", "Plan d'action introuvable.", "Action plan not found.")
    return plan


def _open(history: Sequence[DomainEvent], organization_id: str) -> ActionPlan:
    plan = owned(history, organization_id)
    if plan.closed_on is not None:
        raise Conflict(
            "plan.closed",
            "Ce plan d'action est fermé; il ne peut plus changer.",
            "This action plan is closed; it can no longer change.",
            details={"closed_on": plan.closed_on.isoformat()},
        )
    return plan


def _objective_added(objective: NewObjective, reason: str | None) -> PlanObjectiveAdded:
    return PlanObjectiveAdded(objective_id=objective.objective_id, text=objective.text, reason=reason)


def _service_added(service: NewService, reason: str | None) -> PlannedServiceAdded:
    return PlannedServiceAdded(
        service_id=service.service_id,
        code=service.code,
        planned_on=service.planned_on,
        note=service.note,
        reason=reason,
    )


def _not_in_future(day: date, today: date, field: str) -> None:
    if day > today:
        raise _invalid(
            "plan.date_in_future", field, "La date est dans le futur.", "The date is in the future."
        )


def _not_before_opening(day: date, opened_on: date, field: str) -> None:
    if day < opened_on:
        raise _invalid(
            "plan.date_before_opening",
            field,
            "La date précède l'ouverture du plan.",
            "The date is before the plan was opened.",
        )


def _nothing_to_change() -> InvalidInput:
    return InvalidInput("plan.nothing_to_change", "Aucun changement demandé.", "No change was asked for.")


def _invalid(code: str, field: str, fr: str, en: str) -> InvalidInput:
    return InvalidInput(code, fr, en, details={"field": field})
