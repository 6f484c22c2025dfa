"""Read models of action plans, projected from the ``plan-`` streams; and the guard that keeps
one active plan per person and organization (``action_plan_claims``).

A plan's full detail (objectives, services, follow-ups, history) is read from its stream: the
summary row here serves lists, the C5 check and the indicators.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Column,
    Connection,
    Date,
    Index,
    Integer,
    String,
    Table,
    case,
    delete,
    insert,
    select,
    update,
)

from gsi_kernel.envelope import EventEnvelope
from gsi_kernel.projections import EventByEvent
from gsi_kernel.store.types import UtcDateTime
from interventions.action_plans import domain as plan
from interventions.event_registry import EVENTS
from interventions.tables import metadata

PLAN_STREAM = "plan-"

action_plans = Table(
    "action_plans",
    metadata,
    Column("plan_id", String(36), primary_key=True),
    Column("organization_id", String(100), nullable=False),
    Column("person_id", String(36), nullable=False),
    Column("opened_on", Date, nullable=False),
    Column("closed_on", Date),
    Column("status", String(10), nullable=False),  # active | closed
    Column("needs", JSON, nullable=False),
    Column("objective_count", Integer, nullable=False),
    Column("planned_service_count", Integer, nullable=False),
    Column("follow_up_count", Integer, nullable=False),
    Column("last_follow_up_on", Date),
    Column("outcome", String(30)),
    Column("opened_at", UtcDateTime(), nullable=False),
    Column("opened_by", String(200), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("updated_by", String(200), nullable=False),
    Index("ix_action_plans_org_person", "organization_id", "person_id", "opened_on"),
    Index("ix_action_plans_org_status", "organization_id", "status", "opened_on"),
)

# Written by the commands in the transaction of their events (not a projection): a second
# opening for the same person and organization finds the row, even while the first commits.
action_plan_claims = Table(
    "action_plan_claims",
    metadata,
    Column("organization_id", String(100), primary_key=True),
    Column("person_id", String(36), primary_key=True),
    Column("plan_id", String(36), nullable=False),
)


def active_plan_periods(
    connection: Connection, organization_id: str, person_id: str
) -> tuple[tuple[date, date | None], ...]:
    """Every plan of the person in the organization, as (opened_on, closed_on or None), oldest
    first: a service date is covered when it falls in one of them (check C5)."""
    query = (
        select(action_plans.c.opened_on, action_plans.c.closed_on)
        .where(action_plans.c.organization_id == organization_id, action_plans.c.person_id == person_id)
        .order_by(action_plans.c.opened_on, action_plans.c.plan_id)
    )
    return tuple((row.opened_on, row.closed_on) for row in connection.execute(query))


class ActionPlansProjection(EventByEvent):
    name = "interventions.action_plans"

    def apply(self, connection: Connection, event: EventEnvelope) -> None:
        if not event.stream_id.startswith(PLAN_STREAM):
            return
        e = EVENTS.decode(event.type, event.schema_version, event.payload)
        plan_id = event.stream_id.removeprefix(PLAN_STREAM)
        touched = {"updated_at": event.occurred_at, "updated_by": event.actor}
        if isinstance(e, plan.ActionPlanOpened):
            connection.execute(insert(action_plans).values(**_opened_row(e, event.occurred_at, event.actor)))
            return
        c = action_plans.c
        changes: dict[str, object] = {}
        if isinstance(e, plan.PlanObjectiveAdded):
            changes = {"objective_count": c.objective_count + 1}
        elif isinstance(e, plan.PlannedServiceAdded):
            changes = {"planned_service_count": c.planned_service_count + 1}
        elif isinstance(e, plan.PlanFollowUpRecorded):
            later = c.last_follow_up_on.is_(None) | (c.last_follow_up_on < e.held_on)
            changes = {
                "follow_up_count": c.follow_up_count + 1,
                "last_follow_up_on": case((later, e.held_on), else_=c.last_follow_up_on),
            }
        elif isinstance(e, plan.ActionPlanClosed):
            changes = {"status": "closed", "closed_on": e.closed_on, "outcome": e.outcome}
        connection.execute(update(action_plans).where(c.plan_id == plan_id).values(**changes, **touched))

    def reset(self, connection: Connection) -> None:
        connection.execute(delete(action_plans))


def _opened_row(e: plan.ActionPlanOpened, at: datetime, actor: str) -> dict[str, object]:
    return {
        "plan_id": e.plan_id,
        "organization_id": e.organization_id,
        "person_id": e.person_id,
        "opened_on": e.opened_on,
        "status": "active",
        "needs": [str(n) for n in e.needs],
        "objective_count": 0,
        "planned_service_count": 0,
        "follow_up_count": 0,
        "opened_at": at,
        "opened_by": actor,
        "updated_at": at,
        "updated_by": actor,
    }
