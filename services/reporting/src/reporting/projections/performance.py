"""The ``reporting.performance`` consumer of interventions' published events: the current state of
each intervention and plan (``perf_interventions``, ``perf_action_plans``) and, in the same
transaction, the counting tables (:mod:`.counts`); and :func:`rebuild`, the counting tables
computed afresh from those states — what the one-event-at-a-time changes must add up to.

A version older than the one known changes nothing, so a late or redelivered event never rolls
an intervention back nor counts it twice. An event about a merged person counts under the
surviving one (:func:`.counts.persons_merged` moves what came before the merge).
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

from gsi_contracts import interventions as contract
from gsi_kernel.envelope import EventEnvelope
from gsi_kernel.store.backend import backend_of
from gsi_readmodels.persons import PersonDirectory
from reporting.domain import counting
from reporting.domain.counting import PROGRAM, YEAR, Measure, Served, fiscal_year_of, quarter_number_of
from reporting.projections import counts
from reporting.projections.performance_tables import (
    perf_action_plans,
    perf_counts,
    perf_first_services,
    perf_interventions,
    perf_presence,
)
from reporting.projections.tables import PERSONS, known_person_statuses, known_persons

CONSUMER = "reporting.performance"
_DIRECTORY = PersonDirectory(PERSONS)


def on_intervention(connection: Connection, envelope: EventEnvelope) -> None:
    """Declared or corrected: the intervention's full state at ``version``."""
    event = (
        contract.InterventionDeclared.model_validate(envelope.payload)
        if envelope.type == contract.InterventionDeclared.event_type
        else contract.InterventionCorrected.model_validate(envelope.payload)
    )
    person_id = _person(connection, event.person_id)
    after = Served(person_id, event.organization_id, event.code, event.service_date)
    values = {
        "organization_id": event.organization_id,
        "person_id": person_id,
        "code": event.code,
        "service_date": event.service_date,
        "fiscal_year": after.fiscal_year,
        "quarter_number": after.quarter_number,
        "status": "active",
        "version": event.version,
    }
    newer, known = _record(connection, event.intervention_id, values)
    if newer:
        counts.apply_change(connection, counting.change(_served(known), after))


def _record(connection: Connection, intervention_id: str, values: dict[str, Any]) -> tuple[bool, Any]:
    """Write the intervention's state unless a version as recent is known: (written, the row it
    replaced or None). A declaration (most events) is tried as new, one statement; a correction,
    or a declaration seen before, reads the known version first."""
    i = perf_interventions.c
    known = None if values["version"] == 1 else _known(connection, intervention_id)
    if known is None:
        insert = (
            backend_of(connection)
            .insert(perf_interventions)
            .values(intervention_id=intervention_id, **values)
        )
        if connection.execute(insert.on_conflict_do_nothing().returning(i.intervention_id)).first():
            return True, None
        known = _known(connection, intervention_id)
    if known.version >= values["version"]:
        return False, known
    connection.execute(
        update(perf_interventions).where(i.intervention_id == intervention_id).values(**values)
    )
    return True, known


def on_intervention_cancelled(connection: Connection, envelope: EventEnvelope) -> None:
    event = contract.InterventionCancelled.model_validate(envelope.payload)
    known = _known(connection, event.intervention_id)
    if known is None or known.version >= event.version:
        return
    connection.execute(
        update(perf_interventions)
        .where(perf_interventions.c.intervention_id == event.intervention_id)
        .values(status="cancelled", version=event.version)
    )
    counts.apply_change(connection, counting.change(_served(known), None))


def on_action_plan_opened(connection: Connection, envelope: EventEnvelope) -> None:
    event = contract.ActionPlanOpened.model_validate(envelope.payload)
    p = perf_action_plans.c
    if connection.execute(select(p.plan_id).where(p.plan_id == event.plan_id)).first() is not None:
        return
    person_id = _person(connection, event.person_id)
    connection.execute(
        insert(perf_action_plans).values(
            plan_id=event.plan_id,
            organization_id=event.organization_id,
            person_id=person_id,
            opened_on=event.opened_on,
            fiscal_year=fiscal_year_of(event.opened_on),
            quarter_number=quarter_number_of(event.opened_on),
        )
    )
    counts.plan_opened(connection, person_id, event.organization_id, event.opened_on)


def _person(connection: Connection, person_id: str) -> str:
    """Whom an event's person counts as: the surviving person when the file was merged. The
    event's person is locked first, as a merge locks the merged file first: a merge committing
    meanwhile is then either seen here or waits until this event is counted (and moves it)."""
    counts.lock_persons(connection, [person_id])
    return _DIRECTORY.survivor_of(connection, person_id)


def _known(connection: Connection, intervention_id: str) -> Any:
    """The intervention's row (version, status and what it counts in), or None."""
    i = perf_interventions.c
    query = select(i.version, i.status, i.person_id, i.organization_id, i.code, i.service_date)
    return connection.execute(query.where(i.intervention_id == intervention_id)).first()


def _served(row: Any) -> Served | None:
    if row is None or row.status != "active":
        return None
    return Served(row.person_id, row.organization_id, row.code, row.service_date)


HANDLERS = {
    contract.InterventionDeclared.event_type: on_intervention,
    contract.InterventionCorrected.event_type: on_intervention,
    contract.InterventionCancelled.event_type: on_intervention_cancelled,
    contract.ActionPlanOpened.event_type: on_action_plan_opened,
}


# ---- from scratch ----------------------------------------------------------------------------


def rebuild(connection: Connection) -> None:
    """Empty the counting tables and fill them from the interventions, plans and persons known:
    a few grouped statements (seconds for a few years of a program-sized history)."""
    for table in (perf_presence, perf_counts, perf_first_services):
        connection.execute(delete(table))
    _rebuild_presence(connection)
    _rebuild_counts(connection)
    i, s = perf_interventions.c, known_person_statuses.c
    arrival = select(func.min(s.admission_date)).where(s.person_id == i.person_id).scalar_subquery()
    # the fiscal year grows with the date: the first day's year is the smallest year
    first = select(i.person_id, func.min(i.service_date), func.min(i.fiscal_year), arrival)
    connection.execute(
        insert(perf_first_services).from_select(
            ["person_id", "first_on", "fiscal_year", "arrived_on"],
            first.where(i.status == "active").group_by(i.person_id),
        )
    )


def _rebuild_presence(connection: Connection) -> None:
    i = perf_interventions.c
    for quarter, organization in (
        (i.quarter_number, i.organization_id),
        (_YEAR, i.organization_id),
        (i.quarter_number, _PROGRAM),
        (_YEAR, _PROGRAM),
    ):
        columns = (i.person_id, i.fiscal_year, quarter, organization)
        query = select(*columns, func.count(), false(), _BLANK).where(i.status == "active")
        query = query.group_by(*_columns(columns))
        connection.execute(insert(perf_presence).from_select(list(perf_presence.c.keys()), query))
    t, p, k = perf_presence.c, perf_action_plans.c, known_persons.c
    region = select(k.region).where(k.person_id == t.person_id).scalar_subquery()
    connection.execute(
        update(perf_presence)
        .where(t.quarter_number == YEAR, t.organization_id == PROGRAM)
        .values(
            has_plan=exists().where(p.person_id == t.person_id, p.fiscal_year <= t.fiscal_year),
            region=func.coalesce(region, ""),
        )
    )


def _rebuild_counts(connection: Connection) -> None:
    t, i, p = perf_presence.c, perf_interventions.c, perf_action_plans.c
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
