"""Reporting's use cases."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from gsi_kernel.auth import Principal, may_read_organization
from gsi_kernel.envelope import CommandContext
from gsi_kernel.errors import Forbidden, InvalidInput, NotFound
from gsi_kernel.fiscal import FiscalQuarter
from gsi_kernel.runtime import Kernel
from gsi_kernel.store.queries import fetch_one
from reporting.domain import report
from reporting.projections.tables import quarter_interventions, reports


@dataclass(frozen=True, slots=True)
class ReportSummary:
    report_id: str
    organization_id: str
    quarter: str
    state: str
    submission_version: int
    interventions_count: int
    persons_count: int


def parse_quarter(text: str) -> FiscalQuarter:
    try:
        return FiscalQuarter.parse(text)
    except ValueError as exc:
        raise InvalidInput(
            "report.invalid_quarter",
            f"Trimestre invalide : {text} (ex. 2026-2027-Q3).",
            f"Invalid quarter: {text} (e.g. 2026-2027-Q3).",
            details={"field": "quarter"},
        ) from exc


class Reports:
    def __init__(self, kernel: Kernel) -> None:
        self._kernel = kernel

    def summary(self, organization_id: str, quarter: FiscalQuarter, principal: Principal) -> ReportSummary:
        if not may_read_organization(principal, organization_id):
            raise NotFound("report.not_found", "Rapport introuvable.", "Report not found.")
        interventions_count, persons_count = self._counts(organization_id, quarter)
        rid = report.report_id(organization_id, quarter)
        row = fetch_one(self._kernel.db, select(reports).where(reports.c.report_id == rid))
        return ReportSummary(
            report_id=rid,
            organization_id=organization_id,
            quarter=str(quarter),
            state=row["state"] if row else report.ReportState.DRAFT,
            submission_version=row["submission_version"] if row else 0,
            interventions_count=interventions_count,
            persons_count=persons_count,
        )

    def submit(
        self, organization_id: str, quarter: FiscalQuarter, principal: Principal, context: CommandContext
    ) -> ReportSummary:
        """Submit the organization's report for the quarter (its own managers only)."""
        if principal.organization != organization_id:
            raise Forbidden(
                "report.not_your_organization",
                "Vous ne pouvez soumettre que le rapport de votre organisme.",
                "You may only submit your own organization's report.",
            )
        interventions_count, persons_count = self._counts(organization_id, quarter)
        command = report.SubmitReport(organization_id, quarter, interventions_count, persons_count)
        self._kernel.writer.execute(
            report.report_id(organization_id, quarter),
            lambda history: report.submit(history, command),
            context,
        )
        return self.summary(organization_id, quarter, principal)

    def _counts(self, organization_id: str, quarter: FiscalQuarter) -> tuple[int, int]:
        q = quarter_interventions.c
        query = select(func.count(), func.count(q.person_id.distinct())).where(
            q.organization_id == organization_id, q.quarter == str(quarter)
        )
        with self._kernel.db.transaction() as connection:
            interventions_count, persons_count = connection.execute(query).one()
        return int(interventions_count), int(persons_count)
