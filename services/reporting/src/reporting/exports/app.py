"""The contents of accepted reports, for the ministry's data warehouse: every intervention of
every accepted (or locked) report of a fiscal year, at the version that was submitted."""

from __future__ import annotations

import csv
import io
from typing import Any

from sqlalchemy import and_, select

from gsi_kernel.auth import Principal
from gsi_kernel.errors import InvalidInput
from gsi_kernel.fiscal import FiscalQuarter
from gsi_kernel.store.database import Database
from gsi_kernel.store.queries import scoped_to_principal
from reporting.tables import intervention_versions, reports, submission_items

COLUMNS = (
    "organization_id",
    "quarter",
    "report_state",
    "submission_version",
    "report_sha256",
    "intervention_id",
    "intervention_version",
    "person_id",
    "code",
    "service_date",
    "volet",
    "mode",
    "duration_minutes",
    "target_organization",
    "session_id",
)


class AcceptedReportsExport:
    def __init__(self, db: Database) -> None:
        self._db = db

    def rows(self, fiscal_year: str, principal: Principal) -> list[dict[str, Any]]:
        """The rows of the export, oldest quarter first, within what the principal may read."""
        quarters = [str(q) for q in _quarters(fiscal_year)]
        r, i, v = reports.c, submission_items.c, intervention_versions.c
        query = (
            select(
                r.organization_id,
                r.quarter,
                r.state.label("report_state"),
                r.submission_version,
                r.sha256.label("report_sha256"),
                i.intervention_id,
                i.version.label("intervention_version"),
                v.person_id,
                v.code,
                v.service_date,
                v.volet,
                v.mode,
                v.duration_minutes,
                v.target_organization,
                v.session_id,
            )
            .select_from(
                reports.join(
                    submission_items,
                    and_(i.report_id == r.report_id, i.submission_version == r.submission_version),
                ).join(
                    intervention_versions,
                    and_(v.intervention_id == i.intervention_id, v.version == i.version),
                )
            )
            .where(r.quarter.in_(quarters), r.state.in_(("accepted", "locked")))
        )
        query = scoped_to_principal(query, r.organization_id, principal).order_by(
            r.quarter, r.organization_id, v.service_date, i.intervention_id
        )
        with self._db.transaction() as connection:
            return [dict(row._mapping) for row in connection.execute(query)]

    def csv(self, fiscal_year: str, principal: Principal) -> bytes:
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(self.rows(fiscal_year, principal))
        return buffer.getvalue().encode("utf-8")


def _quarters(fiscal_year: str) -> list[FiscalQuarter]:
    try:
        first = FiscalQuarter.parse(f"{fiscal_year}-Q1")
    except ValueError:
        raise InvalidInput(
            "export.bad_fiscal_year",
            f"Exercice invalide « {fiscal_year} » (attendu p. ex. 2026-2027).",
            f"Invalid fiscal year “{fiscal_year}” (expected e.g. 2026-2027).",
            details={"field": "fiscal_year"},
        ) from None
    return [FiscalQuarter(first.start_year, n) for n in range(1, 5)]
