"""The report aggregate's events, and the values they carry (see :mod:`reporting.reports.domain`
for the workflow). Every event names the report, its organization and quarter; the envelope names
the author and the time."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict

from gsi_kernel.events import DomainEvent
from gsi_kernel.fiscal import FiscalQuarter
from reporting.reports.snapshot import Snapshot


def report_id(organization_id: str, quarter: FiscalQuarter | str) -> str:
    return f"report-{organization_id}-{quarter}"


class _Value(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CheckSummary(_Value):
    errors: int
    warnings: int
    by_check: dict[str, int]
    blocking: bool


class FindingRecord(_Value):
    intervention_id: str
    check: str
    severity: str
    code: str
    fr: str
    en: str
    details: dict[str, Any] = {}


class FailedCheck(_Value):
    check: str
    severity: str
    code: str
    count: int


class RejectedItem(_Value):
    intervention_id: str
    reason: str
    # What names the intervention to people (never its id), as submitted: the person's file
    # number, the service date and the code with its labels. Recorded with the rejection by the
    # application layer, from reporting's read models (None in rejections recorded before).
    person_file_number: int | None = None
    service_date: date | None = None
    code: str | None = None
    code_fr: str | None = None
    code_en: str | None = None


class ItemAnswer(_Value):
    intervention_id: str
    answer: str


class ReportEvent(DomainEvent):
    report_id: str
    organization_id: str
    quarter: str


class ReportVerified(ReportEvent):
    event_type = "ReportVerified"

    interventions_count: int
    persons_count: int
    summary: CheckSummary
    catalogue_versions: tuple[str, ...] = ()
    rule_set_versions: tuple[str, ...] = ()


class ReportSubmitted(ReportEvent):
    event_type = "ReportSubmitted"

    submission_version: int
    interventions_count: int
    persons_count: int
    summary: CheckSummary
    findings: tuple[FindingRecord, ...]
    findings_truncated: bool = False
    snapshot: Snapshot
    sha256: str
    submitted_on: date
    submission_due: date
    late: bool
    control_due: date


class ReportTakenUnderControl(ReportEvent):
    event_type = "ReportTakenUnderControl"

    submission_version: int


class ReportAccepted(ReportEvent):
    event_type = "ReportAccepted"

    submission_version: int
    blocking_errors: int
    override_reason: str | None = None


class ReportRejected(ReportEvent):
    event_type = "ReportRejected"

    submission_version: int
    rejection_number: int
    reason: str
    items: tuple[RejectedItem, ...]
    failed_checks: tuple[FailedCheck, ...]
    resubmission_due: date


class RejectionAnswered(ReportEvent):
    event_type = "RejectionAnswered"

    rejection_number: int
    answers: tuple[ItemAnswer, ...]


class ReportLocked(ReportEvent):
    event_type = "ReportLocked"

    submission_version: int


class ReportUnlocked(ReportEvent):
    event_type = "ReportUnlocked"

    submission_version: int
    reason: str


EVENTS = (
    ReportVerified,
    ReportSubmitted,
    ReportTakenUnderControl,
    ReportAccepted,
    ReportRejected,
    RejectionAnswered,
    ReportLocked,
    ReportUnlocked,
)
