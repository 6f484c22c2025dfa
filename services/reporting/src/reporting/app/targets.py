"""Targets and performance: what organizations did (from the ``perf_*`` projection of
interventions' events) against what their agreements set.

Per organization and quarter: the quarter's counts against the quarter's targets, and the year
to date (April 1 through the quarter's end) against the year's targets — the share of the annual
target reached so far. Unique persons are counted once per period, however many interventions.
Program-wide: persons served, interventions per code, the share of served persons with an action
plan opened by the end of the year, and the same per organization and quarter in the CSV export.
A constant number of grouped queries, each on an index led by (organization, fiscal year) or
fiscal year: the cost follows the year's rows, not the number of organizations."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Connection, Select, and_, exists, func, select

from gsi_kernel.auth import ORG_ROLES, Principal, Role
from gsi_kernel.errors import Forbidden, InvalidInput
from gsi_kernel.runtime import Kernel
from reporting.app.registry import is_assigned
from reporting.domain.agreement import fiscal_year_bounds, progress, targets_by_key
from reporting.projections.registry import (
    agreement_targets,
    agreements,
    perf_action_plans,
    perf_interventions,
)

QUARTERS = ("Q1", "Q2", "Q3", "Q4")
Key = tuple[Any, ...]


def parse_fiscal_year(text: str) -> tuple[date, date]:
    try:
        return fiscal_year_bounds(text)
    except ValueError:
        raise InvalidInput(
            "targets.invalid_fiscal_year",
            f"Exercice invalide « {text} » (p. ex. 2026-2027).",
            f"Invalid fiscal year “{text}” (e.g. 2026-2027).",
            details={"field": "fiscal_year"},
        ) from None


@dataclass
class Counts:
    """Grouped counts of one fiscal year: keys start with the quarter number (1-4), or 0 for
    the whole year; an organization's counts have the organization id first."""

    persons: dict[Key, int] = field(default_factory=dict)
    interventions: dict[Key, int] = field(default_factory=dict)  # ... + code
    plans: dict[Key, int] = field(default_factory=dict)


