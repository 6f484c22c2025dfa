"""The program-wide figures of a fiscal year, read from the counting tables (one indexed read of
a few thousand counters, whatever the number of interventions): persons served, the share with
an action plan, interventions per code, each quarter and each organization against its targets;
the same in long form for the data warehouse, with the 12-month regional retention."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import Connection, func, select

from reporting.counting.domain import PROGRAM, YEAR, Measure
from reporting.performance.progress import progress
from reporting.performance_tables import perf_counts
from reporting.registry_projection import agreement_targets
from reporting.retention.app import regional_retention

QUARTERS = ("Q1", "Q2", "Q3", "Q4")
PERIODS = {0: "year", 1: "Q1", 2: "Q2", 3: "Q3", 4: "Q4"}
Key = tuple[Any, ...]
COLUMNS = ("scope", "organization_id", "fiscal_year", "period", "measure", "code", "actual", "target", "pct")


@dataclass
class Counts:
    """Counts of one fiscal year, keyed ``(organization or None, quarter number or 0, ...)``."""

    persons: dict[Key, int] = field(default_factory=dict)
    interventions: dict[Key, int] = field(default_factory=dict)  # ... + code
    plans: dict[Key, int] = field(default_factory=dict)
    persons_with_plan: int = 0

    @property
    def persons_served(self) -> int:
        return self.persons.get((None, 0), 0)


def read_counts(connection: Connection, fiscal_year: str) -> Counts:
    """Interventions and plans are kept per organization and quarter: their other totals are
    sums. Distinct persons are kept for every cell (they do not add up)."""
    c = perf_counts.c
    rows = connection.execute(
        select(c.quarter_number, c.organization_id, c.measure, c.code, c.value).where(
            c.fiscal_year == fiscal_year
        )
    ).all()
    counts = Counts()
    for q, org, measure, code, value in rows:
        owner = None if org == PROGRAM else org
        if measure == Measure.PERSONS:
            counts.persons[(owner, q)] = value
        elif measure == Measure.INTERVENTIONS:
            for key in ((org, q), (org, YEAR), (None, q), (None, YEAR)):
                _add(counts.interventions, (*key, code), value)
        elif measure == Measure.ACTION_PLANS:
            for key in ((org, q), (org, YEAR), (None, q), (None, YEAR)):
                _add(counts.plans, key, value)
        elif measure == Measure.PERSONS_WITH_PLAN:
            counts.persons_with_plan = value
    return counts


def read_targets(connection: Connection, fiscal_year: str, program: str) -> dict[Key, int]:
    """``(organization, period, measure, code) -> target``, summed over the year's agreements."""
    t = agreement_targets.c
    rows = connection.execute(
        select(t.organization_id, t.period, t.measure, t.code, func.sum(t.value))
        .where(t.fiscal_year == fiscal_year, t.program == program)
        .group_by(t.organization_id, t.period, t.measure, t.code)
    ).all()
    return {(r[0], r[1], r[2], r[3]): int(r[4]) for r in rows}


def indicators(
    fiscal_year: str, program: str, counts: Counts, targets: dict[Key, int], visible: frozenset[str] | None
) -> dict[str, Any]:
    """The program's figures, and the year of each organization in ``visible`` (None: all)."""
    per_code = {code: v for (org, q, code), v in counts.interventions.items() if q == 0 and org is None}
    organizations = sorted(
        {
            k[0]
            for k in (*counts.persons, *targets)
            if k[0] is not None and (visible is None or k[0] in visible)
        }
    )
    served = counts.persons_served
    return {
        "fiscal_year": fiscal_year,
        "program": program,
        "persons_served": served,
        "persons_with_action_plan": counts.persons_with_plan,
        "action_plan_share_pct": progress(counts.persons_with_plan, served).pct,
        "interventions_total": sum(per_code.values()),
        "interventions_per_code": [{"code": c, "count": per_code[c]} for c in sorted(per_code)],
        "quarters": [
            {
                "quarter": f"{fiscal_year}-{name}",
                "persons_served": counts.persons.get((None, n), 0),
                "interventions_total": _total(counts.interventions, None, n),
                "action_plans_opened": counts.plans.get((None, n), 0),
            }
            for n, name in enumerate(QUARTERS, start=1)
        ],
        "organizations": [_organization_year(org, counts, targets) for org in organizations],
    }


