"""Program-wide indicators beyond the targets (domain.md, "Targets and performance"): persons
served per region, time from arrival to first service (reference: the first meeting within 5
business days), and the rejection rate of each quarter's submissions."""

from __future__ import annotations

from datetime import date, timedelta
from statistics import median
from typing import Any

from sqlalchemy import Connection, func, select

from gsi_kernel.runtime import Kernel
from reporting.app.targets import parse_fiscal_year
from reporting.projections.registry import perf_interventions
from reporting.projections.tables import (
    known_person_statuses,
    known_persons,
    rejections,
    report_submissions,
    reports,
)

FIRST_MEETING_BUSINESS_DAYS = 5  # [src] reference for the first meeting after arrival


class ProgramIndicators:
    def __init__(self, kernel: Kernel) -> None:
        self._kernel = kernel

    def compute(self, fiscal_year: str) -> dict[str, Any]:
        """The year's persons served per region, arrival-to-first-service delays of the persons
        first served this year, and each quarter's rejection rate."""
        first_day, last_day = parse_fiscal_year(fiscal_year)
        with self._kernel.db.transaction() as connection:
            regions = _persons_per_region(connection, fiscal_year)
            delays = _first_service_delays(connection, first_day, last_day)
            rejection = _rejection_rates(connection, fiscal_year)
        within = sum(1 for d in delays if d <= FIRST_MEETING_BUSINESS_DAYS)
        return {
            "fiscal_year": fiscal_year,
            "persons_served_per_region": regions,
            "first_service": {
                "persons": len(delays),
                "median_business_days": median(delays) if delays else None,
                "within_reference": within,
                "within_reference_pct": round(100 * within / len(delays), 1) if delays else None,
                "reference_business_days": FIRST_MEETING_BUSINESS_DAYS,
            },
            "rejection_rates": rejection,
        }


def _persons_per_region(connection: Connection, fiscal_year: str) -> list[dict[str, Any]]:
    served = (
        select(perf_interventions.c.person_id)
        .where(perf_interventions.c.fiscal_year == fiscal_year, perf_interventions.c.status == "active")
        .distinct()
        .subquery()
    )
    region = func.coalesce(known_persons.c.region, "")
    query = (
        select(region.label("region"), func.count().label("persons"))
        .select_from(served.outerjoin(known_persons, known_persons.c.person_id == served.c.person_id))
        .group_by(region)
        .order_by(region)
    )
    return [{"region": r.region or None, "persons": int(r.persons)} for r in connection.execute(query)]


def _first_service_delays(connection: Connection, first_day: date, last_day: date) -> list[int]:
    """Business days (weekends skipped) from arrival to first service, for each person whose
    first service of all falls in the year and whose arrival (admission) date is known."""
    first = (
        select(perf_interventions.c.person_id, func.min(perf_interventions.c.service_date).label("first_on"))
        .where(perf_interventions.c.status == "active")
        .group_by(perf_interventions.c.person_id)
        .subquery()
    )
    arrival = (
        select(
            known_person_statuses.c.person_id,
            func.min(known_person_statuses.c.admission_date).label("arrived_on"),
        )
        .group_by(known_person_statuses.c.person_id)
        .subquery()
    )
    query = (
        select(first.c.first_on, arrival.c.arrived_on)
        .select_from(first.join(arrival, arrival.c.person_id == first.c.person_id))
        .where(first.c.first_on.between(first_day, last_day), arrival.c.arrived_on.is_not(None))
    )
    return sorted(
        business_days_between(r.arrived_on, r.first_on)
        for r in connection.execute(query)
        if r.first_on >= r.arrived_on
    )


def business_days_between(start: date, end: date) -> int:
    """Weekdays after ``start`` up to and including ``end`` (0 on the same day)."""
    weeks, rest = divmod((end - start).days, 7)
    days = weeks * 5
    for offset in range(1, rest + 1):
        if (start + timedelta(days=offset)).weekday() < 5:
            days += 1
    return days


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
