"""Action plans' use cases: open, change, follow up and close a plan; read one with its history
of changes, and list them."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from functools import partial
from typing import Any

from sqlalchemy import Connection, delete, select

from gsi_kernel.auth import Principal, may_read_organization
from gsi_kernel.clock import Clock, montreal_date
from gsi_kernel.envelope import CommandContext
from gsi_kernel.errors import NotFound
from gsi_kernel.events import DomainEvent
from gsi_kernel.store.backend import backend_of
from gsi_kernel.store.database import Database
from gsi_kernel.store.event_store import EventStore
from gsi_kernel.store.queries import fetch_page, scoped_to_principal
from gsi_kernel.writer import StreamWriter
from interventions.action_plans import domain as plan
from interventions.action_plans.projection import PLAN_STREAM, action_plan_claims, action_plans
from interventions.event_registry import EVENTS
from interventions.registration_persons import require_own_person

Decision = Callable[[list[DomainEvent]], list[DomainEvent]]


@dataclass(frozen=True, slots=True)
class ServiceInput:
    code: str
    planned_on: date
    note: str | None = None


@dataclass(frozen=True, slots=True)
class PlanInput:
    person_id: str
    opened_on: date
    needs: tuple[plan.Need, ...]
    objectives: tuple[str, ...] = ()
    services: tuple[ServiceInput, ...] = ()


@dataclass(frozen=True, slots=True)
class Change:
    """One event of the plan's stream, as its history shows it: who, when, what."""

    version: int
    at: datetime
    actor: str
    change: str
    reason: str | None
    details: dict[str, Any]


@dataclass(frozen=True, slots=True)
class PlanDetail:
    plan: plan.ActionPlan
    opened_at: datetime
    opened_by: str
    history: tuple[Change, ...]


