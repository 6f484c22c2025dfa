"""The ``reporting.interventions`` consumer of interventions' published events, the one path that
keeps what reporting knows of interventions (ADR 31): the current version of each
(``quarter_interventions``; cancelled ones marked, out of every count), every version's fields
(``intervention_versions``, what a snapshot names), each action plan (``known_action_plans``:
its period for check C5, its opening for the counts), the catalogue versions (what verify checks
against) and, in the same transaction, the counting tables (:mod:`reporting.counting.projection`).

Applied by the idempotent consumer runner. A version older than the one already known changes
nothing, so a redelivered or late event never rolls an intervention back nor counts it twice. An
event about a merged person counts under the surviving one
(:func:`reporting.counting.projection.persons_merged` moves what came before the merge); the
declared person stays what the checks read.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, insert, select, update

from gsi_contracts import interventions as contract
from gsi_kernel.envelope import EventEnvelope
from gsi_kernel.fiscal import FiscalQuarter
from gsi_kernel.runtime import ConsumerSpec
from gsi_kernel.store.backend import backend_of
from gsi_readmodels.persons import PersonDirectory
from reporting.counting import domain as counting
from reporting.counting import projection as counts
from reporting.counting.domain import Served, fiscal_year_of, quarter_number_of
from reporting.tables import (
    PERSONS,
    catalogue_versions,
    intervention_versions,
    known_action_plans,
    quarter_interventions,
)

_DIRECTORY = PersonDirectory(PERSONS)
_FIELDS = (
    "organization_id",
    "person_id",
    "code",
    "service_date",
    "volet",
    "mode",
    "duration_minutes",
    "staff_member",
    "target_organization",
    "referral_reason",
    "session_id",
)


def _fields(event: contract.InterventionDeclared | contract.InterventionCorrected) -> dict[str, Any]:
    values = {name: getattr(event, name) for name in _FIELDS}
    return {**values, "quarter": str(FiscalQuarter.of(event.service_date))}


def on_intervention(connection: Connection, envelope: EventEnvelope) -> None:
    """A declaration or a correction: the intervention's whole state at ``version``, and what
    it moves in the counts when it is newer than the state known."""
    model = (
        contract.InterventionCorrected
        if envelope.type == contract.InterventionCorrected.event_type
        else contract.InterventionDeclared
    )
    event = model.model_validate(envelope.payload)
    counted = _person(connection, event.person_id)
    fields = _fields(event)
    versioned = {"intervention_id": event.intervention_id, "version": event.version, **fields}
    connection.execute(
        backend_of(connection).insert(intervention_versions).values(versioned).on_conflict_do_nothing()
    )
    after = Served(counted, event.organization_id, event.code, event.service_date)
    state = {
        **versioned,
        "status": "active",
        "counted_person_id": counted,
        "fiscal_year": after.fiscal_year,
        "quarter_number": after.quarter_number,
    }
    newer, known = _record(connection, state)
    if newer:
        counts.apply_change(connection, counting.change(_served(known), after))


def _record(connection: Connection, state: dict[str, Any]) -> tuple[bool, Any]:
    """Write the intervention's state unless a version as recent is known: (written, the row it
    replaced or None). A declaration (most events) is tried as new, one statement; a correction,
    or a declaration seen before, reads the known version first."""
    i = quarter_interventions.c
    intervention_id = state["intervention_id"]
    known = None if state["version"] == 1 else _known(connection, intervention_id)
    if known is None:
        statement = backend_of(connection).insert(quarter_interventions).values(state)
        if connection.execute(statement.on_conflict_do_nothing().returning(i.intervention_id)).first():
            return True, None
        known = _known(connection, intervention_id)
    if known.version >= state["version"]:
        return False, known
    changed = {name: value for name, value in state.items() if name != "intervention_id"}
    connection.execute(update(quarter_interventions).where(i.intervention_id == intervention_id), changed)
    return True, known


def on_intervention_cancelled(connection: Connection, envelope: EventEnvelope) -> None:
    event = contract.InterventionCancelled.model_validate(envelope.payload)
    known = _known(connection, event.intervention_id)
    if known is None or known.version >= event.version:
        return
    connection.execute(
        update(quarter_interventions)
        .where(quarter_interventions.c.intervention_id == event.intervention_id)
        .values(status="cancelled", version=event.version)
    )
    counts.apply_change(connection, counting.change(_served(known), None))


def on_action_plan_opened(connection: Connection, envelope: EventEnvelope) -> None:
    """A plan known once: its period (check C5) and, counted once, its opening."""
    event = contract.ActionPlanOpened.model_validate(envelope.payload)
    p = known_action_plans.c
    if connection.execute(select(p.plan_id).where(p.plan_id == event.plan_id)).first() is not None:
        return
    counted = _person(connection, event.person_id)
    connection.execute(
        insert(known_action_plans).values(
            plan_id=event.plan_id,
            organization_id=event.organization_id,
            person_id=event.person_id,
            opened_on=event.opened_on,
            counted_person_id=counted,
            fiscal_year=fiscal_year_of(event.opened_on),
            quarter_number=quarter_number_of(event.opened_on),
        )
    )
    counts.plan_opened(connection, counted, event.organization_id, event.opened_on)


def on_action_plan_closed(connection: Connection, envelope: EventEnvelope) -> None:
    event = contract.ActionPlanClosed.model_validate(envelope.payload)
    connection.execute(
        update(known_action_plans)
        .where(known_action_plans.c.plan_id == event.plan_id)
        .values(closed_on=event.closed_on)
    )


def _person(connection: Connection, person_id: str) -> str:
    """Whom an event's person counts as: the surviving person when the file was merged. The
    event's person is locked first, as a merge locks the merged file first: a merge committing
    meanwhile is then either seen here or waits until this event is counted (and moves it)."""
    counts.lock_persons(connection, [person_id])
    return _DIRECTORY.survivor_of(connection, person_id)


def _known(connection: Connection, intervention_id: str) -> Any:
    """The intervention's row (version, status and what it counts in), or None."""
    i = quarter_interventions.c
    query = select(i.version, i.status, i.counted_person_id, i.organization_id, i.code, i.service_date)
    return connection.execute(query.where(i.intervention_id == intervention_id)).first()


