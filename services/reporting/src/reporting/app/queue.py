"""Lists of reports: the reviewers' work queue (submitted and under control, by control
deadline, with their age), a filtered list, and a fiscal year's overview by quarter and state.
Each reads one indexed table, scoped to what the user may see."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import case, func, select

from gsi_kernel.auth import Principal, Role
from gsi_kernel.clock import montreal_date
from gsi_kernel.runtime import Kernel
from gsi_kernel.store.queries import fetch_page, scoped_to_principal
from reporting.domain.calendar import parse_fiscal_year, quarters_of
from reporting.projections.tables import reports

r = reports.c
_LISTED = (
    r.report_id,
    r.organization_id,
    r.quarter,
    r.state,
    r.submission_version,
    r.interventions_count,
    r.persons_count,
    r.errors,
    r.warnings,
    r.late,
    r.submitted_at,
    r.submission_due,
    r.control_due,
    r.resubmission_due,
    r.taken_by,
    r.decided_by,
    r.updated_at,
)
IN_CONTROL = ("submitted", "under_control")


@dataclass(frozen=True, slots=True)
class ReportFilters:
    quarter: str | None = None
    state: str | None = None
    organization_id: str | None = None


class ReportLists:
    def __init__(self, kernel: Kernel) -> None:
        self._kernel = kernel

    def queue(self, principal: Principal, *, offset: int, limit: int) -> tuple[list[dict[str, Any]], int]:
        """Reports waiting for the ministry, the earliest control deadline first; a reviewer
        sees those of the organizations assigned to them, an admin all."""
        query = select(*_LISTED).where(r.state.in_(IN_CONTROL))
        if Role.ADMIN not in principal.roles:
            query = query.where(r.organization_id.in_(principal.assigned_organizations))
        rows, total = fetch_page(
            self._kernel.db, query, r.control_due, r.submitted_at, r.report_id, offset=offset, limit=limit
        )
        today = montreal_date(self._kernel.clock.now())
        return [_aged(row, today) for row in rows], total

    def listing(
        self, principal: Principal, filters: ReportFilters, *, offset: int, limit: int
    ) -> tuple[list[dict[str, Any]], int]:
        query = scoped_to_principal(select(*_LISTED), r.organization_id, principal)
        if filters.quarter:
            query = query.where(r.quarter == filters.quarter)
        if filters.state:
            query = query.where(r.state == filters.state)
        if filters.organization_id:
            query = query.where(r.organization_id == filters.organization_id)
        return fetch_page(
            self._kernel.db, query, r.quarter.desc(), r.organization_id, offset=offset, limit=limit
        )

    def overview(self, principal: Principal, fiscal_year: str) -> list[dict[str, Any]]:
        """Per quarter of the fiscal year: how many reports are in each state, and how many
        were submitted late."""
        quarters = [str(q) for q in quarters_of(parse_fiscal_year(fiscal_year))]
        late = func.sum(case((r.late.is_(True), 1), else_=0))
        query = scoped_to_principal(
            select(r.quarter, r.state, func.count(), late).where(r.quarter.in_(quarters)),
            r.organization_id,
            principal,
        ).group_by(r.quarter, r.state)
        by_quarter: dict[str, dict[str, Any]] = {
            q: {"quarter": q, "reports": 0, "late": 0, "states": {}} for q in quarters
        }
        with self._kernel.db.transaction() as connection:
            for quarter, state, count, late_count in connection.execute(query):
                entry = by_quarter[quarter]
                entry["states"][state] = int(count)
                entry["reports"] += int(count)
                entry["late"] += int(late_count or 0)
        return list(by_quarter.values())


def _aged(row: dict[str, Any], today: date) -> dict[str, Any]:
    submitted = montreal_date(row["submitted_at"]) if row["submitted_at"] else today
    due = row["control_due"]
    return {
        **row,
        "age_days": (today - submitted).days,
        "days_left": None if due is None else (due - today).days,
        "overdue": due is not None and due < today,
    }
