"""The quarterly report aggregate (one per organization and fiscal quarter).

The walking skeleton knows two states, draft and submitted; the full workflow (verify,
control, accept/reject, lock) grows here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from gsi_kernel.errors import Conflict
from gsi_kernel.events import DomainEvent, EventRegistry
from gsi_kernel.fiscal import FiscalQuarter


class ReportState(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"


def report_id(organization_id: str, quarter: FiscalQuarter) -> str:
    return f"report-{organization_id}-{quarter}"


@dataclass(frozen=True, slots=True)
class SubmitReport:
    organization_id: str
    quarter: FiscalQuarter
    interventions_count: int
    persons_count: int


class ReportSubmitted(DomainEvent):
    event_type = "ReportSubmitted"

    report_id: str
    organization_id: str
    quarter: str
    submission_version: int
    interventions_count: int
    persons_count: int


EVENTS = EventRegistry([ReportSubmitted])


@dataclass(frozen=True, slots=True)
class Report:
    state: ReportState = ReportState.DRAFT
    submissions: int = 0


def fold(history: Sequence[DomainEvent]) -> Report:
    report = Report()
    for event in history:
        if isinstance(event, ReportSubmitted):
            report = Report(ReportState.SUBMITTED, event.submission_version)
    return report


def submit(history: Sequence[DomainEvent], command: SubmitReport) -> list[DomainEvent]:
    report = fold(history)
    if report.state is not ReportState.DRAFT:
        raise Conflict(
            "report.invalid_transition",
            f"Transition impossible : le rapport est à l'état « {report.state} ».",
            f"Invalid transition: the report is {report.state}.",
            details={"current_state": str(report.state), "requested": "submit"},
        )
    return [
        ReportSubmitted(
            report_id=report_id(command.organization_id, command.quarter),
            organization_id=command.organization_id,
            quarter=str(command.quarter),
            submission_version=report.submissions + 1,
            interventions_count=command.interventions_count,
            persons_count=command.persons_count,
        )
    ]
