"""HTTP resource: action plans (*plans d'action*, PAP). Its request and response models:
:mod:`.schemas`."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Query, status

from gsi_kernel.fields import Line
from gsi_kernel.http.context import context_for
from gsi_kernel.http.pagination import Page, Pagination
from gsi_kernel.http.policy import own_organization
from gsi_kernel.http.security import OrgUser, Reader, authenticated_router
from gsi_kernel.http.threads import run_short
from interventions.action_plans.app import PlanInput, ServiceInput
from interventions.action_plans.domain import UpdateObjective, UpdatePlannedService
from interventions.action_plans.schemas import (
    ActionPlanSummary,
    ActionPlanView,
    AddObjectiveRequest,
    AddPlannedServiceRequest,
    CloseActionPlanRequest,
    FollowUpCreated,
    FollowUpRequest,
    ObjectiveCreated,
    OpenActionPlanRequest,
    PlanCreated,
    PlannedServiceCreated,
    UpdateObjectiveRequest,
    UpdatePlannedServiceRequest,
)
from interventions.deps import PlansDep

router = authenticated_router(prefix="/action-plans", tags=["plans d'action / action plans"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=PlanCreated)
async def open_plan(body: OpenActionPlanRequest, principal: OrgUser, plans: PlansDep) -> PlanCreated:
    """Ouvrir un plan d'action (un seul actif par personne) / Open an action plan (one active per person)."""
    data = PlanInput(
        person_id=body.person_id,
        opened_on=body.opened_on,
        needs=tuple(body.needs),
        objectives=tuple(body.objectives),
        services=tuple(ServiceInput(s.code, s.planned_on, s.note) for s in body.planned_services),
    )
    plan_id = await run_short(
        lambda: plans.open(data, organization_id=own_organization(principal), context=context_for(principal))
    )
    return PlanCreated(plan_id=plan_id)


@router.get("/{plan_id}", response_model=ActionPlanView)
async def get_plan(plan_id: Line, principal: Reader, plans: PlansDep) -> ActionPlanView:
    """Un plan d'action et l'historique de ses changements / An action plan and its history of changes."""
    return await run_short(lambda: ActionPlanView.of(plans.get(plan_id, principal)))


@router.get("", response_model=Page[ActionPlanSummary])
async def list_plans(
    principal: Reader,
    plans: PlansDep,
    page: Pagination,
    person_id: Annotated[Line | None, Query(max_length=36)] = None,
    status_: Annotated[Literal["active", "closed"] | None, Query(alias="status")] = None,
) -> Page[ActionPlanSummary]:
    """Plans d'action visibles pour l'utilisateur / Action plans visible to the user."""
    rows, total = await run_short(
        lambda: plans.search(
            principal, person_id=person_id, status=status_, offset=page.offset, limit=page.limit
        )
    )
    items = [ActionPlanSummary.of(r) for r in rows]
    return Page(items=items, total=total, offset=page.offset, limit=page.limit)


@router.post("/{plan_id}/objectives", status_code=status.HTTP_201_CREATED, response_model=ObjectiveCreated)
async def add_objective(
    plan_id: Line, body: AddObjectiveRequest, principal: OrgUser, plans: PlansDep
) -> ObjectiveCreated:
    """Ajouter un objectif / Add an objective."""
    objective_id = await run_short(
        lambda: plans.add_objective(
            plan_id,
            body.text,
            body.reason,
            organization_id=own_organization(principal),
            context=context_for(principal),
        )
    )
    return ObjectiveCreated(objective_id=objective_id)


@router.patch("/{plan_id}/objectives/{objective_id}", status_code=status.HTTP_204_NO_CONTENT)
async def update_objective(
    plan_id: Line, objective_id: Line, body: UpdateObjectiveRequest, principal: OrgUser, plans: PlansDep
) -> None:
    """Modifier un objectif, avec un motif / Change an objective, with a reason."""
    command = UpdateObjective(own_organization(principal), objective_id, body.reason, body.text, body.status)
    await run_short(lambda: plans.update_objective(plan_id, command, context=context_for(principal)))


@router.post(
    "/{plan_id}/planned-services", status_code=status.HTTP_201_CREATED, response_model=PlannedServiceCreated
)
async def add_planned_service(
    plan_id: Line, body: AddPlannedServiceRequest, principal: OrgUser, plans: PlansDep
) -> PlannedServiceCreated:
    """Prévoir un service / Plan a service."""
    service = ServiceInput(body.code, body.planned_on, body.note)
    service_id = await run_short(
        lambda: plans.add_planned_service(
            plan_id,
            service,
            body.reason,
            organization_id=own_organization(principal),
            context=context_for(principal),
        )
    )
    return PlannedServiceCreated(service_id=service_id)


@router.patch("/{plan_id}/planned-services/{service_id}", status_code=status.HTTP_204_NO_CONTENT)
async def update_planned_service(
    plan_id: Line, service_id: Line, body: UpdatePlannedServiceRequest, principal: OrgUser, plans: PlansDep
) -> None:
    """Modifier un service prévu, avec un motif / Change a planned service, with a reason."""
    command = UpdatePlannedService(
        own_organization(principal), service_id, body.reason, body.planned_on, body.note, body.status
    )
    await run_short(lambda: plans.update_planned_service(plan_id, command, context=context_for(principal)))


@router.post("/{plan_id}/follow-ups", status_code=status.HTTP_201_CREATED, response_model=FollowUpCreated)
async def record_follow_up(
    plan_id: Line, body: FollowUpRequest, principal: OrgUser, plans: PlansDep
) -> FollowUpCreated:
    """Consigner un suivi / Record a follow-up."""
    follow_up_id = await run_short(
        lambda: plans.record_follow_up(
            plan_id,
            body.held_on,
            body.note,
            body.staff_member,
            organization_id=own_organization(principal),
            context=context_for(principal),
        )
    )
    return FollowUpCreated(follow_up_id=follow_up_id)


@router.post("/{plan_id}/close", status_code=status.HTTP_204_NO_CONTENT)
async def close_plan(
    plan_id: Line, body: CloseActionPlanRequest, principal: OrgUser, plans: PlansDep
) -> None:
    """Fermer le plan, avec le résultat et le motif / Close the plan, with its outcome and reason."""
    await run_short(
        lambda: plans.close(
            plan_id,
            body.closed_on,
            body.outcome,
            body.reason,
            organization_id=own_organization(principal),
            context=context_for(principal),
        )
    )
