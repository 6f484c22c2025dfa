"""When a quarter's report may be verified, submitted, accepted and locked (an agreement covers
the quarter; it has ended, or the calendar's early window is open), and when it is late — the
report aggregate's decisions given the facts the app layer passes in."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from gsi_kernel.errors import Conflict
from gsi_kernel.events import DomainEvent
from gsi_kernel.fiscal import FiscalQuarter
from reporting.reports import domain as report
from reporting.reports.domain import Action, Deadlines, QuarterFacts, ReportState
from reporting.reports.events import ReportAccepted, ReportLocked, ReportSubmitted, ReportVerified
from reporting.reports.period import is_late
from tests.unit.test_report_state_machine import ORG, Q, verification

LAST_DAY = date(2026, 6, 30)  # Q (2026-2027-Q1) ends; its report is due July 30
OPENS = date(2026, 7, 1)


def facts(today: date, *, covered: bool = True, early_days: int = 0) -> QuarterFacts:
    return QuarterFacts(Q, today=today, covered=covered, early_days=early_days)


def submit(today: date, *, covered: bool = True, early_days: int = 0) -> list[DomainEvent]:
    due = Deadlines(today=today, submission_due=date(2026, 7, 30), control_due=today + timedelta(days=30))
    return report.submit([], verification(), due, facts(today, covered=covered, early_days=early_days))


def under_control(submitted_on: date, early_days: int = 0) -> list[DomainEvent]:
    history = submit(submitted_on, early_days=early_days)
    return [*history, *report.take(history, ORG, Q)]


def attempt(action: Action, today: date, *, covered: bool = True, early_days: int = 0) -> None:
    """``action`` on ``today``, on a report in the state it needs."""
    given = facts(today, covered=covered, early_days=early_days)
    if action is Action.SUBMIT:
        submit(today, covered=covered, early_days=early_days)
    elif action is Action.ACCEPT:
        report.accept(under_control(OPENS - timedelta(days=early_days), early_days), ORG, Q, None, given)
    else:
        history = under_control(OPENS)
        history += report.accept(history, ORG, Q, None, facts(OPENS))
        report.lock(history, ORG, Q, given)


def refusal(action: Action, today: date, *, covered: bool = True, early_days: int = 0) -> Conflict:
    with pytest.raises(Conflict) as refused:
        attempt(action, today, covered=covered, early_days=early_days)
    return refused.value


@pytest.mark.parametrize("action", [Action.SUBMIT, Action.ACCEPT, Action.LOCK])
def test_a_quarter_no_agreement_covers_owes_no_report(action: Action) -> None:
    refused = refusal(action, date(2026, 8, 3), covered=False)
    assert refused.code == "report.not_covered"
    assert refused.status == 409
    assert refused.details == {"quarter": "2026-2027-Q1", "requested": str(action)}
    assert "2026-2027-Q1" in refused.fr
    assert "2026-2027-Q1" in refused.en


def test_submission_opens_the_day_after_the_quarter_ends() -> None:
    refused = refusal(Action.SUBMIT, LAST_DAY)
    assert refused.code == "report.quarter_not_ended"
    assert refused.details == {
        "quarter": "2026-2027-Q1", "requested": "submit", "last_day": "2026-06-30", "opens_on": "2026-07-01",
    }  # fmt: skip
    for message in (refused.fr, refused.en):
        assert "2026-2027-Q1" in message
        assert "2026-07-01" in message
    [event] = submit(OPENS)
    assert isinstance(event, ReportSubmitted)


def test_a_quarter_that_has_not_started_cannot_be_submitted() -> None:
    future = FiscalQuarter.parse("2040-2041-Q1")
    given = QuarterFacts(future, today=date(2026, 12, 7), covered=True)
    due = Deadlines(today=given.today, submission_due=date(2040, 7, 30), control_due=date(2027, 1, 6))
    with pytest.raises(Conflict) as refused:
        report.submit([], verification(), due, given)
    assert refused.value.code == "report.quarter_not_ended"
    assert refused.value.details["opens_on"] == "2040-07-01"


def test_the_calendar_s_early_window_opens_submission_before_the_quarter_ends() -> None:
    assert refusal(Action.SUBMIT, date(2026, 6, 20), early_days=10).details["opens_on"] == "2026-06-21"
    [event] = submit(date(2026, 6, 21), early_days=10)
    assert isinstance(event, ReportSubmitted)


@pytest.mark.parametrize("action", [Action.ACCEPT, Action.LOCK])
def test_a_reviewer_accepts_and_locks_only_a_quarter_that_has_ended_whatever_the_early_window(
    action: Action,
) -> None:
    refused = refusal(action, LAST_DAY, early_days=10)
    assert refused.code == "report.quarter_not_ended"
    assert (refused.details["requested"], refused.details["opens_on"]) == (str(action), "2026-07-01")
    history = under_control(date(2026, 6, 25), early_days=10)
    [accepted] = report.accept(history, ORG, Q, None, facts(OPENS, early_days=10))
    assert isinstance(accepted, ReportAccepted)
    [locked] = report.lock([*history, accepted], ORG, Q, facts(OPENS, early_days=10))
    assert isinstance(locked, ReportLocked)


@pytest.mark.parametrize("covered", [True, False])
def test_an_organization_verifies_its_open_quarter_as_it_goes(covered: bool) -> None:
    [event] = report.verify([], verification(), facts(date(2026, 5, 12), covered=covered))
    assert isinstance(event, ReportVerified)


def test_the_state_is_told_before_the_quarter() -> None:
    """A report already submitted answers ``invalid_transition``, whatever the day."""
    history = submit(OPENS)
    with pytest.raises(Conflict) as refused:
        report.submit(history, verification(), Deadlines(LAST_DAY, LAST_DAY, LAST_DAY), facts(LAST_DAY))
    assert refused.value.code == "report.invalid_transition"


DUE, RESUBMIT_BY = date(2026, 7, 30), date(2026, 8, 14)


@pytest.mark.parametrize(
    ("state", "today", "submitted_late", "late"),
    [
        (ReportState.DRAFT, DUE, False, False),
        (ReportState.DRAFT, DUE + timedelta(days=1), False, True),  # nobody submitted: late
        (ReportState.REJECTED, RESUBMIT_BY, True, False),  # within the resubmission window
        (ReportState.REJECTED, RESUBMIT_BY + timedelta(days=1), False, True),
        (ReportState.SUBMITTED, date(2026, 9, 1), False, False),  # submitted in time
        (ReportState.UNDER_CONTROL, DUE, True, True),  # a late submission stays late
        (ReportState.ACCEPTED, date(2026, 9, 1), True, True),
        (ReportState.LOCKED, date(2026, 9, 1), False, False),
    ],
)
def test_a_report_is_late_while_owed_past_its_deadline_or_when_submitted_late(
    state: ReportState, today: date, submitted_late: bool, late: bool
) -> None:
    assert (
        is_late(state, today, submission_due=DUE, resubmission_due=RESUBMIT_BY, submitted_late=submitted_late)
        is late
    )
