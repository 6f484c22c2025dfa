"""The action plan's pure decisions: opening, changes, follow-ups, closure, and each refusal with
its code."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from gsi_kernel.errors import Conflict, GsiError, InvalidInput, NotFound
from gsi_kernel.events import DomainEvent
from interventions.action_plans import domain as plan
from interventions.action_plans.domain import Need, ObjectiveStatus, Outcome, ServiceStatus

TODAY = date(2026, 11, 20)
OPENED_ON = date(2026, 11, 2)
ORG, OTHER_ORG = "org-a", "org-b"


def open_command(**changes: object) -> plan.OpenActionPlan:
    fields: dict[str, object] = {
        "plan_id": "p1",
        "organization_id": ORG,
        "person_id": "person-1",
        "opened_on": OPENED_ON,
        "needs": (Need.HOUSING, Need.SIN, Need.HOUSING),
        "objectives": (plan.NewObjective("o1", "Trouver un logement"),),
        "services": (plan.NewService("s1", "PDI", date(2026, 11, 27), "RAMQ"),),
        "today": TODAY,
    }
    return plan.OpenActionPlan(**{**fields, **changes})  # type: ignore[arg-type]


def opened() -> list[DomainEvent]:
    return plan.open_plan([], open_command(), active_plan_id=None)


def closed() -> list[DomainEvent]:
    history = opened()
    command = plan.ClosePlan(ORG, date(2026, 11, 19), Outcome.COMPLETED, "Objectifs atteints", TODAY)
    return [*history, *plan.close(history, command)]


def refusal(decide: Callable[[], object]) -> GsiError:
    with pytest.raises(GsiError) as caught:
        decide()
    return caught.value


def test_opening_records_the_needs_once_each_then_the_objectives_and_services() -> None:
    events = opened()
    assert [type(e) for e in events] == [
        plan.ActionPlanOpened,
        plan.PlanObjectiveAdded,
        plan.PlannedServiceAdded,
    ]
    state = plan.fold(events)
    assert state is not None
    assert state.needs == (Need.HOUSING, Need.SIN)
    assert state.status == "active"
    assert [o.text for o in state.objectives] == ["Trouver un logement"]
    assert [(s.code, s.planned_on, s.status) for s in state.services] == [
        ("PDI", date(2026, 11, 27), ServiceStatus.PLANNED)
    ]


@pytest.mark.parametrize(
    ("changes", "active_plan", "kind", "code"),
    [
        ({"opened_on": date(2026, 11, 21)}, None, InvalidInput, "plan.date_in_future"),
        ({"needs": ()}, None, InvalidInput, "plan.no_needs"),
        (
            {"services": (plan.NewService("s1", "PDI", date(2026, 11, 1)),)},
            None,
            InvalidInput,
            "plan.date_before_opening",
        ),
        ({}, "p0", Conflict, "plan.already_active"),
    ],
)
def test_opening_refusals(
    changes: dict[str, object], active_plan: str | None, kind: type[GsiError], code: str
) -> None:
    error = refusal(lambda: plan.open_plan([], open_command(**changes), active_plan_id=active_plan))
    assert type(error) is kind
    assert error.code == code


def test_the_active_plan_conflict_names_the_active_plan() -> None:
    error = refusal(lambda: plan.open_plan([], open_command(), active_plan_id="p0"))
    assert error.details == {"plan_id": "p0"}


def test_opening_today_is_allowed() -> None:
    events = plan.open_plan([], open_command(opened_on=TODAY), active_plan_id=None)
    assert isinstance(events[0], plan.ActionPlanOpened)
    assert events[0].opened_on == TODAY


CHANGES: dict[str, Callable[[list[DomainEvent], str], list[DomainEvent]]] = {
    "add_objective": lambda h, org: plan.add_objective(
        h, plan.AddObjective(org, plan.NewObjective("o2", "Garderie"))
    ),
    "update_objective": lambda h, org: plan.update_objective(
        h, plan.UpdateObjective(org, "o1", "Bail signé", status=ObjectiveStatus.ACHIEVED)
    ),
    "add_service": lambda h, org: plan.add_planned_service(
        h, plan.AddPlannedService(org, plan.NewService("s2", "REF", date(2026, 12, 4)))
    ),
    "update_service": lambda h, org: plan.update_planned_service(
        h, plan.UpdatePlannedService(org, "s1", "Déplacé", planned_on=date(2026, 12, 1))
    ),
    "follow_up": lambda h, org: plan.record_follow_up(
        h, plan.RecordFollowUp(org, "f1", TODAY, "Appel", "karine", TODAY)
    ),
    "close": lambda h, org: plan.close(h, plan.ClosePlan(org, TODAY, Outcome.OTHER, "Déménagé", TODAY)),
}


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_every_change_is_one_event_on_an_active_plan(change: str) -> None:
    events = CHANGES[change](opened(), ORG)
    assert len(events) == 1


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_a_closed_plan_refuses_every_change(change: str) -> None:
    error = refusal(lambda: CHANGES[change](closed(), ORG))
    assert type(error) is Conflict
    assert error.code == "plan.closed"


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_another_organization_is_told_the_plan_does_not_exist(change: str) -> None:
    for history in (opened(), []):
        error = refusal(lambda h=history: CHANGES[change](h, OTHER_ORG))  # type: ignore[misc]
        assert type(error) is NotFound
        assert error.code == "plan.not_found"


def test_updating_an_objective_keeps_what_is_not_given_and_sending_it_again_changes_nothing() -> None:
    history = opened()
    command = plan.UpdateObjective(ORG, "o1", "Bail signé", status=ObjectiveStatus.ACHIEVED)
    [updated] = plan.update_objective(history, command)
    assert isinstance(updated, plan.PlanObjectiveUpdated)
    assert (updated.text, updated.status, updated.reason) == ("Trouver un logement", "achieved", "Bail signé")
    assert plan.update_objective([*history, updated], command) == []


def test_a_planned_service_note_is_cleared_with_an_empty_string() -> None:
    history = opened()
    [updated] = plan.update_planned_service(history, plan.UpdatePlannedService(ORG, "s1", "Inutile", note=""))
    state = plan.fold([*history, updated])
    assert state is not None
    assert state.services[0].note is None
    assert state.services[0].planned_on == date(2026, 11, 27)


@pytest.mark.parametrize(
    ("decide", "kind", "code"),
    [
        (
            lambda h: plan.update_objective(h, plan.UpdateObjective(ORG, "o1", "Rien")),
            InvalidInput,
            "plan.nothing_to_change",
        ),
        (
            lambda h: plan.update_objective(h, plan.UpdateObjective(ORG, "o9", "Motif", text="x")),
            NotFound,
            "plan.objective_not_found",
        ),
        (
            lambda h: plan.update_planned_service(
                h, plan.UpdatePlannedService(ORG, "s9", "Motif", status=ServiceStatus.DONE)
            ),
            NotFound,
            "plan.service_not_found",
        ),
        (
            lambda h: plan.update_planned_service(
                h, plan.UpdatePlannedService(ORG, "s1", "Motif", planned_on=date(2026, 10, 1))
            ),
            InvalidInput,
            "plan.date_before_opening",
        ),
        (
            lambda h: plan.add_planned_service(
                h, plan.AddPlannedService(ORG, plan.NewService("s2", "REF", date(2026, 11, 1)))
            ),
            InvalidInput,
            "plan.date_before_opening",
        ),
        (
            lambda h: plan.record_follow_up(
                h, plan.RecordFollowUp(ORG, "f1", date(2026, 11, 21), "Appel", "karine", TODAY)
            ),
            InvalidInput,
            "plan.date_in_future",
        ),
        (
            lambda h: plan.record_follow_up(
                h, plan.RecordFollowUp(ORG, "f1", date(2026, 11, 1), "Appel", "karine", TODAY)
            ),
            InvalidInput,
            "plan.date_before_opening",
        ),
        (
            lambda h: plan.close(h, plan.ClosePlan(ORG, date(2026, 11, 1), Outcome.OTHER, "Motif", TODAY)),
            InvalidInput,
            "plan.date_before_opening",
        ),
        (
            lambda h: plan.close(h, plan.ClosePlan(ORG, date(2026, 11, 21), Outcome.OTHER, "Motif", TODAY)),
            InvalidInput,
            "plan.date_in_future",
        ),
    ],
)
def test_change_refusals(
    decide: Callable[[list[DomainEvent]], list[DomainEvent]], kind: type[GsiError], code: str
) -> None:
    error = refusal(lambda: decide(opened()))
    assert type(error) is kind
    assert error.code == code


def test_closing_on_the_opening_day_records_outcome_and_reason() -> None:
    history = opened()
    [event] = plan.close(history, plan.ClosePlan(ORG, OPENED_ON, Outcome.TRANSFERRED, "Vers Québec", TODAY))
    assert isinstance(event, plan.ActionPlanClosed)
    assert (event.plan_id, event.person_id, event.organization_id) == ("p1", "person-1", ORG)
    state = plan.fold([*history, event])
    assert state is not None
    assert (state.status, state.closed_on, state.outcome, state.closure_reason) == (
        "closed",
        OPENED_ON,
        Outcome.TRANSFERRED,
        "Vers Québec",
    )


def test_every_need_has_a_french_and_an_english_label() -> None:
    assert set(plan.NEED_LABELS) == set(Need)
    assert all(fr and en and fr != en for fr, en in plan.NEED_LABELS.values())
