"""Targets and performance: what organizations did (the current interventions and plans
reporting keeps from interventions' events, counted by person as merges leave them) against what
their agreements set.

Per organization and quarter: the quarter's counts against the quarter's targets, and the year
to date (April 1 through the quarter's end) against the year's targets — the share of the annual
target reached so far. Unique persons are counted once per period, however many interventions.
One organization's year is a few grouped queries on an index led by (organization, fiscal year):
its cost follows that organization's year. Program-wide figures read the counting tables
(:mod:`reporting.performance.program_counts`)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict
from datetime import date
from typing import Any

from sqlalchemy import Connection, Select, and_, func, select

from gsi_kernel.auth import ORG_ROLES, Principal, Role
from gsi_kernel.errors import Forbidden, InvalidInput
from gsi_kernel.http.policy import Scope, organizations_in_scope
from gsi_kernel.store.database import Database
from reporting.agreements.terms import fiscal_year_bounds
from reporting.organizations.app import is_assigned
from reporting.performance import program_counts
from reporting.performance.program_counts import QUARTERS, Key
from reporting.performance.progress import progress, targets_by_key
from reporting.registry_projection import agreement_targets, agreements
from reporting.tables import known_action_plans, quarter_interventions


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


class Performance:
    def __init__(self, db: Database) -> None:
        self._db = db

    def organization(
        self, organization_id: str, fiscal_year: str, principal: Principal, *, program: str
    ) -> dict[str, Any]:
        """One organization's year, quarter by quarter and to date, against its targets."""
        self._may_see(organization_id, principal)
        parse_fiscal_year(fiscal_year)
        t = agreement_targets.c
        with self._db.transaction() as connection:
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

    def indicators(self, fiscal_year: str, *, program: str, principal: Principal) -> dict[str, Any]:
        """Program-wide figures of the year, and each organization's year against its targets
        (a reviewer: the organizations assigned to them)."""
        parse_fiscal_year(fiscal_year)
        with self._db.transaction() as connection:
            counts = program_counts.read_counts(connection, fiscal_year)
            targets = program_counts.read_targets(connection, fiscal_year, program)
        visible = organizations_in_scope(principal, Scope.ASSIGNED_ORGANIZATIONS)
        return program_counts.indicators(fiscal_year, program, counts, targets, visible)

    def indicators_csv(self, fiscal_year: str, *, program: str, principal: Principal) -> str:
        """The year in long form for the data warehouse (:func:`program_counts.indicators_csv`)."""
        parse_fiscal_year(fiscal_year)
        with self._db.transaction() as connection:
            counts = program_counts.read_counts(connection, fiscal_year)
            targets = program_counts.read_targets(connection, fiscal_year, program)
            visible = organizations_in_scope(principal, Scope.ASSIGNED_ORGANIZATIONS)
            return program_counts.indicators_csv(connection, fiscal_year, counts, targets, visible)

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
            or is_assigned(self._db, principal.user_id, organization_id)
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
    i, p = quarter_interventions.c, known_action_plans.c
    mine = and_(i.organization_id == organization_id, i.fiscal_year == fiscal_year, i.status == "active")
    person = i.counted_person_id
    persons = _grouped(connection, select(i.quarter_number, func.count(person.distinct())).where(mine))
    first = select(func.min(i.quarter_number).label("q")).where(mine).group_by(person).subquery()
    newcomers = _grouped(connection, select(first.c.q, func.count()))
    codes = _grouped(connection, select(i.quarter_number, i.code, func.count()).where(mine))
    plans = select(p.quarter_number, func.count()).where(
        p.organization_id == organization_id, p.fiscal_year == fiscal_year
    )
    return persons, newcomers, codes, _grouped(connection, plans)


def _grouped(connection: Connection, query: Select[Any]) -> dict[Key, int]:
    """``{group columns: count}`` of a query whose last column is the count, grouped by the others."""
    groups = list(query.selected_columns)[:-1]
    return {tuple(r[:-1]): int(r[-1]) for r in connection.execute(query.group_by(*groups)).all()}


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