def _organization_year(org: str, counts: Counts, targets: dict[Key, int]) -> dict[str, Any]:
    persons = progress(counts.persons.get((org, 0), 0), targets.get((org, "year", "unique_persons", "")))
    plans = progress(counts.plans.get((org, 0), 0), targets.get((org, "year", "action_plans", "")))
    return {
        "organization_id": org,
        "unique_persons": asdict(persons),
        "interventions_total": _total(counts.interventions, org, 0),
        "action_plans": asdict(plans),
    }


def indicators_csv(
    connection: Connection,
    fiscal_year: str,
    counts: Counts,
    targets: dict[Key, int],
    visible: frozenset[str] | None,
) -> str:
    """One row per (scope, organization, period, measure, code) with the actual count, the target
    and the percentage; ``code`` is the intervention code, or the region of a regional figure.
    Organization rows only for the organizations in ``visible`` (None: all)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    # pct: here the share of the year's served persons who have an action plan
    with_plan = counts.persons_with_plan
    share_pct = _blank(progress(with_plan, counts.persons_served).pct)
    share = ["program", "", fiscal_year, "year", "persons_with_action_plan", "", with_plan, "", share_pct]
    writer.writerow(share)
    for key, measure, code, actual in _csv_cells(counts, targets):
        org, period = key
        if org is not None and visible is not None and org not in visible:
            continue
        target = targets.get((org, period, measure, code)) if org is not None else None
        pct = progress(actual, target).pct
        scope = "program" if org is None else "organization"
        writer.writerow(
            [scope, org or "", fiscal_year, period, measure, code, actual, _blank(target), _blank(pct)]
        )
    writer.writerows(_retention_rows(connection, fiscal_year))
    return out.getvalue()


def _retention_rows(connection: Connection, fiscal_year: str) -> Iterable[list[object]]:
    """Per destination region, then program-wide: persons with a 12-month outcome recorded, and
    those who stayed (pct: the retention)."""
    figures = regional_retention(connection, fiscal_year)
    for figure in (*figures["regions"], figures["program"]):
        region = figure["region"] or ""
        scope = "region" if region else "program"
        yield [scope, "", fiscal_year, "year", "retention_12m_outcomes", region, figure["persons"], "", ""]
        pct = _blank(figure["retention_pct"])
        yield [scope, "", fiscal_year, "year", "retention_12m_stayed", region, figure["stayed"], "", pct]


def _add(totals: dict[Key, int], key: Key, value: int) -> None:
    totals[key] = totals.get(key, 0) + value


def _total(interventions: dict[Key, int], org: str | None, quarter: int) -> int:
    return sum(v for (o, q, _code), v in interventions.items() if o == org and q == quarter)


def _csv_cells(
    counts: Counts, targets: dict[Key, int]
) -> Iterable[tuple[tuple[str | None, str], str, str, int]]:
    """Every (organization, period) cell with a count or a target, program-wide ones first."""
    cells: dict[tuple[tuple[str | None, str], str, str], int] = {}
    for (org, q), v in counts.persons.items():
        cells[((org, PERIODS[q]), "unique_persons", "")] = v
    for (org, q, code), v in counts.interventions.items():
        cells[((org, PERIODS[q]), "interventions", code)] = v
    for (org, q), v in counts.plans.items():
        cells[((org, PERIODS[q]), "action_plans", "")] = v
    for org, period, measure, code in targets:
        cells.setdefault(((org, period), measure, code), 0)
    order = {name: n for n, name in PERIODS.items()}
    for (key, measure, code), v in sorted(
        cells.items(), key=lambda c: (c[0][0][0] or "", order[c[0][0][1]], c[0][1], c[0][2])
    ):
        yield key, measure, code, v


def _blank(value: object) -> object:
    return "" if value is None else value
