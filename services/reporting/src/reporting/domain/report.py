"""The quarterly report aggregate: one stream per organization and fiscal quarter
(``report-{organization}-{quarter}``), every step an event whose envelope names its author and time.

    draft ──submit──▶ submitted ──take──▶ under_control ──accept──▶ accepted ──lock──▶ locked
    (verify*)              ▲                    │ reject               ▲                 │
                           └─submit── rejected ◀┘                      └───── unlock ────┘
                                   (verify*, answer*)

- *verify* runs the conformity checks and records their summary, as often as wanted, while the
  organization may still change its report (draft, rejected); *submit* runs them again and
  freezes the snapshot (a resubmission is a new submission version).
- *take* is a reviewer opening the report for control; only then may it be accepted or rejected.
  Accepting with blocking errors needs an explicit override reason.
- A rejection is a first-class object: a global reason, reasons per intervention, the deadline to
  resubmit; the organization answers it item by item, then resubmits.
- *unlock* (admin, with a reason) reopens a locked quarter for corrections: the report goes back
  to **accepted** — the decision stands, the quarter is open again in the interventions service —
  and may be locked again. What changed meanwhile is what the integrity check lists.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum
from typing import Any

from gsi_kernel.errors import Conflict, InvalidInput
from gsi_kernel.events import DomainEvent
from gsi_kernel.fiscal import FiscalQuarter
from reporting.domain.report_events import (
    CheckSummary,
    FailedCheck,
    FindingRecord,
    ItemAnswer,
    RejectedItem,
    RejectionAnswered,
    ReportAccepted,
    ReportLocked,
    ReportRejected,
    ReportSubmitted,
    ReportTakenUnderControl,
    ReportUnlocked,
    ReportVerified,
    report_id,
)
from reporting.domain.snapshot import Snapshot


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
# Findings kept in a submission event (in intervention order); the summary counts them all. A
# report with more has a systemic problem the summary already shows.
MAX_FINDINGS_KEPT = 10_000


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


# ---- commands ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Verification:
    """What a run of the checks found over the organization's interventions of the quarter."""

    organization_id: str
    quarter: FiscalQuarter
    interventions_count: int
    persons_count: int
    summary: CheckSummary
    findings: tuple[FindingRecord, ...]
    snapshot: Snapshot
    sha256: str


@dataclass(frozen=True, slots=True)
class Deadlines:
    """The calendar's answer for a submission made today."""

    today: date
    submission_due: date
    control_due: date


def _base(organization_id: str, quarter: FiscalQuarter) -> dict[str, str]:
    return {
        "report_id": report_id(organization_id, quarter),
        "organization_id": organization_id,
        "quarter": str(quarter),
    }


def verify(history: Sequence[DomainEvent], verification: Verification) -> list[DomainEvent]:
    current(history, Action.VERIFY)
    v = verification
    return [
        ReportVerified(
            **_base(v.organization_id, v.quarter),
            interventions_count=v.interventions_count,
            persons_count=v.persons_count,
            summary=v.summary,
            catalogue_versions=v.snapshot.catalogue_versions,
            rule_set_versions=v.snapshot.rule_set_versions,
        )
    ]


def submit(
    history: Sequence[DomainEvent], verification: Verification, deadlines: Deadlines
) -> list[DomainEvent]:
    """Submit (or resubmit after a rejection: then the deadline is the rejection's)."""
    report = current(history, Action.SUBMIT)
    v = verification
    due = report.resubmission_due if report.state is S.REJECTED and report.resubmission_due else None
    due = due or deadlines.submission_due
    return [
        ReportSubmitted(
            **_base(v.organization_id, v.quarter),
            submission_version=report.submissions + 1,
            interventions_count=v.interventions_count,
            persons_count=v.persons_count,
            summary=v.summary,
            findings=v.findings[:MAX_FINDINGS_KEPT],
            findings_truncated=len(v.findings) > MAX_FINDINGS_KEPT,
            snapshot=v.snapshot,
            sha256=v.sha256,
            submitted_on=deadlines.today,
            submission_due=due,
            late=deadlines.today > due,
            control_due=deadlines.control_due,
        )
    ]


