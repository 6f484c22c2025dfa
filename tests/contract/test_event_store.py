"""The event-store contract, run against SQLite and PostgreSQL alike."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from gsi_kernel.clock import FixedClock
from gsi_kernel.envelope import CommandContext, EventEnvelope
from gsi_kernel.errors import ConcurrencyConflict
from gsi_kernel.events import DomainEvent, EventRegistry
from gsi_kernel.store.database import Database
from gsi_kernel.store.event_store import EventStore
from gsi_kernel.store.outbox import Outbox, Publication
from gsi_kernel.store.tables import outbox
from gsi_kernel.writer import StreamWriter, _uuid5, integration_event
from tests.databases import read_everything

CONTEXT = CommandContext(
    actor="karine",
    organization="org-sherbrooke",
    correlation_id="6f1c9a2e-0000-4000-8000-000000000001",
    traceparent="00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
)


class Noted(DomainEvent):
    event_type = "Noted"
    text: str


def store() -> EventStore:
    return EventStore(source="gsi/test", clock=FixedClock(datetime(2026, 11, 20, 15, tzinfo=UTC)))


def test_append_then_load_keeps_order_versions_and_envelope(database: Database) -> None:
    s = store()
    with database.transaction() as c:
        recorded = s.append(c, "stream-a", 0, [Noted(text="one"), Noted(text="two")], CONTEXT)
    with database.transaction() as c:
        loaded = s.load(c, "stream-a")
    assert [e.payload["text"] for e in loaded] == ["one", "two"]
    assert [e.stream_version for e in loaded] == [1, 2]
    assert [e.event_id for e in loaded] == [e.event_id for e in recorded]
    first = loaded[0]
    assert first.type == "Noted"
    assert first.schema_version == 1
    assert first.actor == "karine"
    assert first.organization == "org-sherbrooke"
    assert first.correlation_id == CONTEXT.correlation_id
    assert first.traceparent == CONTEXT.traceparent
    assert first.occurred_at == datetime(2026, 11, 20, 15, tzinfo=UTC)
    assert first.position is not None
    assert loaded[1].position is not None
    assert loaded[1].position > first.position


def test_stale_expected_version_is_a_conflict_and_writes_nothing(database: Database) -> None:
    s = store()
    with database.transaction() as c:
        s.append(c, "stream-b", 0, [Noted(text="first")], CONTEXT)
    with pytest.raises(ConcurrencyConflict) as raised, database.transaction() as c:
        s.append(c, "stream-b", 0, [Noted(text="lost update")], CONTEXT)
    assert raised.value.code == "concurrency_conflict"
    assert raised.value.status == 409
    with database.transaction() as c:
        assert [e.payload["text"] for e in s.load(c, "stream-b")] == ["first"]


def test_an_expected_version_ahead_of_the_stream_is_a_conflict(database: Database) -> None:
    with pytest.raises(ConcurrencyConflict), database.transaction() as c:
        store().append(c, "stream-c", 3, [Noted(text="gap")], CONTEXT)


def test_concurrent_appends_at_the_same_version_have_exactly_one_winner(database: Database) -> None:
    s = store()
    writers = 8
    barrier = threading.Barrier(writers)
    outcomes: list[str] = []
    lock = threading.Lock()

    def write(n: int) -> None:
        barrier.wait()
        try:
            with database.transaction() as c:
                s.append(c, "contested", 0, [Noted(text=f"writer {n}")], CONTEXT)
            outcome = "won"
        except ConcurrencyConflict:
            outcome = "conflict"
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["conflict"] * (writers - 1) + ["won"]
    with database.transaction() as c:
        assert len(s.load(c, "contested")) == 1


def test_read_all_follows_commit_order_without_skipping_under_concurrent_writers(database: Database) -> None:
    """A reader that follows the store's cursor while writers commit must end up having seen
    every event exactly once, in cursor order — with no lock taken by the writers."""
    s = store()
    per_writer, writers = 25, 4
    done = threading.Event()
    seen: list[tuple[int, int]] = []

    def write(n: int) -> None:
        for i in range(per_writer):
            with database.transaction() as c:
                s.append(c, f"w{n}-{i}", 0, [Noted(text=f"{n}/{i}")], CONTEXT)

    def follow() -> None:
        cursor = (0, 0)
        while True:
            finished = done.is_set()
            with database.transaction() as c:
                batch = s.read_all(c, after=cursor, limit=7)
            for event in batch:
                seen.append(event.cursor)
                cursor = event.cursor
            if finished and not batch:
                return

    reader = threading.Thread(target=follow)
    reader.start()
    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    done.set()
    reader.join()
    assert len(seen) == per_writer * writers
    assert len(set(seen)) == len(seen)
    assert seen == sorted(seen)


def test_stored_events_cannot_be_updated_or_deleted(database: Database) -> None:
    with database.transaction() as c:
        store().append(c, "immutable", 0, [Noted(text="kept")], CONTEXT)
    for statement in ("UPDATE events SET type = 'Tampered'", "DELETE FROM events"):
        with pytest.raises(DBAPIError, match="immutable"), database.transaction() as c:
            c.execute(text(statement))
    with database.transaction() as c:
        [event] = store().load(c, "immutable")
    assert event.type == "Noted"


@pytest.mark.postgres
def test_postgres_refuses_truncate_of_events(postgres_url: str) -> None:
    from tests.databases import postgres_database

    with (
        postgres_database(postgres_url) as db,
        pytest.raises(DBAPIError, match="immutable"),
        db.transaction() as c,
    ):
        c.execute(text("TRUNCATE events"))


@pytest.mark.postgres
def test_postgres_holds_back_events_behind_an_older_open_transaction(postgres_url: str) -> None:
    """The case a position-ordered reader gets wrong: an older transaction takes a smaller
    position but commits later. The reader must not pass it by."""
    from tests.databases import postgres_database

    s = store()
    with postgres_database(postgres_url) as db:
        older = db.engine.connect()
        older_tx = older.begin()
        s.append(older, "slow", 0, [Noted(text="older, committed last")], CONTEXT)  # smaller position
        with db.transaction() as c:
            s.append(c, "fast", 0, [Noted(text="younger, committed first")], CONTEXT)
        with db.transaction() as c:
            assert s.read_all(c) == []  # "fast" waits behind the open, older transaction
        older_tx.commit()
        older.close()
        texts = [e.payload["text"] for e in read_everything(db, s)]
        assert texts == ["older, committed last", "younger, committed first"]


# --- Bulk append of new streams (imports) -----------------------------------------------------


def bulk_writer(database: Database) -> StreamWriter:
    """A writer whose every event is published once, on one topic."""
    return StreamWriter(
        db=database,
        store=store(),
        registry=EventRegistry([Noted]),
        clock=FixedClock(datetime(2026, 11, 20, 15, tzinfo=UTC)),
        publisher=lambda e: [integration_event(e, "test.noted", Noted(text=e.payload["text"]))],
    )


def outbox_keys(database: Database) -> list[str]:
    with database.transaction() as c:
        return sorted(c.execute(select(outbox.c.key)).scalars())


def test_append_new_streams_writes_each_stream_from_version_1_with_its_outbox_rows(
    database: Database,
) -> None:
    streams = [("imp-1", [Noted(text="a")]), ("imp-2", [Noted(text="b1"), Noted(text="b2")]), ("imp-3", [])]
    written = bulk_writer(database).append_new_streams(streams, CONTEXT)
    assert written == ["imp-1", "imp-2"]  # a stream with no events is not written
    with database.transaction() as c:
        assert [(e.stream_version, e.payload["text"]) for e in store().load(c, "imp-2")] == [
            (1, "b1"),
            (2, "b2"),
        ]
        assert store().load(c, "imp-1")[0].actor == "karine"
    assert outbox_keys(database) == ["imp-1", "imp-2", "imp-2"]


def test_append_new_streams_refuses_the_whole_batch_when_one_stream_exists(database: Database) -> None:
    writer = bulk_writer(database)
    writer.append_new_streams([("old", [Noted(text="first")])], CONTEXT)
    batch = [("new-1", [Noted(text="x")]), ("old", [Noted(text="again")]), ("new-2", [Noted(text="y")])]
    with pytest.raises(ConcurrencyConflict) as raised:
        writer.append_new_streams(batch, CONTEXT)
    assert raised.value.stream_id == "old"
    assert [e.stream_id for e in read_everything(database, store())] == ["old"]
    assert outbox_keys(database) == ["old"]


@pytest.mark.parametrize(
    ("batch", "expected"),
    [
        ([("s-1", ["a"]), ("s-2", ["b"])], ["s-1", "s-2"]),
        ([("s-1", ["a"]), ("s-1", ["a, again"])], ["s-1"]),  # the same stream twice: the first wins
        ([("s-2", ["b", "b2"]), ("s-3", ["c", "c2"])], ["s-2", "s-3"]),
    ],
)
def test_append_new_streams_skip_existing_is_idempotent(
    database: Database, batch: list[tuple[str, list[str]]], expected: list[str]
) -> None:
    writer = bulk_writer(database)
    streams = [(s, [Noted(text=t) for t in texts]) for s, texts in batch]
    assert writer.append_new_streams(streams, CONTEXT, skip_existing=True) == expected
    keys = outbox_keys(database)
    count = len(read_everything(database, store()))
    assert writer.append_new_streams(streams, CONTEXT, skip_existing=True) == []  # re-import: nothing
    assert outbox_keys(database) == keys  # outbox rows written once
    assert len(read_everything(database, store())) == count
    with database.transaction() as c:
        assert store().load(c, expected[0])[0].payload["text"] == batch[0][1][0]


def test_append_new_streams_skip_existing_writes_only_the_new_ones(database: Database) -> None:
    writer = bulk_writer(database)
    writer.append_new_streams([("known", [Noted(text="kept")])], CONTEXT)
    streams = [("fresh", [Noted(text="f")]), ("known", [Noted(text="k1"), Noted(text="k2")])]
    assert writer.append_new_streams(streams, CONTEXT, skip_existing=True) == ["fresh"]
    with database.transaction() as c:
        assert [e.payload["text"] for e in store().load(c, "known")] == ["kept"]
    assert outbox_keys(database) == ["fresh", "known"]


def test_append_new_streams_are_read_back_in_commit_order_and_projected_once(database: Database) -> None:
    s = store()
    projected: list[list[EventEnvelope]] = []
    writer = StreamWriter(
        db=database,
        store=s,
        registry=EventRegistry([Noted]),
        clock=FixedClock(datetime(2026, 11, 20, tzinfo=UTC)),
        project=lambda _connection, events: projected.append(list(events)),
    )
    with database.transaction() as c:
        s.append(c, "before", 0, [Noted(text="before")], CONTEXT)
    writer.append_new_streams(
        [(f"bulk-{i}", [Noted(text=str(i)), Noted(text=f"{i}+")]) for i in range(300)], CONTEXT
    )
    with database.transaction() as c:
        s.append(c, "after", 0, [Noted(text="after")], CONTEXT)
    read = read_everything(database, s, limit=10_000)
    assert [e.stream_id for e in read[:1] + read[-1:]] == ["before", "after"]
    assert [e.cursor for e in read] == sorted(e.cursor for e in read)
    assert len({e.cursor for e in read}) == len(read) == 602
    bulk = [e for e in read if e.stream_id.startswith("bulk-")]
    # The read models took the whole batch at once, in its transaction (ADR 28).
    assert [sorted(e.event_id for e in batch) for batch in projected] == [sorted(e.event_id for e in bulk)]
    assert all(e.projected for e in bulk)
    by_stream = {e.stream_id: [x.stream_version for x in bulk if x.stream_id == e.stream_id] for e in bulk}
    assert set(map(tuple, by_stream.values())) == {(1, 2)}


@pytest.mark.parametrize("event_type", ["Noted", "registration.PersonRegistered", "é-accentué"])
def test_an_integration_event_id_is_the_uuid5_of_its_source(event_type: str) -> None:
    source_id = "6f1c9a2e-1234-4abc-8def-0123456789ab"
    published = integration_event(envelope_with_id(source_id), "topic", Noted(text="x")).envelope
    assert published.event_id != source_id
    expected = uuid.uuid5(uuid.UUID(source_id), "Noted")
    assert published.event_id == str(expected)
    assert _uuid5(source_id, event_type) == str(uuid.uuid5(uuid.UUID(source_id), event_type))


def test_the_outbox_stores_exactly_the_publication_s_message(database: Database) -> None:
    writer = bulk_writer(database)
    writer.append_new_streams([("msg-1", [Noted(text="a")]), ("msg-2", [Noted(text="b")])], CONTEXT)
    with database.transaction() as c:
        [first, *_] = store().load(c, "msg-1")
        pending = Outbox().unsent(c, 10)
    expected = integration_event(first, "test.noted", Noted(text="a")).to_message()
    assert [p.message for p in pending if p.message.key == "msg-1"] == [expected]
    assert len(pending) == 2


def envelope_with_id(event_id: str) -> EventEnvelope:
    now = datetime(2026, 11, 20, 15, tzinfo=UTC)
    return EventEnvelope(
        event_id=event_id,
        type="Noted",
        schema_version=1,
        source="gsi/test",
        stream_id="s",
        stream_version=1,
        occurred_at=now,
        recorded_at=now,
        actor="karine",
        organization=None,
        correlation_id=CONTEXT.correlation_id,
        causation_id=None,
        traceparent=None,
        payload={"text": "x"},
    )


@pytest.mark.parametrize("expected_version", [0, 2])  # taken version 1; a version ahead
def test_a_refused_append_puts_nothing_in_the_outbox(database: Database, expected_version: int) -> None:
    writer = bulk_writer(database)
    writer.execute("one", lambda _history: [Noted(text="first")], CONTEXT)

    def publish(e: EventEnvelope) -> list[Publication]:
        return [integration_event(e, "test.noted", Noted(text=e.payload["text"]))]

    with pytest.raises(ConcurrencyConflict), database.transaction() as c:
        store().append(c, "one", expected_version, [Noted(text="lost")], CONTEXT, publish=publish)
    assert outbox_keys(database) == ["one"]
    with database.transaction() as c:
        assert [e.payload["text"] for e in store().load(c, "one")] == ["first"]


def test_kernel_v2_adds_the_projected_flag_to_a_store_without_it(database: Database) -> None:
    """A store created before ADR 16: its events were never projected inline, so the
    checkpointed catch-up keeps deciding for them; the upgrade can run twice."""
    from gsi_kernel.store.ddl import upgrade_kernel_tables_v2

    with database.transaction() as c:
        c.execute(text("ALTER TABLE events DROP COLUMN projected"))  # as version 1 left it
        c.execute(
            text(
                "INSERT INTO events (event_id, stream_id, version, type, schema_version, occurred_at,"
                " recorded_at, actor, correlation_id, payload) VALUES ('e-1', 'old', 1, 'Noted', 1,"
                " :at, :at, 'karine', 'c-1', '{\"text\": \"before\"}')"
            ),
            {"at": datetime(2026, 11, 1, tzinfo=UTC)},
        )
    for _ in range(2):
        with database.transaction() as c:
            upgrade_kernel_tables_v2(c)
    with database.transaction() as c:
        [old] = store().load(c, "old")
        [new] = store().append(c, "new", 0, [Noted(text="after")], CONTEXT, projected=True)
    assert (old.payload["text"], old.projected) == ("before", False)
    with database.transaction() as c:
        assert [e.projected for e in store().load(c, "new")] == [True]
    assert new.projected
