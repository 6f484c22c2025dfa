"""Lists of reports: the reviewers' work queue (submitted and under control, by control
deadline, with their age), a filtered list, and a fiscal year's overview by quarter and state.
Each reads the reports table, scoped to what the user may see; the list and the overview add the
drafts nobody has opened of the begun quarters an agreement covers (each owes a report).
Whether a report is late is decided today, the same way everywhere (``report_period.is_late``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Connection, case, or_, select

from gsi_kernel.auth import Principal, Role, readable_organizations
from gsi_kernel.clock import Clock, montreal_date
from gsi_kernel.fiscal import FiscalQuarter
from gsi_kernel.store.database import Database
from gsi_kernel.store.queries import fetch_page, scoped_to_principal
from reporting.calendar.app import calendar_of
from reporting.calendar.domain import FiscalYearCalendar, parse_fiscal_year, quarters_of
from reporting.registry_projection import organization_regions
from reporting.reports.coverage import covered, late
from reporting.reports.events import report_id
from reporting.tables import reports

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
_SUBMITTED = frozenset({"submitted", "under_control", "accepted", "locked"})  # late: submitted late
_NONE_UNTIL_OPENED = (
    "submitted_at", "submission_due", "control_due", "resubmission_due",
    "taken_by", "decided_by", "updated_at",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class ReportFilters:
    quarter: str | None = None
    state: str | None = None
    organization_id: str | None = None


@dataclass(frozen=True, slots=True)
class QueueFilters:
    """The work queue's filters: a quarter, one of the queue's states, an organization, a region
    the organization serves (Québec's administrative region code, ``01``–``17``)."""

    quarter: str | None = None
    state: str | None = None
    organization_id: str | None = None
    region: str | None = None

    def states(self) -> tuple[str, ...]:
        return (self.state,) if self.state else IN_CONTROL


class ReportLists:
    def __init__(self, *, db: Database, clock: Clock, program: str) -> None:
        self._db = db
        self._clock = clock
        self._program = program

    def today(self) -> date:
        return montreal_date(self._clock.now())

    def queue(
        self, principal: Principal, filters: QueueFilters, *, offset: int, limit: int
    ) -> tuple[list[dict[str, Any]], int]:
        """Reports waiting for the ministry, filtered here (a page of a long queue must hold what
        the filters keep, not what they keep of the first page): the overdue or late ones first,
        then by control deadline; a reviewer sees those of the organizations assigned to them,
        an admin all."""
        query = select(*_LISTED).where(r.state.in_(filters.states()))
        if Role.ADMIN not in principal.roles:
            query = query.where(r.organization_id.in_(principal.assigned_organizations))
        if filters.quarter:
            query = query.where(r.quarter == filters.quarter)
        if filters.organization_id:
            query = query.where(r.organization_id == filters.organization_id)
        if filters.region:
            serving = select(organization_regions.c.organization_id).where(
                organization_regions.c.region == filters.region
            )
            query = query.where(r.organization_id.in_(serving))
        today = self.today()
        # In the queue's states a report is late when its submission was (``report_period``).
        behind = case((or_(r.control_due < today, r.late.is_(True)), 0), else_=1)
        rows, total = fetch_page(
            self._db,
            query,
            behind,
            r.control_due,
            r.submitted_at,
            r.report_id,
            offset=offset,
            limit=limit,
        )
        return [_aged({**row, "late": late(row, today)}, today) for row in rows], total

    def listing(
        self, principal: Principal, filters: ReportFilters, *, offset: int, limit: int
    ) -> tuple[list[dict[str, Any]], int]:
        """The visible reports, latest quarter first: with, unless the filter excludes drafts, the
        drafts of the covered quarters nobody has opened yet."""
        query = scoped_to_principal(select(*_LISTED), r.organization_id, principal)
        if filters.quarter:
            query = query.where(r.quarter == filters.quarter)
        if filters.organization_id:
            query = query.where(r.organization_id == filters.organization_id)
        today = self.today()
        if filters.state not in (None, "draft"):  # no untouched draft to add: one page of the table
            rows, total = fetch_page(
                self._db,
                query.where(r.state == filters.state),
                r.quarter.desc(),
                r.organization_id,
                offset=offset,
                limit=limit,
            )
            return [{**row, "late": late(row, today)} for row in rows], total
        with self._db.transaction() as connection:
            quarters = [FiscalQuarter.parse(filters.quarter)] if filters.quarter else None
            owed = self._owed(connection, principal, filters.organization_id, quarters)
            # Every state read: a quarter with a report in any state has no untouched draft.
            rows = _reports_owed_or_made([dict(row._mapping) for row in connection.execute(query)], owed)
            if filters.state:
                rows = [row for row in rows if row["state"] == filters.state]
            rows.sort(key=lambda row: row["organization_id"])
            rows.sort(key=lambda row: row["quarter"], reverse=True)
            page = rows[offset : offset + limit]
            dues = _Dues(connection)
            for row in page:
                _dated(row, dues, today)
        return page, len(rows)

    def overview(self, principal: Principal, fiscal_year: str) -> list[dict[str, Any]]:
        """Per quarter of the fiscal year: the reports owed or made, by state (drafts nobody has
        opened included), how many are late today, and of those the late submissions and the
        drafts past their deadline."""
        quarters = quarters_of(parse_fiscal_year(fiscal_year))
        labels = [str(q) for q in quarters]
        query = scoped_to_principal(
            select(r.organization_id, r.quarter, r.state, r.late, r.resubmission_due).where(
                r.quarter.in_(labels)
            ),
            r.organization_id,
            principal,
        )
        by_quarter: dict[str, dict[str, Any]] = {
            q: {"quarter": q, "reports": 0, "late": 0, "late_submissions": 0, "late_drafts": 0, "states": {}}
            for q in labels
        }
        today = self.today()
        with self._db.transaction() as connection:
            owed = self._owed(connection, principal, None, quarters)
            made = [dict(row._mapping, submission_due=None) for row in connection.execute(query)]
            rows = _reports_owed_or_made(made, owed)
            dues = _Dues(connection)
            for row in rows:
                _dated(row, dues, today)
                entry = by_quarter[row["quarter"]]
                entry["states"][row["state"]] = entry["states"].get(row["state"], 0) + 1
                entry["reports"] += 1
                entry["late"] += row["late"]
                entry["late_submissions"] += row["late"] and row["state"] in _SUBMITTED
                entry["late_drafts"] += row["late"] and row["state"] == "draft"
        return list(by_quarter.values())

    def _owed(
        self,
        connection: Connection,
        principal: Principal,
        organization_id: str | None,
        quarters: list[FiscalQuarter] | None,
    ) -> set[tuple[str, str]]:
        """The (organization, quarter) pairs visible to ``principal`` an agreement covers, of the
        quarters begun: a quarter yet to come is owed no report so far."""
        visible = None if Role.ADMIN in principal.roles else set(readable_organizations(principal))
        if organization_id is not None:
            visible = {organization_id} & visible if visible is not None else {organization_id}
        return covered(
            connection, self._program, started_by=self.today(), organizations=visible, quarters=quarters
        )


class _Dues:
    """Each quarter's submission deadline, from its fiscal year's calendar (read once)."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self._years: dict[int, FiscalYearCalendar] = {}

    def __call__(self, quarter: str) -> date:
        q = FiscalQuarter.parse(quarter)
        if q.start_year not in self._years:
            self._years[q.start_year] = calendar_of(self._connection, q.start_year)
        return self._years[q.start_year].submission_due(q)


def _dated(row: dict[str, Any], dues: _Dues, today: date) -> None:
    """A draft's deadline is the calendar's (it has no submission of its own); then lateness."""
    if row["state"] == "draft" or row["submission_due"] is None:
        row["submission_due"] = dues(row["quarter"])
    row["late"] = late(row, today)


def _reports_owed_or_made(rows: list[dict[str, Any]], owed: set[tuple[str, str]]) -> list[dict[str, Any]]:
    """The rows of reports owed (an agreement covers the quarter) or submitted at least once, and
    the drafts nobody opened of the quarters owed. A draft no agreement covers — a verification
    run on a quarter that owes nothing — is no report."""
    kept = [
        row for row in rows if row["state"] != "draft" or (row["organization_id"], row["quarter"]) in owed
    ]
    seen = {(row["organization_id"], row["quarter"]) for row in rows}
    return kept + [_untouched(org, quarter) for org, quarter in sorted(owed - seen)]


def _untouched(organization_id: str, quarter: str) -> dict[str, Any]:
    """The draft of a covered quarter nobody has opened: no event, no row, still owed."""
    return {
        "report_id": report_id(organization_id, quarter),
        "organization_id": organization_id,
        "quarter": quarter,
        "state": "draft",
        **dict.fromkeys(
            ("submission_version", "interventions_count", "persons_count", "errors", "warnings"), 0
        ),
        "late": False,
        **dict.fromkeys(_NONE_UNTIL_OPENED, None),
    }


def _aged(row: dict[str, Any], today: date) -> dict[str, Any]:
    submitted = montreal_date(row["submitted_at"]) if row["submitted_at"] else today
    due = row["control_due"]
    return {
        **row,
        "age_days": (today - submitted).days,
        "days_left": None if due is None else (due - today).days,
        "overdue": due is not None and due < today,
    }
