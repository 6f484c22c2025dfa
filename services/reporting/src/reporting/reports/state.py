"""The report's states, the actions each allows, and the fold of a report's stream to what
its decisions need (the workflow and its commands: :mod:`reporting.reports.domain`)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum
from typing import Any

from gsi_kernel.errors import Conflict
from gsi_kernel.events import DomainEvent
from reporting.reports.events import (
    CheckSummary,
    FailedCheck,
    FindingRecord,
    ReportAccepted,
    ReportLocked,
    ReportRejected,
    ReportSubmitted,
    ReportTakenUnderControl,
    ReportUnlocked,
)


class ReportState(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    UNDER_CONTROL = "under_control"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    LOCKED = "locked"


class Action(StrEnum):
    VERIFY = "verify"
    SUBMIT = "submit"
    TAKE = "take"
    ACCEPT = "accept"
    REJECT = "reject"
    ANSWER = "answer"
    LOCK = "lock"
    UNLOCK = "unlock"


S = ReportState
ALLOWED: dict[Action, frozenset[ReportState]] = {
    Action.VERIFY: frozenset({S.DRAFT, S.REJECTED}),
    Action.SUBMIT: frozenset({S.DRAFT, S.REJECTED}),
    Action.TAKE: frozenset({S.SUBMITTED}),
    Action.ACCEPT: frozenset({S.UNDER_CONTROL}),
    Action.REJECT: frozenset({S.UNDER_CONTROL}),
    Action.ANSWER: frozenset({S.REJECTED}),
    Action.LOCK: frozenset({S.ACCEPTED}),
    Action.UNLOCK: frozenset({S.LOCKED}),
}


@dataclass(frozen=True, slots=True)
class Report:
    """The fold of a report's stream: what its decisions need."""

    state: ReportState = ReportState.DRAFT
    submissions: int = 0
    summary: CheckSummary | None = None  # of the current submission
    submitted: frozenset[str] = frozenset()  # intervention ids of the current submission
    failed_checks: tuple[FailedCheck, ...] = ()
    rejections: int = 0
    rejected: frozenset[str] = frozenset()  # intervention ids the last rejection names
    resubmission_due: date | None = None
    reopened: bool = False  # accepted again after an unlock


_STATE_OF: dict[type[DomainEvent], ReportState] = {
    ReportTakenUnderControl: S.UNDER_CONTROL,
    ReportAccepted: S.ACCEPTED,
    ReportLocked: S.LOCKED,
}


def fold(history: Sequence[DomainEvent]) -> Report:
    report = Report()
    for event in history:
        if isinstance(event, ReportSubmitted):
            report = Report(
                S.SUBMITTED,
                event.submission_version,
                event.summary,
                frozenset(i for i, _ in event.snapshot.interventions),
                _failed_checks(event.findings),
                report.rejections,
            )
        elif isinstance(event, ReportRejected):
            rejected = frozenset(i.intervention_id for i in event.items)
            report = _with(
                report, state=S.REJECTED, rejections=event.rejection_number, rejected=rejected,
                resubmission_due=event.resubmission_due,
            )  # fmt: skip
        elif isinstance(event, ReportUnlocked):
            report = _with(report, state=S.ACCEPTED, reopened=True)
        elif type(event) in _STATE_OF:
            report = _with(report, state=_STATE_OF[type(event)])
    return report  # verifications and answers change no state


def _with(report: Report, **changes: Any) -> Report:
    return replace(report, **changes)


def _failed_checks(findings: Sequence[FindingRecord]) -> tuple[FailedCheck, ...]:
    counts = Counter((f.check, f.severity, f.code) for f in findings)
    return tuple(FailedCheck(check=c, severity=s, code=k, count=n) for (c, s, k), n in sorted(counts.items()))


def ensure_allowed(state: ReportState, action: Action) -> None:
    """Refuse ``action`` in ``state``, naming the state (409 ``report.invalid_transition``)."""
    if state not in ALLOWED[action]:
        raise Conflict(
            "report.invalid_transition",
            f"Action « {action} » impossible : le rapport est à l'état « {state} ».",
            f"Cannot {action}: the report is {state}.",
            details={"current_state": str(state), "requested": str(action)},
        )


def current(history: Sequence[DomainEvent], action: Action) -> Report:
    """The report, if ``action`` is allowed in its state."""
    report = fold(history)
    ensure_allowed(report.state, action)
    return report