class ActionPlans:
    def __init__(self, *, db: Database, store: EventStore, writer: StreamWriter, clock: Clock) -> None:
        self._db = db
        self._store = store
        self._writer = writer
        self._clock = clock

    def open(self, data: PlanInput, *, organization_id: str, context: CommandContext) -> str:
        """Open a plan for a person the organization registered; return its id."""
        require_own_person(self._db, data.person_id, organization_id, code="plan.unknown_person")
        plan_id = _new_id()
        command = plan.OpenActionPlan(
            plan_id=plan_id,
            organization_id=organization_id,
            person_id=data.person_id,
            opened_on=data.opened_on,
            needs=data.needs,
            objectives=tuple(plan.NewObjective(_new_id(), text) for text in data.objectives),
            services=tuple(plan.NewService(_new_id(), s.code, s.planned_on, s.note) for s in data.services),
            today=self._today(),
        )

        def decide(connection: Connection, history: list[DomainEvent]) -> list[DomainEvent]:
            holder = _claim(connection, organization_id, data.person_id, plan_id)
            return plan.open_plan(history, command, active_plan_id=holder)

        with self._db.transaction() as connection:
            self._writer.execute(
                _stream(plan_id), partial(decide, connection), context, new_stream=True, connection=connection
            )
        return plan_id

    def add_objective(
        self, plan_id: str, text: str, reason: str | None, *, organization_id: str, context: CommandContext
    ) -> str:
        objective_id = _new_id()
        command = plan.AddObjective(organization_id, plan.NewObjective(objective_id, text), reason)
        self._execute(plan_id, lambda h: plan.add_objective(h, command), context)
        return objective_id

    def update_objective(
        self, plan_id: str, command: plan.UpdateObjective, *, context: CommandContext
    ) -> None:
        self._execute(plan_id, lambda h: plan.update_objective(h, command), context)

    def add_planned_service(
        self,
        plan_id: str,
        service: ServiceInput,
        reason: str | None,
        *,
        organization_id: str,
        context: CommandContext,
    ) -> str:
        service_id = _new_id()
        new = plan.NewService(service_id, service.code, service.planned_on, service.note)
        command = plan.AddPlannedService(organization_id, new, reason)
        self._execute(plan_id, lambda h: plan.add_planned_service(h, command), context)
        return service_id

    def update_planned_service(
        self, plan_id: str, command: plan.UpdatePlannedService, *, context: CommandContext
    ) -> None:
        self._execute(plan_id, lambda h: plan.update_planned_service(h, command), context)

    def record_follow_up(
        self,
        plan_id: str,
        held_on: date,
        note: str,
        staff_member: str,
        *,
        organization_id: str,
        context: CommandContext,
    ) -> str:
        follow_up_id = _new_id()
        command = plan.RecordFollowUp(
            organization_id, follow_up_id, held_on, note, staff_member, self._today()
        )
        self._execute(plan_id, lambda h: plan.record_follow_up(h, command), context)
        return follow_up_id

    def close(
        self,
        plan_id: str,
        closed_on: date,
        outcome: plan.Outcome,
        reason: str,
        *,
        organization_id: str,
        context: CommandContext,
    ) -> None:
        """Close the plan; the person may then get a new one (the claim goes with the events)."""
        command = plan.ClosePlan(organization_id, closed_on, outcome, reason, self._today())

        def decide(connection: Connection, history: list[DomainEvent]) -> list[DomainEvent]:
            closed = plan.close(history, command)
            connection.execute(delete(action_plan_claims).where(action_plan_claims.c.plan_id == plan_id))
            return closed

        with self._db.transaction() as connection:
            self._writer.execute(
                _stream(plan_id), partial(decide, connection), context, connection=connection
            )

    def get(self, plan_id: str, principal: Principal) -> PlanDetail:
        """The plan folded from its stream, with every change: who, when, what."""
        with self._db.transaction() as connection:
            recorded = self._store.load(connection, _stream(plan_id))
        state = plan.fold([EVENTS.decode(e.type, e.schema_version, e.payload) for e in recorded])
        if state is None or not may_read_organization(principal, state.organization_id):
            raise NotFound("plan.not_found", "Plan d'action introuvable.", "Action plan not found.")
        history = tuple(
            Change(e.stream_version, e.occurred_at, e.actor, e.type, e.payload.get("reason"), e.payload)
            for e in recorded
        )
        return PlanDetail(state, recorded[0].occurred_at, recorded[0].actor, history)

    def search(
        self,
        principal: Principal,
        *,
        person_id: str | None,
        status: str | None,
        offset: int,
        limit: int,
    ) -> tuple[list[dict[str, Any]], int]:
        query = scoped_to_principal(select(action_plans), action_plans.c.organization_id, principal)
        if person_id is not None:
            query = query.where(action_plans.c.person_id == person_id)
        if status is not None:
            query = query.where(action_plans.c.status == status)
        order = (action_plans.c.opened_on.desc(), action_plans.c.plan_id)
        return fetch_page(self._db, query, *order, offset=offset, limit=limit)

    def _execute(self, plan_id: str, decide: Decision, context: CommandContext) -> None:
        self._writer.execute(_stream(plan_id), decide, context)

    def _today(self) -> date:
        return montreal_date(self._clock.now())


def _claim(connection: Connection, organization_id: str, person_id: str, plan_id: str) -> str | None:
    """Claim the person's active plan for ``plan_id``; return the plan already holding it, if
    any. On PostgreSQL a concurrent claim waits for the first to commit, then finds it."""
    # RETURNING tells whether this statement inserted (rowcount is not reliable here on PostgreSQL).
    claimed = connection.execute(
        backend_of(connection)
        .insert(action_plan_claims)
        .values(organization_id=organization_id, person_id=person_id, plan_id=plan_id)
        .on_conflict_do_nothing()
        .returning(action_plan_claims.c.plan_id)
    ).first()
    if claimed is not None:
        return None
    holder = connection.execute(
        select(action_plan_claims.c.plan_id).where(
            action_plan_claims.c.organization_id == organization_id,
            action_plan_claims.c.person_id == person_id,
        )
    ).scalar_one()
    return str(holder)


def _stream(plan_id: str) -> str:
    return f"{PLAN_STREAM}{plan_id}"


def _new_id() -> str:
    return str(uuid.uuid4())
