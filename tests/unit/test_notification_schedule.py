"""Which reminders fall due on a day (pure): offsets, conditions on the report's state, grace,
deduplication keys."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from pydantic import ValidationError

from gsi_kernel.fiscal import FiscalQuarter
from notifications.notices.values import Audience, NoticeKind
from notifications.reminders.domain import (
    OpenCheckpoint,
    OrganizationQuarter,
    ReportState,
    Schedule,
    ScheduleConfigured,
    configure,
    current_schedule,
    due_reminders,
)

Q1 = FiscalQuarter.parse("2026-2027-Q1")
DUE = date(2026, 7, 30)
NO_GRACE = Schedule(grace_days=0)


def org(state: ReportState | None = None, organization: str = "org-sherbrooke") -> OrganizationQuarter:
    return OrganizationQuarter(organization, Q1, DUE, state or ReportState())


def keys(schedule: Schedule, today: date, *quarters: OrganizationQuarter) -> list[str]:
    return [r.dedupe_key for r in due_reminders(schedule, today, quarters, [])]


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2026, 7, 15), ["org-sherbrooke:2026-2027-Q1:deadline_reminder:D-15"]),
        (date(2026, 7, 16), []),
        (date(2026, 7, 23), ["org-sherbrooke:2026-2027-Q1:deadline_reminder:D-7"]),
        (date(2026, 7, 29), ["org-sherbrooke:2026-2027-Q1:deadline_reminder:D-1"]),
        (date(2026, 7, 30), []),
        (
            date(2026, 7, 31),
            [
                "org-sherbrooke:2026-2027-Q1:deadline_missed:organization",
                "org-sherbrooke:2026-2027-Q1:deadline_missed:ministry",
            ],
        ),
        (
            date(2026, 8, 6),
            [
                "org-sherbrooke:2026-2027-Q1:deadline_escalation:D+7:organization",
                "org-sherbrooke:2026-2027-Q1:deadline_escalation:D+7:ministry",
            ],
        ),
    ],
)
def test_reminders_fire_on_their_day_while_nothing_is_submitted(today: date, expected: list[str]) -> None:
    assert keys(NO_GRACE, today, org()) == expected


def test_a_submitted_report_gets_no_more_deadline_reminders_journey_2() -> None:
    """Submitted on July 24: the D-1 reminder of July 29 is not sent, nor the missed deadline."""
    submitted = ReportState(state="submitted", submission_version=1, submitted_on=date(2026, 7, 24))
    for day in (date(2026, 7, 29), date(2026, 7, 31), date(2026, 8, 6)):
        assert keys(NO_GRACE, day, org(submitted)) == []


def test_a_reminder_missed_by_a_stopped_scheduler_is_caught_up_within_the_grace() -> None:
    schedule = Schedule(grace_days=2)
    assert keys(schedule, date(2026, 7, 17), org()) == ["org-sherbrooke:2026-2027-Q1:deadline_reminder:D-15"]
    assert keys(schedule, date(2026, 7, 18), org()) == []


def test_no_deadline_reminder_after_the_deadline_even_within_the_grace() -> None:
    assert "deadline_reminder" not in " ".join(keys(Schedule(grace_days=3), date(2026, 7, 31), org()))


def test_the_reviewer_is_reminded_at_day_20_of_the_control_window_while_under_control() -> None:
    under_control = ReportState(
        state="under_control",
        submission_version=2,
        submitted_on=date(2026, 7, 24),
        control_due=date(2026, 9, 7),
    )
    found = due_reminders(NO_GRACE, date(2026, 8, 13), [org(under_control)], [])
    assert [(r.kind, r.audience, r.dedupe_key) for r in found] == [
        (
            NoticeKind.CONTROL_REMINDER,
            Audience.MINISTRY,
            "org-sherbrooke:2026-2027-Q1:control_reminder:v2:D+20",
        )
    ]
    assert found[0].data == {
        "submitted_on": "2026-07-24",
        "control_due": "2026-09-07",
        "submission_version": 2,
    }
    accepted = ReportState(state="accepted", submission_version=2, submitted_on=date(2026, 7, 24))
    assert keys(NO_GRACE, date(2026, 8, 13), org(accepted)) == []


def test_a_rejected_report_is_reminded_before_its_resubmission_deadline() -> None:
    rejected = ReportState(
        state="rejected", submission_version=1, rejection_number=1, resubmission_due=date(2026, 8, 20)
    )
    found = due_reminders(NO_GRACE, date(2026, 8, 17), [org(rejected)], [])
    assert [r.dedupe_key for r in found] == ["org-sherbrooke:2026-2027-Q1:resubmission_reminder:r1:D-3"]
    assert found[0].data["days_left"] == 3
    resubmitted = ReportState(state="submitted", submission_version=2, rejection_number=1)
    assert keys(NO_GRACE, date(2026, 8, 17), org(resubmitted)) == []


def test_checkpoint_reminders_follow_the_schedule() -> None:
    checkpoint = OpenCheckpoint("fu-1", "org-quebec", "p-1", "08", 3, date(2026, 10, 1))
    schedule = Schedule(checkpoint_reminders=(7, 0), grace_days=0)
    fired = {
        day: [r.dedupe_key for r in due_reminders(schedule, day, [], [checkpoint])]
        for day in (date(2026, 9, 24), date(2026, 9, 25), date(2026, 10, 1))
    }
    assert fired == {
        date(2026, 9, 24): ["org-quebec:checkpoint:fu-1:3:D-7"],
        date(2026, 9, 25): [],
        date(2026, 10, 1): ["org-quebec:checkpoint:fu-1:3:D-0"],
    }


def test_each_organization_gets_its_own_keys() -> None:
    found = keys(NO_GRACE, DUE - timedelta(days=7), org(), org(organization="org-montreal"))
    assert found == [
        "org-sherbrooke:2026-2027-Q1:deadline_reminder:D-7",
        "org-montreal:2026-2027-Q1:deadline_reminder:D-7",
    ]


@pytest.mark.parametrize(
    "bad",
    [
        {"deadline_reminders": [15, 15]},
        {"escalations": [-1]},
        {"control_reminders": [121]},
        {"grace_days": 31},
    ],
)
def test_a_schedule_with_impossible_offsets_is_refused(bad: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        Schedule.model_validate(bad)


def test_configuring_records_a_change_only_and_the_latest_wins() -> None:
    first = Schedule(deadline_reminders=(10, 2))
    history = configure([], first, "moins de rappels")
    assert isinstance(history[0], ScheduleConfigured)
    assert configure(history, first, "pareil") == []
    assert current_schedule(history).deadline_reminders == (10, 2)
    assert current_schedule([]) == Schedule()
