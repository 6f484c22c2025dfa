"""The counting tables computed afresh (:func:`rebuild`) from the current state of each
intervention and plan (``quarter_interventions``, ``known_action_plans``) and the persons known:
what the one-event-at-a-time changes of the ``reporting.interventions`` consumer
(:mod:`reporting.knowledge.interventions`, :mod:`reporting.counting.projection`) must add up to.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    ColumnClause,
    Connection,
    Select,
    delete,
    exists,
    false,
    func,
    insert,
    literal_column,
    select,
    update,
)

from reporting.counting.domain import PROGRAM, YEAR, Measure
from reporting.performance_tables import perf_counts, perf_first_services, perf_presence
from reporting.tables import (
    known_action_plans,
    known_person_statuses,
    known_persons,
    quarter_interventions,
)


def rebuild(connection: Connection) -> None:
    """Empty the counting tables and fill them from the interventions, plans and persons known:
    a few grouped statements (seconds for a few years of a program-sized history)."""
    for table in (perf_presence, perf_counts, perf_first_services):
        connection.execute(delete(table))
    _rebuild_presence(connection)
    _rebuild_counts(connection)
    i, s = quarter_interventions.c, known_person_statuses.c
    person = i.counted_person_id
    arrival = select(func.min(s.admission_date)).where(s.person_id == person).scalar_subquery()
    # the fiscal year grows with the date: the first day's year is the smallest year
    first = select(person, func.min(i.service_date), func.min(i.fiscal_year), arrival)
    connection.execute(
        insert(perf_first_services).from_select(
            ["person_id", "first_on", "fiscal_year", "arrived_on"],
            first.where(i.status == "active").group_by(person),
        )
    )


def _rebuild_presence(connection: Connection) -> None:
    i = quarter_interventions.c
    for quarter, organization in (
        (i.quarter_number, i.organization_id),
        (_YEAR, i.organization_id),
        (i.quarter_number, _PROGRAM),
        (_YEAR, _PROGRAM),
    ):
        columns = (i.counted_person_id, i.fiscal_year, quarter, organization)
        query = select(*columns, func.count(), false(), _BLANK).where(i.status == "active")
        query = query.group_by(*_columns(columns))
        connection.execute(insert(perf_presence).from_select(list(perf_presence.c.keys()), query))
    t, p, k = perf_presence.c, known_action_plans.c, known_persons.c
    region = select(k.region).where(k.person_id == t.person_id).scalar_subquery()
    connection.execute(
        update(perf_presence)
        .where(t.quarter_number == YEAR, t.organization_id == PROGRAM)
        .values(
            has_plan=exists().where(p.counted_person_id == t.person_id, p.fiscal_year <= t.fiscal_year),
            region=func.coalesce(region, ""),
        )
    )


def _rebuild_counts(connection: Connection) -> None:
    t, i, p = perf_presence.c, quarter_interventions.c, known_action_plans.c
    year_rows = (t.quarter_number == YEAR, t.organization_id == PROGRAM)
    active = i.status == "active"
    queries = [
        _counted((t.fiscal_year, t.quarter_number, t.organization_id), Measure.PERSONS),
        _counted((t.fiscal_year, _YEAR, _PROGRAM), Measure.PERSONS_WITH_PLAN, _BLANK, *year_rows, t.has_plan),
        _counted((t.fiscal_year, _YEAR, _PROGRAM), Measure.PERSONS_BY_REGION, t.region, *year_rows),
        _counted((i.fiscal_year, i.quarter_number, i.organization_id), Measure.INTERVENTIONS, i.code, active),
        _counted((p.fiscal_year, p.quarter_number, p.organization_id), Measure.ACTION_PLANS),
    ]
    for query in queries:
        connection.execute(insert(perf_counts).from_select(list(perf_counts.c.keys()), query))


_YEAR: ColumnClause[Any] = literal_column(str(YEAR))
_PROGRAM: ColumnClause[Any] = literal_column(f"'{PROGRAM}'")
_BLANK: ColumnClause[Any] = literal_column("''")


def _counted(cell: tuple[Any, Any, Any], measure: Measure, code: Any = _BLANK, *where: Any) -> Select[Any]:
    """``(fiscal year, quarter, organization, measure, code, count)`` grouped by the columns."""
    measure_name: ColumnClause[Any] = literal_column(f"'{measure.value}'")
    keys = (*cell, code)
    query = select(*cell, measure_name, code, func.count()).where(*where)
    return query.group_by(*_columns(keys))


def _columns(items: tuple[Any, ...]) -> list[Any]:
    """The table columns among ``items`` (the constants are not grouped by)."""
    return [c for c in items if not any(c is constant for constant in (_YEAR, _PROGRAM, _BLANK))]
