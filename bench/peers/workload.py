"""The work every kernel measure and its peers do: one declaration-sized event (the payload
below, ~380 bytes of JSON) and the integration message it publishes, and the schemas they are
written in (the project's own tables, a fresh schema per run, dropped after)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import create_engine, text

from gsi_kernel.envelope import EventEnvelope
from gsi_kernel.events import DomainEvent
from gsi_kernel.store.database import Database, connect
from gsi_kernel.store.ddl import create_kernel_tables_v1
from gsi_kernel.store.outbox import Publication
from gsi_kernel.writer import integration_event

PAYLOAD = {"code": "ACC", "service_date": "2026-11-20", "duration_minutes": 60, "notes": "x" * 300}
ORG = "org-bench"


class Declared(DomainEvent):
    event_type = "bench.Declared"
    code: str
    service_date: str
    duration_minutes: int
    notes: str


@dataclass(frozen=True)
class Message:
    """The integration message one event publishes, as the relay sends it: its value's bytes
    and headers, for the peers that write or send the same bytes."""

    topic: str
    value: bytes
    headers: tuple[tuple[str, bytes], ...]

    def stored_headers(self) -> str:
        """The headers as the outbox stores them (JSON pairs of text)."""
        return json.dumps([[k, v.decode()] for k, v in self.headers])


def sample_message(topic: str) -> Message:
    """One event's message, built by the kernel's own ``integration_event``."""
    now = datetime.now(UTC)
    source = EventEnvelope(
        event_id=str(uuid.uuid4()),
        type=Declared.event_type,
        schema_version=1,
        source="gsi/bench",
        stream_id="intervention-0",
        stream_version=1,
        occurred_at=now,
        recorded_at=now,
        actor="bench",
        organization=ORG,
        correlation_id=str(uuid.uuid4()),
        causation_id=None,
        traceparent=None,
        payload=PAYLOAD,
    )
    sent = Publication.to_message(integration_event(source, topic, Declared(**PAYLOAD)))
    assert sent.value is not None  # an event's message has a value (no tombstone)
    return Message(topic, sent.value, tuple(sent.headers))


def fresh_schema(url: str) -> tuple[Database, str]:
    """A new schema holding the kernel's tables (events, outbox…), and the kernel's database on it."""
    schema = new_schema(url)
    db = connect(url, schema=schema)
    with db.transaction() as c:
        create_kernel_tables_v1(c)
    return db, schema


def new_schema(url: str) -> str:
    """A new, empty schema's name."""
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    _ddl(url, f'CREATE SCHEMA "{schema}"')
    return schema


def drop_schema(url: str, schema: str) -> None:
    _ddl(url, f'DROP SCHEMA "{schema}" CASCADE')


def _ddl(url: str, statement: str) -> None:
    engine = create_engine(url)
    try:
        with engine.begin() as c:
            c.execute(text(statement))
    finally:
        engine.dispose()


@contextmanager
def scratch(url: str) -> Iterator[tuple[Database, str]]:
    """:func:`fresh_schema`, disposed of and dropped on the way out."""
    db, schema = fresh_schema(url)
    try:
        yield db, schema
    finally:
        db.dispose()
        drop_schema(url, schema)


def driver_dsn(url: str) -> str:
    """The SQLAlchemy URL as libpq's (``postgresql+psycopg://`` → ``postgresql://``)."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)
