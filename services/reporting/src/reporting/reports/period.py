"""A report's quarter in time: which quarters owe a report, when a report may be submitted or
decided, and when it is late.

- A quarter owes a report when one of the organization's agreements (of the service's program)
  covers part of it; no agreement, no report: submitting, accepting or locking one is refused
  (``report.not_covered``). Verifying is not: an organization may check its declarations any
  time (with no agreement, C1 has no volets to hold them to).
- Submission opens when the quarter has ended — or, when the fiscal year's calendar sets an
  early window, that many days before its end. Before that, ``report.quarter_not_ended`` says
  the day it opens. Verifying stays open all along: an organization checks its work as it goes.
- A reviewer accepts or locks only a quarter that has ended, whatever the early window: a lock
  would refuse the rest of the quarter's declarations, an acceptance would bless a report the
  organization is still adding to.
- A report is late while it is owed and past its deadline: a draft past the quarter's submission
  deadline, a rejected report past its resubmission deadline; once submitted, it is late if that
  submission was.

Pure: the app layer establishes the facts (coverage, today in Montréal, the window) and passes
them in; the report aggregate (:mod:`reporting.reports.domain`) applies these rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from gsi_kernel.errors import Conflict
from gsi_kernel.fiscal import FiscalQuarter
from reporting.reports.state import Action, ReportState

NEEDS_COVERAGE = frozenset({Action.SUBMIT, Action.ACCEPT, Action.LOCK})
NEEDS_ENDED = frozenset({Action.ACCEPT, Action.LOCK})
_WORDS_FR = {Action.SUBMIT: "soumis", Action.ACCEPT: "accepté", Action.LOCK: "verrouillé"}
_WORDS_EN = {Action.SUBMIT: "submitted", Action.ACCEPT: "accepted", Action.LOCK: "locked"}


def submission_opens_on(quarter: FiscalQuarter, early_days: int = 0) -> date:
    """The first day a report of ``quarter`` may be submitted: the day after its last, or
    ``early_days`` earlier."""
    return quarter.last_day + timedelta(days=1 - early_days)


@dataclass(frozen=True, slots=True)
class QuarterFacts:
    """What the app layer knows of a report's quarter when the report decides."""

    quarter: FiscalQuarter
    today: date  # in Montréal
    covered: bool  # one of the organization's agreements covers part of the quarter
    early_days: int = 0  # the calendar's early submission window for the quarter

    @property
    def submission_opens_on(self) -> date:
        return submission_opens_on(self.quarter, self.early_days)

    @property
    def decision_opens_on(self) -> date:
        return submission_opens_on(self.quarter)

    def opens_on(self, action: Action) -> date | None:
        """The first day ``action`` is allowed in time (None: any day)."""
        if action is Action.SUBMIT:
            return self.submission_opens_on
        return self.decision_opens_on if action in NEEDS_ENDED else None


def ensure_may(action: Action, facts: QuarterFacts) -> None:
    """Refuse ``action`` on a quarter no agreement covers, or before the day it opens."""
    q = facts.quarter
    if action in NEEDS_COVERAGE and not facts.covered:
        raise Conflict(
            "report.not_covered",
            f"Aucune convention de l'organisme ne couvre le trimestre {q} "
            f"({q.first_day.isoformat()} – {q.last_day.isoformat()}) : il n'a pas de rapport à produire.",
            f"None of the organization's agreements covers quarter {q} "
            f"({q.first_day.isoformat()} – {q.last_day.isoformat()}): it owes no report.",
            details={"quarter": str(q), "requested": str(action)},
        )
    opens_on = facts.opens_on(action)
    if opens_on is not None and facts.today < opens_on:
        day = opens_on.isoformat()
        raise Conflict(
            "report.quarter_not_ended",
            f"Le trimestre {q} se termine le {q.last_day.isoformat()} : son rapport peut être "
            f"{_WORDS_FR[action]} à partir du {day}.",
            f"Quarter {q} ends on {q.last_day.isoformat()}: its report may be {_WORDS_EN[action]} "
            f"from {day}.",
            details={
                "quarter": str(q),
                "requested": str(action),
                "last_day": q.last_day.isoformat(),
                "opens_on": day,
            },
        )


def is_late(
    state: ReportState | str,
    today: date,
    *,
    submission_due: date | None,
    resubmission_due: date | None,
    submitted_late: bool,
) -> bool:
    """Whether a report is late on ``today``: a draft past the submission deadline, a rejected
    report past the resubmission deadline, otherwise whether its current submission was."""
    state = ReportState(state)
    if state is ReportState.DRAFT:
        return submission_due is not None and today > submission_due
    if state is ReportState.REJECTED:
        return resubmission_due is not None and today > resubmission_due
    return submitted_late
