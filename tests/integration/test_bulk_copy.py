"""The bulk append's COPY path on PostgreSQL (``gsi_kernel.store._pg_copy``, from
``postgres.COPY_FROM`` rows up): the same guarantees as the many-row statements it replaces —
idempotent re-runs (existing streams skipped, outbox rows for the inserted events only), commit
order, the outbox's exact messages, errors as SQLAlchemy's."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import Connection, func, select, text
from sqlalchemy.exc import DataError, IntegrityError

from gsi_kernel.clock import FixedClock
from gsi_kernel.envelope import CommandContext, EventEnvelope
from gsi_kernel.errors import ConcurrencyConflict
from gsi_kernel.events import DomainEvent, EventRegistry
from gsi_kernel.store import postgres
from gsi_kernel.store.database import Database
from gsi_kernel.store.event_store import EventStore, new_event_ids
from gsi_kernel.store.outbox import Outbox
from gsi_kernel.store.tables import events, outbox
from gsi_kernel.writer import StreamWriter, integration_event
from tests.databases import postgres_database

pytestmark = pytest.mark.postgres

CONTEXT = CommandContext("karine", "org-sherbrooke", "6f1c9a2e-0000-4000-8000-000000000001")
NOW = datetime(2026, 11, 20, 15, tzinfo=UTC)
MANY = postgres.COPY_FROM + 50  # enough rows for the COPY path


class Noted(DomainEvent):
    event_type = "Noted"
    text: str


@pytest.fixture
def database(postgres_url: str) -> Iterator[Database]:
    with postgres_database(postgres_url) as db:
        yield db


def store() -> EventStore:
    return EventStore(source="gsi/test", clock=FixedClock(NOW))


def writer(database: Database, project: list[list[EventEnvelope]] | None = None) -> StreamWriter:
    return StreamWriter(
        db=database,
        store=store(),
        registry=EventRegistry([Noted]),
        clock=FixedClock(NOW),
        publisher=lambda e: [integration_event(e, "test.noted", Noted(text=e.payload["text"]))],
        project=None if project is None else lambda _c, recorded: project.append(list(recorded)),
    )


def streams(names: list[str], *texts: str) -> list[tuple[str, list[DomainEvent]]]:
    return [(name, [Noted(text=f"{name}{t}") for t in texts]) for name in names]


def rolled_back(database: Database, work: Callable[[Connection], object]) -> None:
    with database.transaction() as c:
        work(c)
        raise RuntimeError("rolled back")


def counts(database: Database) -> tuple[int, int]:
    with database.transaction() as c:
        return (
            c.execute(select(func.count()).select_from(events)).scalar_one(),
            c.execute(select(func.count()).select_from(outbox)).scalar_one(),
        )


def test_a_bulk_writes_every_stream_in_the_given_order_with_its_exact_outbox_message(
    database: Database,
) -> None:
    names = [f"imp-{n:04d}" for n in range(MANY)]
    projected: list[list[EventEnvelope]] = []
    batch = [*streams(names[:-1], ' — é ✓ \\ " \t'), *streams(names[-1:], "a", "b")]
    assert writer(database, projected).append_new_streams(batch, CONTEXT) == names
    with database.transaction() as c:
        read = store().read_all(c, limit=10_000, settled=True)
        pending = Outbox().unsent(c, 10_000)
        tx_id = c.execute(text("SELECT pg_current_xact_id()::text::bigint")).scalar_one()
    assert [e.stream_id for e in read] == [*names, names[-1]]  # positions follow the given order
    assert [(e.stream_version, e.payload) for e in read[-3:]] == [
        (1, {"text": f'{names[-2]} — é ✓ \\ " \t'}),
        (1, {"text": f"{names[-1]}a"}),
        (2, {"text": f"{names[-1]}b"}),
    ]
    assert len({e.tx_id for e in read}) == 1
    assert read[0].tx_id is not None
    assert read[0].tx_id < tx_id
    assert all(e.projected and e.actor == "karine" and e.occurred_at == NOW for e in read)
    # The read models saw the events as stored, positions included.
    assert [(e.event_id, e.cursor) for e in projected[0]] == [(e.event_id, e.cursor) for e in read]
    expected = [integration_event(e, "test.noted", Noted(text=e.payload["text"])).to_message() for e in read]
    assert [p.message for p in pending] == expected  # in order: the relay publishes by id


def test_a_rerun_writes_nothing_and_an_overlapping_batch_only_its_new_streams(database: Database) -> None:
    w = writer(database)
    first = [f"s-{n}" for n in range(MANY)]
    assert w.append_new_streams(streams(first, "", "+"), CONTEXT, skip_existing=True) == first
    assert counts(database) == (2 * MANY, 2 * MANY)
    assert w.append_new_streams(streams(first, "", "+"), CONTEXT, skip_existing=True) == []
    assert counts(database) == (2 * MANY, 2 * MANY)  # no event and no outbox row twice
    later = [f"t-{n}" for n in range(MANY)]
    mixed = streams([*first[::2], *later, later[0]], "again")  # known, new, and one twice
    assert w.append_new_streams(mixed, CONTEXT, skip_existing=True) == later
    assert counts(database) == (3 * MANY, 3 * MANY)
    with database.transaction() as c:
        assert [e.payload["text"] for e in store().load(c, first[0])] == ["s-0", "s-0+"]  # kept
        assert [e.payload["text"] for e in store().load(c, later[0])] == ["t-0again"]  # the first wins
        keys = c.execute(select(outbox.c.key).order_by(outbox.c.id)).scalars().all()
    assert keys[2 * MANY :] == later


def test_without_skip_existing_a_known_stream_refuses_the_whole_batch(database: Database) -> None:
    w = writer(database)
    w.append_new_streams(streams(["old"], ""), CONTEXT)
    batch = streams([f"new-{n}" for n in range(MANY)], "")
    with pytest.raises(ConcurrencyConflict) as raised:
        w.append_new_streams([*batch[:10], *streams(["old"], "again"), *batch[10:]], CONTEXT)
    assert raised.value.stream_id == "old"
    assert counts(database) == (1, 1)


def test_bulks_in_turns_on_one_connection_each_see_only_their_own_rows(database: Database) -> None:
    """The staging table outlives a transaction (emptied at commit), and a rolled-back bulk
    leaves nothing behind for the next."""
    database.engine.pool.dispose()
    w, s = writer(database), store()
    with database.transaction() as c:  # two bulks in one transaction
        w.append_new_streams(streams([f"a-{n}" for n in range(MANY)], ""), CONTEXT, connection=c)
        w.append_new_streams(streams([f"b-{n}" for n in range(MANY)], ""), CONTEXT, connection=c)
    with pytest.raises(RuntimeError):
        rolled_back(
            database,
            lambda c: w.append_new_streams(
                streams([f"c-{n}" for n in range(MANY)], ""), CONTEXT, connection=c
            ),
        )
    w.append_new_streams(streams([f"d-{n}" for n in range(MANY)], ""), CONTEXT)
    with database.transaction() as c:
        assert {e.stream_id[0] for e in s.read_all(c, limit=10_000, settled=True)} == {"a", "b", "d"}
        assert c.execute(text("SELECT count(*) FROM pg_temp.gsi_new_events")).scalar_one() == 0
    assert counts(database) == (3 * MANY, 3 * MANY)


def test_the_database_s_refusals_come_as_sqlalchemy_errors_and_write_nothing(database: Database) -> None:
    w = writer(database)
    too_long = streams([f"s-{n}" for n in range(MANY - 1)], "") + streams(["x" * 201], "")
    with pytest.raises(DataError):  # stream_id is VARCHAR(200): refused by the INSERT … SELECT
        w.append_new_streams(too_long, CONTEXT)
    topic_too_long = StreamWriter(
        db=database,
        store=store(),
        registry=EventRegistry([Noted]),
        clock=FixedClock(NOW),
        publisher=lambda e: [integration_event(e, "t" * 201, Noted(text="x"))],
    )
    with pytest.raises(DataError):  # outbox.topic is VARCHAR(200): refused by the COPY itself
        topic_too_long.append_new_streams(streams([f"s-{n}" for n in range(MANY)], ""), CONTEXT)
    assert counts(database) == (0, 0)


def test_what_utf_8_cannot_carry_goes_in_escaped_as_before(database: Database) -> None:
    """A lone surrogate: pydantic-core's JSON refuses it, json.dumps escapes it (as the many-row
    statements always did) and PostgreSQL's json takes the escape."""
    batch = [*streams([f"s-{n}" for n in range(MANY)], ""), *streams(["lone"], "\udc80")]
    writer(database).append_new_streams(batch, CONTEXT)
    with database.transaction() as c:
        assert [e.payload for e in store().load(c, "lone")] == [{"text": "lone\udc80"}]
    assert counts(database) == (MANY + 1, MANY + 1)


