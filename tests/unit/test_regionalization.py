"""The regionalization follow-up's pure decisions: the checkpoint calendar (month arithmetic
clamped to the month's end), recording outcomes in order, completion, and each refusal."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from gsi_kernel.errors import Conflict, GsiError, InvalidInput, NotFound
from gsi_kernel.events import DomainEvent
from interventions.regionalization import domain as reg
from interventions.regionalization.domain import CheckpointOutcome as Outcome

TODAY = date(2026, 11, 20)
ORG = "org-a"


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2026, 1, 31), 3, date(2026, 4, 30)),
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2024, 1, 31), 1, date(2024, 2, 29)),  # leap year
        (date(2025, 11, 30), 3, date(2026, 2, 28)),  # across the year end
        (date(2026, 8, 31), 6, date(2027, 2, 28)),
        (date(2026, 10, 31), 3, date(2027, 1, 31)),
        (date(2026, 3, 15), 12, date(2027, 3, 15)),
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
        (date(2026, 5, 31), 0, date(2026, 5, 31)),
    ],
)
def test_add_months_clamps_to_the_end_of_the_month(day: date, months: int, expected: date) -> None:
    assert reg.add_months(day, months) == expected


def open_command(**changes: Any) -> reg.OpenFollowUp:
    fields: dict[str, Any] = {
        "follow_up_id": "r1",
        "organization_id": ORG,
        "person_id": "person-1",
        "destination_region": "05",
        "opened_on": date(2026, 1, 31),
        "today": TODAY,
    }
    return reg.OpenFollowUp(**{**fields, **changes})


def opened(**changes: Any) -> list[DomainEvent]:
    return reg.open_follow_up([], open_command(**changes))


def record(
    history: list[DomainEvent],
    months: int,
    outcome: Outcome = Outcome.STAYED,
    *,
    org: str = ORG,
    recorded_on: date = TODAY,
    new_region: str | None = None,
    note: str | None = None,
) -> list[DomainEvent]:
    command = reg.RecordCheckpoint(org, months, outcome, recorded_on, TODAY, new_region, note)
    return [*history, *reg.record_checkpoint(history, command)]


def test_opening_plans_the_checkpoints_at_3_6_and_12_months_with_their_due_dates() -> None:
    [event] = opened()
    assert isinstance(event, reg.RegionalizationFollowUpOpened)
    assert [(c.months, c.due_on) for c in event.checkpoints] == [
        (3, date(2026, 4, 30)),
        (6, date(2026, 7, 31)),
        (12, date(2027, 1, 31)),
    ]
    assert reg.CHECKPOINT_MONTHS == (3, 6, 12)


def test_the_offsets_are_data() -> None:
    [event] = opened(checkpoint_months=(12, 1))
    assert isinstance(event, reg.RegionalizationFollowUpOpened)
    assert [(c.months, c.due_on) for c in event.checkpoints] == [
        (1, date(2026, 2, 28)),
        (12, date(2027, 1, 31)),
    ]


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"destination_region": "18"}, "regionalization.unknown_region"),
        ({"destination_region": "00"}, "regionalization.unknown_region"),
        ({"opened_on": date(2026, 11, 21)}, "regionalization.date_in_future"),
    ],
)
def test_opening_refusals(changes: dict[str, Any], code: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        opened(**changes)
    assert caught.value.code == code


def test_a_checkpoint_may_be_recorded_before_it_is_due() -> None:
    history = record(opened(opened_on=date(2026, 11, 1)), 3, recorded_on=date(2026, 11, 20))
    state = reg.fold(history)
    assert state is not None
    assert state.recorded == (3,)
    assert not state.complete


def test_the_last_checkpoint_completes_the_follow_up_where_the_person_lives() -> None:
    history = record(opened(), 3)
    history = record(history, 6, Outcome.MOVED, new_region="03")
    history = record(history, 12, Outcome.STAYED)
    assert isinstance(history[-1], reg.RegionalizationFollowUpCompleted)
    assert history[-1].region == "03"
    state = reg.fold(history)
    assert state is not None
    assert (state.complete, state.current_region, state.pending) == (True, "03", ())


def test_the_recorded_event_names_the_person_and_organization() -> None:
    history = record(opened(), 3, Outcome.UNKNOWN, note="Pas de réponse")
    event = history[-1]
    assert isinstance(event, reg.RegionalizationCheckpointRecorded)
    assert (event.follow_up_id, event.person_id, event.organization_id, event.outcome, event.note) == (
        "r1",
        "person-1",
        ORG,
        "unknown",
        "Pas de réponse",
    )


@pytest.mark.parametrize(
    ("recorded", "months", "outcome", "changes", "kind", "code"),
    [
        ((), 9, Outcome.STAYED, {}, InvalidInput, "regionalization.unknown_checkpoint"),
        ((3,), 3, Outcome.STAYED, {}, Conflict, "regionalization.checkpoint_recorded"),
        ((3, 6, 12), 12, Outcome.STAYED, {}, Conflict, "regionalization.checkpoint_recorded"),
        ((), 6, Outcome.STAYED, {}, Conflict, "regionalization.earlier_checkpoint_pending"),
        (
            (),
            3,
            Outcome.STAYED,
            {"recorded_on": date(2026, 11, 21)},
            InvalidInput,
            "regionalization.date_in_future",
        ),
        (
            (),
            3,
            Outcome.STAYED,
            {"recorded_on": date(2026, 1, 30)},
            InvalidInput,
            "regionalization.date_before_opening",
        ),
        ((), 3, Outcome.MOVED, {}, InvalidInput, "regionalization.new_region_required"),
        ((), 3, Outcome.STAYED, {"new_region": "03"}, InvalidInput, "regionalization.new_region_unexpected"),
        ((), 3, Outcome.MOVED, {"new_region": "18"}, InvalidInput, "regionalization.unknown_region"),
        ((), 3, Outcome.MOVED, {"new_region": "05"}, InvalidInput, "regionalization.same_region"),
        ((), 3, Outcome.STAYED, {"org": "org-b"}, NotFound, "regionalization.not_found"),
    ],
)
def test_recording_refusals(
    recorded: tuple[int, ...],
    months: int,
    outcome: Outcome,
    changes: dict[str, Any],
    kind: type[GsiError],
    code: str,
) -> None:
    history = opened()
    for m in recorded:
        history = record(history, m)
    with pytest.raises(GsiError) as caught:
        record(history, months, outcome, **changes)
    assert type(caught.value) is kind
    assert caught.value.code == code


def test_an_unknown_follow_up_is_not_found() -> None:
    with pytest.raises(NotFound):
        record([], 3)


def test_every_region_code_from_01_to_17_is_known() -> None:
    assert sorted(reg.REGIONS) == [f"{n:02d}" for n in range(1, 18)]
