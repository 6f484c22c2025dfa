"""Events the reporting service publishes on ``gsi.reporting``."""

from __future__ import annotations

from datetime import date

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


CONTRACTS: tuple[type[DomainEvent], ...] = (
    ReportSubmitted,
    AgreementRecorded,
    QuarterLocked,
    QuarterUnlocked,
)