class Performance:
    def __init__(self, kernel: Kernel) -> None:
        self._kernel = kernel

    def organization(
        self, organization_id: str, fiscal_year: str, principal: Principal, *, program: str
    ) -> dict[str, Any]:
        """One organization's year, quarter by quarter and to date, against its targets."""
        self._may_see(organization_id, principal)
        parse_fiscal_year(fiscal_year)
        t = agreement_targets.c
        with self._kernel.db.transaction() as connection:
            counts = _organization_counts(connection, organization_id, fiscal_year)
            rows = connection.execute(
                select(t.period, t.measure, t.code, t.value).where(
                    t.organization_id == organization_id, t.program == program, t.fiscal_year == fiscal_year
                )
            ).all()
            agreement_ids = self._agreements(connection, organization_id, program, fiscal_year)
        targets = targets_by_key([dict(r._mapping) for r in rows])
        persons, newcomers, codes, plans = counts
        quarters = []
        for n, name in enumerate(QUARTERS, start=1):
            in_quarter = _period(
                persons.get((n,), 0),
                {c: v for (q, c), v in codes.items() if q == n},
                plans.get((n,), 0),
                targets,
                name,
            )
            to_date = _period(
                sum(v for (q,), v in newcomers.items() if q <= n),
                _sum_codes((c, v) for (q, c), v in codes.items() if q <= n),
                sum(v for (q,), v in plans.items() if q <= n),
                targets,
                "year",
            )
            quarters.append(
                {"quarter": f"{fiscal_year}-{name}", "in_quarter": in_quarter, "year_to_date": to_date}
            )
        return {
            "organization_id": organization_id,
            "program": program,
            "fiscal_year": fiscal_year,
            "agreement_ids": agreement_ids,
            "quarters": quarters,
        }

    def indicators(self, fiscal_year: str, *, program: str) -> dict[str, Any]:
        """Program-wide figures of the year, and each organization's year against its targets."""
        counts, targets, share = self._program(fiscal_year, program)
        per_code = {code: v for (org, q, code), v in counts.interventions.items() if q == 0 and org is None}
        organizations = sorted({k[0] for k in (*counts.persons, *targets) if k[0] is not None})
        return {
            "fiscal_year": fiscal_year,
            "program": program,
            "persons_served": share[0],
            "persons_with_action_plan": share[1],
            "action_plan_share_pct": progress(share[1], share[0]).pct,
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
            "organizations": [
                {
                    "organization_id": org,
                    "unique_persons": asdict(
                        progress(
                            counts.persons.get((org, 0), 0), targets.get((org, "year", "unique_persons", ""))
                        )
                    ),
                    "interventions_total": _total(counts.interventions, org, 0),
                    "action_plans": asdict(
                        progress(
                            counts.plans.get((org, 0), 0), targets.get((org, "year", "action_plans", ""))
                        )
                    ),
                }
                for org in organizations
            ],
        }

    def indicators_csv(self, fiscal_year: str, *, program: str) -> str:
        """The year in long form for the data warehouse: one row per (scope, organization,
        period, measure, code) with the actual count, the target and the percentage."""
        counts, targets, share = self._program(fiscal_year, program)
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(
            [
                "scope",
                "organization_id",
                "fiscal_year",
                "period",
                "measure",
                "code",
                "actual",
                "target",
                "pct",
            ]
        )
        # pct: here the share of the year's served persons who have an action plan
        share_pct = _blank(progress(share[1], share[0]).pct)
        writer.writerow(
            ["program", "", fiscal_year, "year", "persons_with_action_plan", "", share[1], "", share_pct]
        )
        for key, measure, code, actual in _csv_cells(counts, targets):
            org, period = key
            target = targets.get((org, period, measure, code)) if org is not None else None
            pct = progress(actual, target).pct
            scope = "program" if org is None else "organization"
            writer.writerow(
                [scope, org or "", fiscal_year, period, measure, code, actual, _blank(target), _blank(pct)]
            )
        return out.getvalue()

    def _program(self, fiscal_year: str, program: str) -> tuple[Counts, dict[Key, int], tuple[int, int]]:
        _first, last = parse_fiscal_year(fiscal_year)
        with self._kernel.db.transaction() as connection:
            share = _plan_share(connection, fiscal_year, last)
            counts = _program_counts(connection, fiscal_year, share[0])
            t = agreement_targets.c
            rows = connection.execute(
                select(t.organization_id, t.period, t.measure, t.code, func.sum(t.value))
                .where(t.fiscal_year == fiscal_year, t.program == program)
                .group_by(t.organization_id, t.period, t.measure, t.code)
            ).all()
        return counts, {(r[0], r[1], r[2], r[3]): int(r[4]) for r in rows}, share

    def _agreements(
        self, connection: Connection, organization_id: str, program: str, fiscal_year: str
    ) -> list[str]:
        first, last = fiscal_year_bounds(fiscal_year)
        a = agreements.c
        query = select(a.agreement_id).where(
            a.organization_id == organization_id,
            a.program == program,
            a.starts_on <= last,
            a.ends_on >= first,
        )
        return list(connection.execute(query.order_by(a.starts_on)).scalars())

    def _may_see(self, organization_id: str, principal: Principal) -> None:
        if Role.ADMIN in principal.roles:
            return
        if principal.organization == organization_id and principal.has_any(ORG_ROLES):
            return
        if Role.MINISTRY_REVIEWER in principal.roles and (
            organization_id in principal.assigned_organizations
            or is_assigned(self._kernel, principal.user_id, organization_id)
        ):
            return
        raise Forbidden(
            "targets.not_allowed",
            "Seuls l'organisme, ses conseillers assignés et l'administration voient ses cibles.",
            "Only the organization, its assigned reviewers and administrators see its targets.",
            details={"organization_id": organization_id},
        )


def _organization_counts(
    connection: Connection, organization_id: str, fiscal_year: str
) -> tuple[dict[Key, int], dict[Key, int], dict[Key, int], dict[Key, int]]:
    """Per quarter number: distinct persons, persons first served that quarter (their running sum
    is the year to date's distinct persons), interventions per code, and plans opened."""
    i, p = perf_interventions.c, perf_action_plans.c
    mine = and_(i.organization_id == organization_id, i.fiscal_year == fiscal_year, i.status == "active")
    persons = _grouped(connection, select(i.quarter_number, func.count(i.person_id.distinct())).where(mine))
    first = select(func.min(i.quarter_number).label("q")).where(mine).group_by(i.person_id).subquery()
    newcomers = _grouped(connection, select(first.c.q, func.count()))
    codes = _grouped(connection, select(i.quarter_number, i.code, func.count()).where(mine))
    plans = select(p.quarter_number, func.count()).where(
        p.organization_id == organization_id, p.fiscal_year == fiscal_year
    )
    return persons, newcomers, codes, _grouped(connection, plans)


def _plan_share(connection: Connection, fiscal_year: str, last_day: date) -> tuple[int, int]:
    """Persons served in the year, and how many of them had an action plan opened by its end
    (one probe of the plans' person index per distinct person, not per intervention)."""
    i, p = perf_interventions.c, perf_action_plans.c
    served = (
        select(i.person_id).where(i.fiscal_year == fiscal_year, i.status == "active").distinct().subquery()
    )
    planned = exists().where(p.person_id == served.c.person_id, p.opened_on <= last_day)
    query = select(func.count(), func.count().filter(planned)).select_from(served)
    persons, with_plan = connection.execute(query).one()
    return int(persons), int(with_plan)


