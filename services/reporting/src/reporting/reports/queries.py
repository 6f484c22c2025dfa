"""Reading a report: its state and deadlines, what each submission froze (items with their
flags and the reviewer's reasons), its findings, its history, and its integrity."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, distinct, func, select

from gsi_kernel.auth import Principal
from gsi_kernel.clock import Clock, montreal_date
from gsi_kernel.errors import NotFound
from gsi_kernel.fiscal import FiscalQuarter
from gsi_kernel.store.database import Database
from reporting.calendar import app as calendar
from reporting.knowledge.app import served_in
from reporting.reports.access import require_reader
from reporting.reports.coverage import covers, late
from reporting.reports.events import report_id
from reporting.reports.period import submission_opens_on
from reporting.tables import (
    intervention_versions,
    quarter_interventions,
    rejection_items,
    rejections,
    report_submissions,
    reports,
    submission_findings,
    submission_items,
)

_EDITABLE = ("draft", "rejected")  # counts are live while the organization may still change them


class ReportQueries:
    def __init__(self, *, db: Database, clock: Clock, program: str) -> None:
        self._db = db
        self._clock = clock
        self._program = program

    def report(self, organization_id: str, quarter: FiscalQuarter, principal: Principal) -> dict[str, Any]:
        """The report, its deadlines, whether it is late today and its open (or last) rejection;
        a report nobody has touched yet is a draft (owed if an agreement covers the quarter)."""
        require_reader(principal, organization_id)
        rid = report_id(organization_id, quarter)
        today = montreal_date(self._clock.now())
        with self._db.transaction() as connection:
            row = connection.execute(select(reports).where(reports.c.report_id == rid)).first()
            view = dict(row._mapping) if row is not None else _draft(rid, organization_id, quarter)
            if view["state"] in _EDITABLE:
                view["interventions_count"], view["persons_count"] = _live_counts(
                    connection, organization_id, quarter
                )
            year = calendar.calendar_of(connection, quarter.start_year)
            if view["state"] == "draft" or view["submission_due"] is None:
                view["submission_due"] = year.submission_due(quarter)
            view["submission_opens_on"] = submission_opens_on(quarter, year.early_submission_days(quarter))
            view["covered"] = covers(connection, self._program, organization_id, quarter)
            # A draft no agreement covers is owed by no one: never late.
            view["late"] = (view["covered"] or view["state"] != "draft") and late(view, today)
            view["rejection"] = _rejection(connection, rid, view["rejection_count"])
        return view

    def submission(
        self,
        organization_id: str,
        quarter: FiscalQuarter,
        version: int,
        principal: Principal,
        *,
        offset: int,
        limit: int,
        check: str | None = None,
    ) -> dict[str, Any]:
        """Exactly what a submission froze: each intervention at the version submitted, with
        its findings at submission and the reviewer's reason if a rejection named it; ``check``:
        only the interventions that check flagged (``matching``: how many, all pages)."""
        require_reader(principal, organization_id)
        rid = report_id(organization_id, quarter)
        with self._db.transaction() as connection:
            head = submission_row(connection, rid, version)
            if check:
                items = _flagged_items(connection, rid, version, check, offset, limit)
                matching = connection.execute(
                    select(func.count(distinct(submission_findings.c.intervention_id))).where(
                        *_findings_of(rid, version, check)
                    )
                ).scalar_one()
            else:
                items = _items(connection, _of_submission(rid, version), rid, version, offset, limit)
                matching = head["interventions_count"]
        return {**head, "items": items, "matching": int(matching), "offset": offset, "limit": limit}

    def flagged(
        self, organization_id: str, quarter: FiscalQuarter, version: int, principal: Principal, *, limit: int
    ) -> dict[str, list[dict[str, Any]]]:
        """Each check's first ``limit`` interventions it flagged in the submission (by id, as
        the table), for every check with a finding: what the control page names by check, in
        one read instead of one per check."""
        require_reader(principal, organization_id)
        rid = report_id(organization_id, quarter)
        f = submission_findings.c
        with self._db.transaction() as connection:
            submission_row(connection, rid, version)
            checks = connection.execute(
                select(f.check).where(f.report_id == rid, f.submission_version == version).distinct()
            ).scalars()
            return {
                check: _flagged_items(connection, rid, version, check, 0, limit) for check in sorted(checks)
            }

    def findings(
        self,
        organization_id: str,
        quarter: FiscalQuarter,
        version: int,
        principal: Principal,
        *,
        severity: str | None,
        check: str | None,
        offset: int,
        limit: int,
    ) -> tuple[list[dict[str, Any]], int]:
        require_reader(principal, organization_id)
        rid = report_id(organization_id, quarter)
        f = submission_findings.c
        query = select(f.intervention_id, f.check, f.severity, f.code, f.fr, f.en, f.details).where(
            f.report_id == rid, f.submission_version == version
        )
        if severity:
            query = query.where(f.severity == severity)
        if check:
            query = query.where(f.check == check)
        with self._db.transaction() as connection:
            submission_row(connection, rid, version)
            total = connection.execute(select(func.count()).select_from(query.subquery())).scalar_one()
            rows = connection.execute(query.order_by(f.seq).offset(offset).limit(limit)).all()
        return [dict(r._mapping) for r in rows], int(total)


def submission_row(connection: Connection, rid: str, version: int) -> dict[str, Any]:
    s = report_submissions.c
    row = connection.execute(
        select(report_submissions).where(s.report_id == rid, s.submission_version == version)
    ).first()
    if row is None:
        raise NotFound(
            "report.submission_not_found",
            f"Aucune soumission numéro {version} de ce rapport.",
            f"No submission number {version} of this report.",
            details={"submission_version": version},
        )
    return dict(row._mapping)


def _draft(rid: str, organization_id: str, quarter: FiscalQuarter) -> dict[str, Any]:
    return {
        "report_id": rid,
        "organization_id": organization_id,
        "quarter": str(quarter),
        "state": "draft",
        "submission_version": 0,
        "errors": 0,
        "warnings": 0,
        "late": False,
        "rejection_count": 0,
        "submission_due": None,
        "resubmission_due": None,
    }


def _live_counts(connection: Connection, organization_id: str, quarter: FiscalQuarter) -> tuple[int, int]:
    q = quarter_interventions.c
    interventions = connection.execute(
        select(func.count()).where(
            q.organization_id == organization_id, q.quarter == str(quarter), q.status == "active"
        )
    ).scalar_one()
    persons = connection.execute(
        select(func.count()).select_from(served_in(organization_id, quarter).subquery())
    ).scalar_one()
    return int(interventions), int(persons)


def _rejection(connection: Connection, rid: str, number: int) -> dict[str, Any] | None:
    if not number:
        return None
    r, i = rejections.c, rejection_items.c
    row = connection.execute(select(rejections).where(r.report_id == rid, r.rejection_number == number)).one()
    items = connection.execute(
        select(i.intervention_id, i.reason, i.answer, i.answered_at, i.answered_by)
        .where(i.report_id == rid, i.rejection_number == number)
        .order_by(i.intervention_id)
    ).all()
    return {**dict(row._mapping), "items": [dict(item._mapping) for item in items]}


def _of_submission(rid: str, version: int) -> list[ColumnElement[bool]]:
    s = submission_items.c
    return [s.report_id == rid, s.submission_version == version]


def _findings_of(rid: str, version: int, check: str) -> list[ColumnElement[bool]]:
    f = submission_findings.c
    return [f.report_id == rid, f.submission_version == version, f.check == check]


def _flagged_items(
    connection: Connection, rid: str, version: int, check: str, offset: int, limit: int
) -> list[dict[str, Any]]:
    """The page of the interventions ``check`` flagged, by id: their ids from the findings
    first (one range of the findings' index), then those items. One query joining the items
    to the findings (EXISTS) was left to the planner's statistics, and on a submission's freshly
    written rows it chose to scan the findings once per item, with the service's event loop
    waiting."""
    f = submission_findings.c
    ids = list(
        connection.execute(
            select(f.intervention_id)
            .where(*_findings_of(rid, version, check))
            .group_by(f.intervention_id)
            .order_by(f.intervention_id)
            .offset(offset)
            .limit(limit)
        ).scalars()
    )
    if not ids:
        return []
    chosen = [*_of_submission(rid, version), submission_items.c.intervention_id.in_(ids)]
    return _items(connection, chosen, rid, version, 0, len(ids))


def _items(
    connection: Connection, chosen: list[ColumnElement[bool]], rid: str, version: int, offset: int, limit: int
) -> list[dict[str, Any]]:
    s, v = submission_items.c, intervention_versions.c
    query = (
        select(
            s.intervention_id,
            s.version,
            *(c for c in intervention_versions.c if c.name not in ("intervention_id", "version")),
        )
        .select_from(
            submission_items.outerjoin(
                intervention_versions, and_(v.intervention_id == s.intervention_id, v.version == s.version)
            )
        )
        .where(*chosen)
        .order_by(s.intervention_id)
        .offset(offset)
        .limit(limit)
    )
    items = [dict(r._mapping) | {"flags": [], "rejection_reason": None} for r in connection.execute(query)]
    by_id = {item["intervention_id"]: item for item in items}
    if not by_id:
        return items
    f = submission_findings.c
    flags = connection.execute(
        select(f.intervention_id, f.check, f.severity, f.code, f.fr, f.en, f.details)
        .where(f.report_id == rid, f.submission_version == version, f.intervention_id.in_(list(by_id)))
        .order_by(f.seq)
    )
    for flag in flags:
        by_id[flag.intervention_id]["flags"].append(dict(flag._mapping))
    r, i = rejections.c, rejection_items.c
    reasons = connection.execute(
        select(i.intervention_id, i.reason)
        .select_from(
            rejection_items.join(
                rejections, and_(r.report_id == i.report_id, r.rejection_number == i.rejection_number)
            )
        )
        .where(i.report_id == rid, r.submission_version == version, i.intervention_id.in_(list(by_id)))
    )
    for reason in reasons:
        by_id[reason.intervention_id]["rejection_reason"] = reason.reason
    return items
