"""The 12-month regional retention of a fiscal year's cohort (what it counts:
:mod:`reporting.retention.domain`), from the follow-ups and checkpoints interventions published."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from sqlalchemy import Connection, and_, select

from reporting.counting.domain import RETENTION_MONTHS
from reporting.performance_tables import regionalization_checkpoints, regionalization_follow_ups
from reporting.retention.domain import Retention, retention


def regional_retention(connection: Connection, fiscal_year: str) -> dict[str, Any]:
    """Program-wide and per destination region; one indexed read of the year's cohort (the
    follow-ups whose 12-month checkpoint fell due in the year)."""
    f, c = regionalization_follow_ups.c, regionalization_checkpoints.c
    query = (
        select(f.destination_region, f.person_id, c.outcome)
        .select_from(
            regionalization_follow_ups.join(
                regionalization_checkpoints,
                and_(c.follow_up_id == f.follow_up_id, c.months == RETENTION_MONTHS),
            )
        )
        .where(f.retention_fiscal_year == fiscal_year)
    )
    program, regions = retention((r[0], r[1], r[2]) for r in connection.execute(query))
    return {"months": RETENTION_MONTHS, "program": _view(program), "regions": [_view(r) for r in regions]}


def _view(figure: Retention) -> dict[str, Any]:
    return {**asdict(figure), "retention_pct": figure.retention_pct}