def _program_counts(connection: Connection, fiscal_year: str, persons_served: int) -> Counts:
    """The year's counts program-wide and per organization, for the year and per quarter.
    Interventions and plans add up, so one query at the finest grain gives every total;
    distinct persons do not, so each grain of them is its own query."""
    i, p = perf_interventions.c, perf_action_plans.c
    year = and_(i.fiscal_year == fiscal_year, i.status == "active")
    counts = Counts(persons={(None, 0): persons_served})
    for scope, q in (
        ((), (i.quarter_number,)),
        ((i.organization_id,), ()),
        ((i.organization_id,), (i.quarter_number,)),
    ):
        persons = select(*scope, *q, func.count(i.person_id.distinct())).where(year)
        counts.persons.update(_keyed(connection, persons, scope, q))
    codes = select(i.organization_id, i.quarter_number, i.code, func.count()).where(year)
    for (org, q, code), value in _grouped(connection, codes).items():
        for key in ((org, q, code), (org, 0, code), (None, q, code), (None, 0, code)):
            counts.interventions[key] = counts.interventions.get(key, 0) + value
    plans = select(p.organization_id, p.quarter_number, func.count()).where(p.fiscal_year == fiscal_year)
    for (org, q), value in _grouped(connection, plans).items():
        for plan_key in ((org, q), (org, 0), (None, q), (None, 0)):
            counts.plans[plan_key] = counts.plans.get(plan_key, 0) + value
    return counts


def _grouped(connection: Connection, query: Select[Any]) -> dict[Key, int]:
    """``{group columns: count}`` of a query whose last column is the count, grouped by the others."""
    groups = list(query.selected_columns)[:-1]
    return {tuple(r[:-1]): int(r[-1]) for r in connection.execute(query.group_by(*groups)).all()}


def _keyed(
    connection: Connection, query: Select[Any], scope: tuple[Any, ...], quarter: tuple[Any, ...]
) -> dict[Key, int]:
    """Grouped counts keyed ``(organization or None, quarter number or 0, ...rest)``."""
    result: dict[Key, int] = {}
    for key, value in _grouped(connection, query).items():
        org = key[0] if scope else None
        rest = key[len(scope) :]
        q = rest[0] if quarter else 0
        result[(org, q, *rest[len(quarter) :])] = value
    return result


def _period(
    persons: int, codes: dict[str, int], plans: int, targets: dict[tuple[str, str, str], int], period: str
) -> dict[str, Any]:
    code_targets = {code: v for (p, m, code), v in targets.items() if p == period and m == "interventions"}
    total_target = sum(code_targets.values()) if code_targets else None
    return {
        "unique_persons": asdict(progress(persons, targets.get((period, "unique_persons", "")))),
        "action_plans": asdict(progress(plans, targets.get((period, "action_plans", "")))),
        "interventions_total": asdict(progress(sum(codes.values()), total_target)),
        "interventions": [
            {"code": code, **asdict(progress(codes.get(code, 0), code_targets.get(code)))}
            for code in sorted(codes.keys() | code_targets.keys())
        ],
    }


def _sum_codes(pairs: Iterable[tuple[str, int]]) -> dict[str, int]:
    totals: dict[str, int] = {}
    for code, value in pairs:
        totals[code] = totals.get(code, 0) + value
    return totals


def _total(interventions: dict[Key, int], org: str | None, quarter: int) -> int:
    return sum(v for (o, q, _code), v in interventions.items() if o == org and q == quarter)


def _csv_cells(
    counts: Counts, targets: dict[Key, int]
) -> Iterable[tuple[tuple[str | None, str], str, str, int]]:
    """Every (organization, period) cell with a count or a target, program-wide ones first."""
    periods = {0: "year", 1: "Q1", 2: "Q2", 3: "Q3", 4: "Q4"}
    cells: dict[tuple[tuple[str | None, str], str, str], int] = {}
    for (org, q), v in counts.persons.items():
        cells[((org, periods[q]), "unique_persons", "")] = v
    for (org, q, code), v in counts.interventions.items():
        cells[((org, periods[q]), "interventions", code)] = v
    for (org, q), v in counts.plans.items():
        cells[((org, periods[q]), "action_plans", "")] = v
    for org, period, measure, code in targets:
        cells.setdefault(((org, period), measure, code), 0)
    order = {name: n for n, name in periods.items()}
    for (key, measure, code), v in sorted(
        cells.items(), key=lambda c: (c[0][0][0] or "", order[c[0][0][1]], c[0][1], c[0][2])
    ):
        yield key, measure, code, v


def _blank(value: object) -> object:
    return "" if value is None else value
