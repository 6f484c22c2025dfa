"""Reporting's reviewer assignments, as its published events describe them, for the services
that authorize reviewers from them (ADR 23): registration, interventions and notifications (who
also writes to the reviewers).

    reviewers = reviewer_assignments_table(metadata)        # in the service's tables module
    ConsumerSpec("svc.reviewers", [TOPIC], ReviewerFollower(reviewers).handlers)
    ServiceWiring(..., reviewer_assignments=reviewers)      # the kernel reads it per request

Reporting authorizes from its own registry table, of the same two columns.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Column, Connection, MetaData, String, Table, delete

from gsi_contracts import reporting as contract
from gsi_kernel.envelope import EventEnvelope
from gsi_kernel.store.backend import backend_of

Handler = Callable[[Connection, EventEnvelope], None]


def reviewer_assignments_table(metadata: MetaData) -> Table:
    """The table, on the consuming service's metadata (version 1 of its schema). A few rows per
    reviewer, a few reviewers: the primary key is index enough, and it is the very table
    notifications kept before this module, which it now shares unchanged."""
    return Table(
        "reviewer_assignments",
        metadata,
        Column("organization_id", String(100), primary_key=True),
        Column("reviewer_id", String(200), primary_key=True),
    )


def create_reviewer_assignments_v1(connection: Connection) -> None:
    """For a service's migration: create version 1 of the table (frozen)."""
    metadata = MetaData()
    reviewer_assignments_table(metadata).create(connection)


def drop_reviewer_assignments(connection: Connection) -> None:
    metadata = MetaData()
    reviewer_assignments_table(metadata).drop(connection)


class ReviewerFollower:
    """The consumer handlers that keep the table, by published event type. Both are idempotent:
    an event delivered twice leaves the table as once."""

    def __init__(self, table: Table) -> None:
        self._table = table
        self.handlers: dict[str, Handler] = {
            contract.ReviewerAssigned.event_type: self.on_assigned,
            contract.ReviewerUnassigned.event_type: self.on_unassigned,
        }

    def on_assigned(self, connection: Connection, event: EventEnvelope) -> None:
        assigned = contract.ReviewerAssigned.model_validate(event.payload)
        row = {"organization_id": assigned.organization_id, "reviewer_id": assigned.reviewer_id}
        statement = backend_of(connection).insert(self._table).values(row)
        connection.execute(statement.on_conflict_do_nothing(index_elements=list(row)))

    def on_unassigned(self, connection: Connection, event: EventEnvelope) -> None:
        removed = contract.ReviewerUnassigned.model_validate(event.payload)
        t = self._table.c
        connection.execute(
            delete(self._table).where(
                t.organization_id == removed.organization_id, t.reviewer_id == removed.reviewer_id
            )
        )