def take(history: Sequence[DomainEvent], organization_id: str, quarter: FiscalQuarter) -> list[DomainEvent]:
    report = current(history, Action.TAKE)
    return [ReportTakenUnderControl(**_base(organization_id, quarter), submission_version=report.submissions)]


def accept(
    history: Sequence[DomainEvent], organization_id: str, quarter: FiscalQuarter, override_reason: str | None
) -> list[DomainEvent]:
    """Accept; with blocking errors only given an explicit override reason."""
    report = current(history, Action.ACCEPT)
    errors = report.summary.errors if report.summary else 0
    if errors and not (override_reason and override_reason.strip()):
        raise Conflict(
            "report.blocking_errors",
            f"Le rapport contient {errors} erreur(s) bloquante(s) : "
            "donnez un motif pour l'accepter quand même.",
            f"The report has {errors} blocking error(s): give a reason to accept it anyway.",
            details={"errors": errors},
        )
    return [
        ReportAccepted(
            **_base(organization_id, quarter),
            submission_version=report.submissions,
            blocking_errors=errors,
            override_reason=override_reason,
        )
    ]


@dataclass(frozen=True, slots=True)
class Rejection:
    organization_id: str
    quarter: FiscalQuarter
    reason: str
    items: tuple[RejectedItem, ...]
    resubmission_due: date


def reject(history: Sequence[DomainEvent], rejection: Rejection) -> list[DomainEvent]:
    report = current(history, Action.REJECT)
    ids = [item.intervention_id for item in rejection.items]
    _refuse_repeated(ids)
    _refuse_strangers(ids, report.submitted, "report.item_not_submitted", "soumises", "submitted")
    return [
        ReportRejected(
            **_base(rejection.organization_id, rejection.quarter),
            submission_version=report.submissions,
            rejection_number=report.rejections + 1,
            reason=rejection.reason,
            items=rejection.items,
            failed_checks=report.failed_checks,
            resubmission_due=rejection.resubmission_due,
        )
    ]


def answer(
    history: Sequence[DomainEvent],
    organization_id: str,
    quarter: FiscalQuarter,
    answers: Sequence[ItemAnswer],
) -> list[DomainEvent]:
    """The organization's answers to the open rejection, item by item (a later answer to the
    same item replaces the earlier one)."""
    report = current(history, Action.ANSWER)
    ids = [a.intervention_id for a in answers]
    _refuse_repeated(ids)
    _refuse_strangers(ids, report.rejected, "report.item_not_rejected", "visées par le refus", "rejected")
    return [
        RejectionAnswered(
            **_base(organization_id, quarter), rejection_number=report.rejections, answers=tuple(answers)
        )
    ]


def lock(history: Sequence[DomainEvent], organization_id: str, quarter: FiscalQuarter) -> list[DomainEvent]:
    report = current(history, Action.LOCK)
    return [ReportLocked(**_base(organization_id, quarter), submission_version=report.submissions)]


def unlock(
    history: Sequence[DomainEvent], organization_id: str, quarter: FiscalQuarter, reason: str
) -> list[DomainEvent]:
    report = current(history, Action.UNLOCK)
    return [
        ReportUnlocked(
            **_base(organization_id, quarter), submission_version=report.submissions, reason=reason
        )
    ]


def _refuse_repeated(ids: Sequence[str]) -> None:
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    if repeated:
        raise InvalidInput(
            "report.duplicate_item",
            "Une intervention est nommée deux fois.",
            "An intervention is named twice.",
            details={"intervention_ids": repeated},
        )


def _refuse_strangers(
    ids: Sequence[str], known: frozenset[str], code: str, fr_what: str, en_what: str
) -> None:
    strangers = sorted(set(ids) - known)
    if strangers:
        raise InvalidInput(
            code,
            f"Interventions non {fr_what} : {', '.join(strangers[:10])}.",
            f"Interventions not {en_what}: {', '.join(strangers[:10])}.",
            details={"intervention_ids": strangers},
        )
