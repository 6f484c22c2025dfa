"""Program-wide indicators of the integration journey (docs/domain.md, "Targets and performance"):
persons served per region, time from arrival to first service in business days (reference: the
first meeting within 5 business days; weekends and the fiscal-year calendars' holidays skipped,
docs/adr/0014-business-days.md), the rejection rate of each quarter's submissions, and the
12-month regional retention. Each reads a table kept for it, on an index led by the fiscal year:
the counts per region, each person's first service and arrival, the year's reports, the year's
regionalization cohort."""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import Connection, func, select

from gsi_kernel.store.database import Database
from reporting.counting.domain import PROGRAM, YEAR, Measure
from reporting.performance.app import parse_fiscal_year
from reporting.performance.first_service import first_service_delays
from reporting.performance.progress import median_of
from reporting.performance_tables import perf_counts
from reporting.retention.app import regional_retention
from reporting.tables import rejections, report_submissions, reports

FIRST_MEETING_BUSINESS_DAYS = 5  # [src] reference for the first meeting after arrival


class ProgramIndicators:
    def __init__(self, db: Database) -> None:
        self._db = db

    def compute(self, fiscal_year: str) -> dict[str, Any]:
        """The year's persons served per region, arrival-to-first-service delays of the persons
        first served this year, each quarter's rejection rate and the 12-month retention."""
        _first_day, last_day = parse_fiscal_year(fiscal_year)
        with self._db.transaction() as connection:
            regions = _persons_per_region(connection, fiscal_year)
            delays = first_service_delays(connection, fiscal_year, last_day)
            rejection = _rejection_rates(connection, fiscal_year)
            retention = regional_retention(connection, fiscal_year)
        return {
            "fiscal_year": fiscal_year,
            "persons_served_per_region": regions,
            "first_service": _first_service(delays),
            "rejection_rates": rejection,
            "regional_retention": retention,
        }


def _first_service(delays: Counter[int]) -> dict[str, Any]:
    persons = delays.total()
    within = sum(n for days, n in delays.items() if days <= FIRST_MEETING_BUSINESS_DAYS)
    return {
        "persons": persons,
        "median_business_days": median_of(delays) if persons else None,
        "within_reference": within,
        "within_reference_pct": round(100 * within / persons, 1) if persons else None,
        "reference_business_days": FIRST_MEETING_BUSINESS_DAYS,
    }


def _persons_per_region(connection: Connection, fiscal_year: str) -> list[dict[str, Any]]:
    """Persons served in the year by the region they live in (None: unknown), from the counts."""
    c = perf_counts.c
    query = select(c.code, c.value).where(
        c.fiscal_year == fiscal_year,
        c.quarter_number == YEAR,
        c.organization_id == PROGRAM,
        c.measure == Measure.PERSONS_BY_REGION.value,
    )
    return [{"region": r or None, "persons": int(n)} for r, n in connection.execute(query.order_by(c.code))]


def _rejection_rates(connection: Connection, fiscal_year: str) -> list[dict[str, Any]]:
    """Per quarter: submissions, rejections, and the share of submissions rejected."""
    quarter = report_submissions.c.quarter
    submitted: dict[str, int] = dict(
        connection.execute(
            select(quarter, func.count()).where(quarter.like(f"{fiscal_year}-Q%")).group_by(quarter)
        ).all()
    )
    rejected: dict[str, int] = dict(
        connection.execute(
            select(reports.c.quarter, func.count())
            .select_from(rejections.join(reports, reports.c.report_id == rejections.c.report_id))
            .where(reports.c.quarter.like(f"{fiscal_year}-Q%"))
            .group_by(reports.c.quarter)
        ).all()
    )
    return [
        {
            "quarter": q,
            "submissions": int(submitted.get(q, 0)),
            "rejections": int(rejected.get(q, 0)),
            "rejection_rate_pct": round(100 * rejected.get(q, 0) / submitted[q], 1)
            if submitted.get(q)
            else None,
        }
        for q in (f"{fiscal_year}-Q{n}" for n in range(1, 5))
    ]
