"""Which quarters owe a report: those one of the organization's agreements of the service's
program covers, in part or whole (the registry's ``agreements`` read model). And the facts a
report's decision needs about its quarter (:class:`reporting.reports.period.QuarterFacts`):
that coverage, today in Montréal, the calendar's early submission window."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from datetime import date
from typing import Any

from sqlalchemy import Connection, select

from gsi_kernel.fiscal import FiscalQuarter
from reporting.calendar.app import calendar_of
from reporting.registry_projection import agreements
from reporting.reports.period import QuarterFacts, is_late

a = agreements.c


def covers(connection: Connection, program: str, organization_id: str, quarter: FiscalQuarter) -> bool:
    query = select(a.agreement_id).where(
        a.organization_id == organization_id,
        a.program == program,
        a.starts_on <= quarter.last_day,
        a.ends_on >= quarter.first_day,
    )
    return connection.execute(query.limit(1)).first() is not None


def quarter_facts(
    connection: Connection, program: str, organization_id: str, quarter: FiscalQuarter, today: date
) -> QuarterFacts:
    return QuarterFacts(
        quarter=quarter,
        today=today,
        covered=covers(connection, program, organization_id, quarter),
        early_days=calendar_of(connection, quarter.start_year).early_submission_days(quarter),
    )


def covered(
    connection: Connection,
    program: str,
    *,
    started_by: date,
    organizations: Collection[str] | None = None,
    quarters: Collection[FiscalQuarter] | None = None,
) -> set[tuple[str, str]]:
    """Every (organization, quarter) an agreement covers, of the quarters begun by
    ``started_by``; only of ``organizations`` and among ``quarters`` when given."""
    query = select(a.organization_id, a.starts_on, a.ends_on).where(
        a.program == program, a.starts_on <= started_by
    )
    if organizations is not None:
        query = query.where(a.organization_id.in_(sorted(organizations)))
    if quarters is not None:
        if not quarters:
            return set()
        query = query.where(
            a.starts_on <= max(q.last_day for q in quarters), a.ends_on >= min(q.first_day for q in quarters)
        )
    found: set[tuple[str, str]] = set()
    for organization_id, starts_on, ends_on in connection.execute(query):
        spanned = _quarters(starts_on, min(ends_on, started_by))
        found.update((organization_id, str(q)) for q in spanned if quarters is None or q in quarters)
    return found


def late(row: Mapping[str, Any], today: date) -> bool:
    """Whether a report row is late on ``today`` (a draft's ``submission_due``: the calendar's)."""
    return is_late(
        row["state"],
        today,
        submission_due=row["submission_due"],
        resubmission_due=row["resubmission_due"],
        submitted_late=bool(row["late"]),
    )


def _quarters(first: date, last: date) -> Iterator[FiscalQuarter]:
    quarter = FiscalQuarter.of(first)
    while quarter.first_day <= last:
        yield quarter
        quarter = quarter.next()