def _served(row: Any) -> Served | None:
    if row is None or row.status != "active":
        return None
    return Served(row.counted_person_id, row.organization_id, row.code, row.service_date)


def on_catalogue_published(connection: Connection, envelope: EventEnvelope) -> None:
    event = contract.CataloguePublished.model_validate(envelope.payload)
    values = {
        "program": event.program,
        "version": event.version,
        "effective_from": event.effective_from,
        "document": event.document,
    }
    connection.execute(
        backend_of(connection).insert(catalogue_versions).values(values).on_conflict_do_nothing()
    )


# Events whose intervention was known before: it may have counted for another person.
_KNOWN_BEFORE = frozenset(
    {contract.InterventionCorrected.event_type, contract.InterventionCancelled.event_type}
)


def lock_batch(connection: Connection, envelopes: Sequence[EventEnvelope]) -> None:
    """The consumer's ``prepare`` (gsi_kernel.consumer): the persons a batch's events will lock,
    locked at once and in order — each event's person and, for an intervention known before,
    the person it counted for. Replicas applying batches that share persons then wait for one
    another, where locking them event by event, each batch in its own order, made deadlocks
    (PostgreSQL breaks one after a second; 25 in two minutes of the deadline-week bench on
    three replicas). A merged person's survivor is found, and locked, as its event is applied."""
    persons = {p for e in envelopes if isinstance(p := e.payload.get("person_id"), str)}
    known = [
        i
        for e in envelopes
        if e.type in _KNOWN_BEFORE and isinstance(i := e.payload.get("intervention_id"), str)
    ]
    if known:
        i = quarter_interventions.c
        counted = connection.execute(
            select(i.counted_person_id).where(i.intervention_id.in_(known))
        ).scalars()
        persons.update(p for p in counted if p is not None)
    counts.lock_persons(connection, persons)


def consumer() -> ConsumerSpec:
    """The ``reporting.interventions`` consumer of interventions' topic."""
    return ConsumerSpec(
        "reporting.interventions",
        [contract.TOPIC],
        {
            contract.InterventionDeclared.event_type: on_intervention,
            contract.InterventionCorrected.event_type: on_intervention,
            contract.InterventionCancelled.event_type: on_intervention_cancelled,
            contract.ActionPlanOpened.event_type: on_action_plan_opened,
            contract.ActionPlanClosed.event_type: on_action_plan_closed,
            contract.CataloguePublished.event_type: on_catalogue_published,
        },
        prepare=lock_batch,
    )