def test_a_staging_table_made_again_after_a_rollback_serves_prepared_statements(database: Database) -> None:
    """psycopg prepares a statement run five times on a connection; the temporary table it reads
    may be dropped by a rollback and made again, and the statement planned again."""
    database.engine.pool.dispose()
    w = writer(database)

    def seven_bulks(c: Connection) -> None:
        for n in range(7):
            w.append_new_streams(streams([f"r{n}-{k}" for k in range(MANY)], ""), CONTEXT, connection=c)

    with pytest.raises(RuntimeError):
        rolled_back(database, seven_bulks)  # the staging table goes with it
    w.append_new_streams(streams([f"s-{k}" for k in range(MANY)], ""), CONTEXT)
    assert counts(database) == (MANY, MANY)


def test_a_clash_on_an_event_id_is_an_integrity_error(database: Database) -> None:
    """Not a skipped stream: only ``(stream_id, version)`` is skipped (``ON CONFLICT``)."""
    from gsi_kernel.store import _pg_copy

    rows = [(f"{n:036d}", f"s-{n}", 1, "Noted", 1, {"text": "x"}) for n in range(MANY)]
    shared = {"occurred_at": NOW, "recorded_at": NOW, "actor": "a", "organization": None}
    shared |= {"correlation_id": "c", "causation_id": None, "traceparent": None, "projected": False}
    with database.transaction() as c:
        _pg_copy.insert_new_events(c, rows, shared)
    with pytest.raises(IntegrityError), database.transaction() as c:
        _pg_copy.insert_new_events(c, [(rows[0][0], "other", 1, "Noted", 1, {})] * MANY, shared)


def test_bulk_event_ids_are_distinct_version_4_uuids() -> None:
    import uuid

    ids = new_event_ids(10_000)
    assert len(set(ids)) == 10_000
    parsed = [uuid.UUID(i) for i in ids]
    assert {(u.version, u.variant) for u in parsed} == {(4, uuid.RFC_4122)}
    assert [str(u) for u in parsed] == ids
