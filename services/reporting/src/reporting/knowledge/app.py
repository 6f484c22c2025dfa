"""What reporting knows when it checks a quarter: the persons served (from registration's
events), their action plans, the rule sets and catalogue versions in force (shipped defaults plus
what registration and interventions published), the organization's agreement volets (from the
registry) and its locked quarters (its own reports).

The rule and catalogue books are cached per Montréal day (``gsi_readmodels.cache``); persons
come from the tables ``gsi_readmodels.persons`` keeps, read here a quarter at a time.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Connection, Row, Select, select

from gsi_conformity import CatalogueBook, PersonRecord
from gsi_eligibility import PersonFacts, RuleBook, StatusPeriod
from gsi_kernel.fiscal import FiscalQuarter
from gsi_readmodels.cache import DailyCache
from gsi_readmodels.catalogues import catalogue_book
from gsi_readmodels.persons import PersonDirectory
from reporting.registry_projection import agreements
from reporting.tables import (
    PERSONS,
    catalogue_versions,
    known_action_plans,
    known_person_statuses,
    known_persons,
    quarter_interventions,
    reports,
)

_MERGE_HOPS = 5  # a merged person's id leads to the surviving one; chains are short
_CHUNK = 500
_PERSON = select(known_persons.c.person_id, known_persons.c.merged_into)
_PERSON = select(
    known_persons.c.person_id,
    known_persons.c.birth_date,
    known_persons.c.region,
    known_persons.c.registered_on,
    known_persons.c.merged_into,
)


@dataclass(frozen=True, slots=True)
class QuarterPersons:
    """The persons an organization served in a quarter, by surviving id; ``alias`` maps the id
    of a merged person to the surviving one (absent: the id is its own)."""

    records: dict[str, PersonRecord]
    alias: dict[str, str]


def served_in(organization_id: str, quarter: FiscalQuarter) -> Select[Any]:
    """The ids of the persons with an active intervention of the organization in the quarter."""
    q = quarter_interventions.c
    return (
        select(q.person_id)
        .where(q.organization_id == organization_id, q.quarter == str(quarter), q.status == "active")
        .distinct()
    )


class Knowledge:
    def __init__(self, *, program: str) -> None:
        self.program = program
        self._cache = DailyCache()
        self._directory = PersonDirectory(PERSONS)

    # ---- persons --------------------------------------------------------------------------

    def quarter_persons(
        self, connection: Connection, organization_id: str, quarter: FiscalQuarter
    ) -> QuarterPersons:
        """One query for the persons served and their status histories, one for the
        organization's action plans (a few more only for merged persons)."""
        people, histories = _people(
            connection, known_persons.c.person_id.in_(served_in(organization_id, quarter))
        )
        alias = _merges(connection, people)
        extra = sorted(set(alias.values()) - set(people))
        for chunk in _chunks(extra):
            more, more_histories = _people(connection, known_persons.c.person_id.in_(chunk))
            people.update(more)
            histories.update(more_histories)
        plans = _plans(connection, organization_id, alias)
        records = {
            pid: PersonRecord(
                person_id=pid,
                facts=PersonFacts(
                    birth_date=row.birth_date, statuses=tuple(histories.get(pid, ())), region=row.region
                ),
                registered_on=row.registered_on,
                action_plans=tuple(sorted(plans[pid], key=_opened)) if pid in plans else (),
            )
            for pid, row in people.items()
            if row.merged_into is None
        }
        return QuarterPersons(records, alias)

    # ---- books ----------------------------------------------------------------------------

    def rule_book(self, connection: Connection, today: date) -> RuleBook:
        return self._cache.get("rules", today, lambda: self._directory.rule_book(connection))

    def catalogue_book(self, connection: Connection, today: date) -> CatalogueBook:
        return self._cache.get("catalogue", today, lambda: catalogue_book(connection, catalogue_versions))

    # ---- agreements and locks -------------------------------------------------------------

    def agreement_volets(
        self, connection: Connection, organization_id: str, quarter: FiscalQuarter
    ) -> frozenset[str] | None:
        """The volets of the organization's agreements in force during the quarter; None (no
        restriction) while the registry has no agreement of the program for the organization."""
        a = agreements.c
        rows = connection.execute(
            select(a.volets, a.starts_on, a.ends_on).where(
                a.organization_id == organization_id, a.program == self.program
            )
        ).all()
        if not rows:
            return None
        return frozenset(
            v
            for r in rows
            if r.starts_on <= quarter.last_day and quarter.first_day <= r.ends_on
            for v in r.volets
        )

    def locked_quarters(self, connection: Connection, organization_id: str) -> frozenset[str]:
        """The organization's quarters whose report is locked (check C7's warning)."""
        query = select(reports.c.quarter).where(
            reports.c.organization_id == organization_id, reports.c.state == "locked"
        )
        return frozenset(connection.execute(query).scalars())


def _chunks(values: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


def _merges(connection: Connection, rows: dict[str, Row[Any]]) -> dict[str, str]:
    """Each merged person's surviving id (following chains of merges, a few hops at most)."""
    alias: dict[str, str] = {}
    for pid, row in rows.items():
        into, hops = row.merged_into, 0
        while into is not None and hops < _MERGE_HOPS:
            alias[pid], hops = into, hops + 1
            found = (
                rows.get(into) or connection.execute(_PERSON.where(known_persons.c.person_id == into)).first()
            )
            into = None if found is None else found.merged_into
    return alias


def _people(
    connection: Connection, condition: ColumnElement[bool]
) -> tuple[dict[str, Any], dict[str, list[StatusPeriod]]]:
    """The persons matching ``condition`` and their status histories, oldest period first."""
    p, s = known_persons.c, known_person_statuses.c
    query = (
        select(
            p.person_id,
            p.birth_date,
            p.region,
            p.registered_on,
            p.merged_into,
            s.status,
            s.effective_from,
            s.admission_date,
            s.expires_on,
        )
        .select_from(known_persons.outerjoin(known_person_statuses, s.person_id == p.person_id))
        .where(condition)
        .order_by(p.person_id, s.seq)
    )
    people: dict[str, Any] = {}
    histories: dict[str, list[StatusPeriod]] = {}
    for row in connection.execute(query).all():
        pid, status = row[0], row[5]
        if pid not in people:
            people[pid] = row
        if status is not None:
            histories.setdefault(pid, []).append(StatusPeriod(status, row[6], row[7], row[8]))
    return people, histories


def _plans(
    connection: Connection, organization_id: str, alias: dict[str, str]
) -> dict[str, list[tuple[date, date | None]]]:
    """Every action plan period of the organization, by surviving person id (the checks look
    at the declaring organization's plans only)."""
    p = known_action_plans.c
    periods: dict[str, list[tuple[date, date | None]]] = {}
    rows = connection.execute(
        select(p.person_id, p.opened_on, p.closed_on).where(p.organization_id == organization_id)
    ).all()
    for pid, opened_on, closed_on in rows:
        periods.setdefault(alias.get(pid, pid), []).append((opened_on, closed_on))
    return periods


def _opened(period: tuple[date, date | None]) -> date:
    return period[0]
