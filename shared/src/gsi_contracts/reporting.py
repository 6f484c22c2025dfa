"""Events the reporting service publishes on ``gsi.reporting``."""

from __future__ import annotations

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


CONTRACTS: tuple[type[DomainEvent], ...] = (ReportSubmitted,)
