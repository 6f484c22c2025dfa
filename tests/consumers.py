"""Feeding a service the published events of another, without a bus: each event is applied by
the service's own consumer handler, with the same processed-row bookkeeping as the runner."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from gsi_kernel.consumer import Handler
from gsi_kernel.envelope import EventEnvelope
from gsi_kernel.events import DomainEvent
from gsi_kernel.runtime import Kernel
from gsi_kernel.store.tables import outbox
from gsi_kernel.store.tracking import already_processed, mark_processed


def published(
    event: DomainEvent, *, occurred_at: datetime, stream_id: str | None = None, actor: str = "test"
) -> EventEnvelope:
    """An envelope as another service's relay would publish ``event``."""
    return EventEnvelope(
        event_id=str(uuid.uuid4()),
        type=event.event_type,
        schema_version=event.schema_version,
        source="gsi/test",
        stream_id=stream_id or f"test-{uuid.uuid4()}",
        stream_version=1,
        occurred_at=occurred_at,
        recorded_at=occurred_at,
        actor=actor,
        organization=None,
        correlation_id=str(uuid.uuid4()),
        causation_id=None,
        traceparent=None,
        payload=event.to_payload(),
    )


def deliver(kernel: Kernel, envelope: EventEnvelope) -> int:
    """Apply ``envelope`` with every consumer of the service that handles its type; return how
    many did (0: no consumer of this service follows that event type)."""
    applied = 0
    for spec in kernel.consumers:
        handler = spec.handlers.get(envelope.type)
        if handler is None:
            continue
        _apply_once(kernel, spec.name, handler, envelope)
        applied += 1
    return applied


def _apply_once(kernel: Kernel, consumer: str, handler: Handler, envelope: EventEnvelope) -> None:
    """As the runner applies it: a second try when the first lost to the service's own consumer,
    which reads the same embedded log in some tests and may take the same event at the same
    moment (the loser's write meets the winner's key; the second try finds it processed)."""
    for attempt in (1, 2):
        try:
            with kernel.db.transaction() as connection:
                if not already_processed(connection, consumer, envelope.event_id):
                    handler(connection, envelope)
                    mark_processed(connection, consumer, envelope.event_id, "applied", kernel.clock.now())
            return
        except IntegrityError:
            if attempt == 2:
                raise


def outbox_events(kernel: Kernel) -> list[EventEnvelope]:
    """Every integration event the service has put in its outbox, oldest first."""
    with kernel.db.transaction() as connection:
        values = connection.execute(select(outbox.c.value).order_by(outbox.c.id)).scalars().all()
    return [EventEnvelope.from_bytes(v) for v in values]
