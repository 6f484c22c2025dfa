"""Events the reporting service publishes on ``gsi.reporting``."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict

from gsi_contracts.base import ContractEvent
from gsi_kernel.events import DomainEvent

TOPIC = "gsi.reporting"


class ReportSubmitted(ContractEvent):
    event_type = "reporting.ReportSubmitted"
    schema_version = 1

    report_id: str
    organization_id: str
    quarter: str
    submission_version: int
    interventions_count: int
    persons_count: int
    # Added in the same schema version (optional: consumers that predate them ignore them).
    errors: int = 0
    warnings: int = 0
    late: bool = False  # after the deadline (the quarter's, or the rejection's for a resubmission)
    control_due: date | None = None  # the ministry's deadline to decide


class AgreementRecorded(ContractEvent):
    """An organization's funding agreement: the volets it may declare services under."""

    event_type = "reporting.AgreementRecorded"
    schema_version = 1

    agreement_id: str
    organization_id: str
    program: str
    volets: tuple[str, ...]
    starts_on: date
    ends_on: date


class QuarterLocked(ContractEvent):
    """The organization's report for the quarter is accepted and closed: no more changes."""

    event_type = "reporting.QuarterLocked"
    schema_version = 1

    organization_id: str
    quarter: str  # e.g. 2026-2027-Q1
    report_id: str


class QuarterUnlocked(ContractEvent):
    event_type = "reporting.QuarterUnlocked"
    schema_version = 1

    organization_id: str
    quarter: str
    report_id: str
    reason: str


class ReportUnderControl(ContractEvent):
    """A reviewer opened the submitted report for control."""

    event_type = "reporting.ReportUnderControl"
    schema_version = 1

    report_id: str
    organization_id: str
    quarter: str
    submission_version: int


class ReportAccepted(ContractEvent):
    """The ministry accepted the submission (``override_reason``: accepted despite errors)."""

    event_type = "reporting.ReportAccepted"
    schema_version = 1

    report_id: str
    organization_id: str
    quarter: str
    submission_version: int
    override_reason: str | None = None


class RejectedIntervention(BaseModel):
    """One intervention the ministry asks to correct, and what names it to people — never the
    id: the person's file number (written ``D-000123``, ``gsi_contracts.registration``), the
    service date, the code and its labels, as submitted. Added in the same schema version
    (optional: rejections recorded before have none of them)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    intervention_id: str
    reason: str
    person_file_number: int | None = None
    service_date: date | None = None
    code: str | None = None
    code_fr: str | None = None
    code_en: str | None = None


class FailedCheck(BaseModel):
    """One kind of finding of the rejected submission, and how many interventions it concerns."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    check: str  # C1..C8
    severity: str  # error | warning
    code: str  # e.g. C5.no_active_plan
    count: int


class ReportRejected(ContractEvent):
    """The ministry rejected the submission: a global reason, reasons per intervention, the
    failed checks, and the last day to resubmit."""

    event_type = "reporting.ReportRejected"
    schema_version = 1

    report_id: str
    organization_id: str
    quarter: str
    submission_version: int
    rejection_number: int
    reason: str
    items: tuple[RejectedIntervention, ...] = ()
    failed_checks: tuple[FailedCheck, ...] = ()
    resubmission_due: date


class SubmissionDeadline(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    quarter: str
    submission_due: date


class FiscalYearCalendarSet(ContractEvent):
    """An admin set a fiscal year's reporting calendar. Until one is set, the default applies:
    each quarter due 30 days after it ends, 30 days of control, 10 business days to resubmit."""

    event_type = "reporting.FiscalYearCalendarSet"
    schema_version = 1

    fiscal_year: str  # e.g. 2026-2027
    deadlines: tuple[SubmissionDeadline, ...]
    control_window_days: int
    resubmission_business_days: int


class OrganizationContact(BaseModel):
    """Someone notices go to, in the language they read (fr | en)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    name: str
    email: str
    role: str
    language: str = "fr"


class _OrganizationFields(ContractEvent):
    """An organization's full description (registrations and updates alike)."""

    organization_id: str
    name: str
    regions: tuple[str, ...]
    contacts: tuple[OrganizationContact, ...] = ()


class OrganizationRegistered(_OrganizationFields):
    """A partner organization entered in the ministry's registry (regions: Québec codes 01–17)."""

    event_type = "reporting.OrganizationRegistered"
    schema_version = 1


class OrganizationUpdated(_OrganizationFields):
    """The organization's full new description (every field), after a change with ``reason``."""

    event_type = "reporting.OrganizationUpdated"
    schema_version = 1

    reason: str


class ReviewerAssigned(ContractEvent):
    """A ministry reviewer (user id) now controls this organization's reports, and reads its
    data on every service: the services authorize reviewers from these events (ADR 23)."""

    event_type = "reporting.ReviewerAssigned"
    schema_version = 1

    organization_id: str
    reviewer_id: str


class ReviewerUnassigned(ContractEvent):
    """The reviewer no longer controls nor reads this organization's data, on any service."""

    event_type = "reporting.ReviewerUnassigned"
    schema_version = 1

    organization_id: str
    reviewer_id: str


CONTRACTS: tuple[type[DomainEvent], ...] = (
    ReportSubmitted,
    AgreementRecorded,
    QuarterLocked,
    QuarterUnlocked,
    ReportUnderControl,
    ReportAccepted,
    ReportRejected,
    FiscalYearCalendarSet,
    OrganizationRegistered,
    OrganizationUpdated,
    ReviewerAssigned,
    ReviewerUnassigned,
)
