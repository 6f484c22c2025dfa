"""The quarterly report aggregate: one stream per organization and fiscal quarter
(``report-{organization}-{quarter}``), every step an event whose envelope names its author and time.

    draft ──submit──▶ submitted ──take──▶ under_control ──accept──▶ accepted ──lock──▶ locked
    (verify*)              ▲                    │ reject               ▲                 │
                           └─submit── rejected ◀┘                      └───── unlock ────┘
                                   (verify*, answer*)

- *verify* runs the conformity checks and records their summary, as often as wanted, while the
  organization may still change its report (draft, rejected); *submit* runs them again and
  freezes the snapshot (a resubmission is a new submission version).
- Only a quarter one of the organization's agreements covers owes a report; it may be submitted
  once the quarter has ended (or within the calendar's early window), accepted and locked only
  once it has ended (:mod:`reporting.reports.period`, given the facts the app layer
  establishes).
- *take* is a reviewer opening the report for control; only then may it be accepted or rejected.
  Accepting with blocking errors needs an explicit override reason.
- A rejection is a first-class object: a global reason, reasons per intervention, the deadline to
  resubmit; the organization answers it item by item, then resubmits.
- *unlock* (admin, with a reason) reopens a locked quarter for corrections: the report goes back
  to **accepted** — the decision stands, the quarter is open again in the interventions service —
  and may be locked again. What changed meanwhile is what the integrity check lists.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from gsi_kernel.errors import Conflict, InvalidInput
from gsi_kernel.events import DomainEvent
from gsi_kernel.fiscal import FiscalQuarter
from reporting.reports import period as report_period
from reporting.reports import state as report_state
from reporting.reports.events import (
    CheckSummary,
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
from reporting.reports.snapshot import Snapshot

# The states and their fold, under this module's name too: callers import them from here (an
# assignment is a public name for mypy --strict, a plain import is not).
ALLOWED = report_state.ALLOWED
Action = report_state.Action
Report = report_state.Report
ReportState = report_state.ReportState
current = report_state.current
ensure_allowed = report_state.ensure_allowed
fold = report_state.fold
QuarterFacts = report_period.QuarterFacts
S = ReportState

# Findings kept in a submission event (in intervention order); the summary counts them all. A
# report with more has a systemic problem the summary already shows.
MAX_FINDINGS_KEPT = 10_000


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


def _current(history: Sequence[DomainEvent], action: Action, facts: QuarterFacts) -> Report:
    """The report, if ``action`` is allowed in its state and in its quarter's time
    (:mod:`reporting.reports.period`)."""
    report = current(history, action)
    report_period.ensure_may(action, facts)
    return report


def verify(
    history: Sequence[DomainEvent], verification: Verification, facts: QuarterFacts
) -> list[DomainEvent]:
    """Record a run of the checks: any day, the quarter ended or not."""
    _current(history, Action.VERIFY, facts)
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
    history: Sequence[DomainEvent], verification: Verification, deadlines: Deadlines, facts: QuarterFacts
) -> list[DomainEvent]:
    """Submit (or resubmit after a rejection: then the deadline is the rejection's) a covered
    quarter's report, once the quarter has ended or its early window opened."""
    report = _current(history, Action.SUBMIT, facts)
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
    history: Sequence[DomainEvent],
    organization_id: str,
    quarter: FiscalQuarter,
    override_reason: str | None,
    facts: QuarterFacts,
) -> list[DomainEvent]:
    """Accept, once the quarter has ended; with blocking errors only given an explicit override
    reason."""
    report = _current(history, Action.ACCEPT, facts)
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


def lock(
    history: Sequence[DomainEvent], organization_id: str, quarter: FiscalQuarter, facts: QuarterFacts
) -> list[DomainEvent]:
    """Lock an accepted report, once the quarter has ended (a lock refuses its declarations)."""
    report = _current(history, Action.LOCK, facts)
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
