"""A poll's records applied together (issue 23): one transaction for up to ``TOGETHER`` records,
with the same outcomes as one transaction each — duplicates skipped, a failing handler's batch
handled again record by record, an unreachable database committing nothing."""

from __future__ import annotations

import math
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import timedelta

import pytest
from psycopg.errors import DeadlockDetected
from sqlalchemy import Connection, event, func, select
from sqlalchemy.exc import OperationalError

from gsi_kernel import consumer as consumer_module
from gsi_kernel.bus.kafka import KafkaBus
from gsi_kernel.bus.port import Message, Record, TopicSpec
from gsi_kernel.clock import SystemClock
from gsi_kernel.consumer import ConsumerRunner, Outcome, dead_letter_topic
from gsi_kernel.envelope import EventEnvelope
from gsi_kernel.relay import OutboxRelay
from gsi_kernel.store.backend import backend_of
from gsi_kernel.store.database import Database
from gsi_kernel.store.tables import dead_letters, processed
from gsi_kernel.telemetry import Telemetry
from tests.databases import postgres_database
from tests.integration.conftest import Infra
from tests.integration.support import count, counter, create_tables, read_tallies, tally, writer


def _published(infra: Infra, amounts: list[int]) -> str:
    """A topic holding one Tallied per amount, published by the relay in one batch."""
    topic = f"batches-{uuid.uuid4().hex[:8]}"
    infra.bus.ensure_topics([TopicSpec(topic, 3), TopicSpec(dead_letter_topic("test.counter"), 3)])
    create_tables(infra.db)
    w = writer(infra.db, topic)
    for amount in amounts:
        tally(w, f"t{amount}", amount)
    relay = OutboxRelay(
        db=infra.db,
        producer=infra.bus.producer(),
        clock=SystemClock(),
        telemetry=Telemetry("t"),
        lease_ttl=timedelta(seconds=1),
    )
    assert relay.run_once() == len(amounts)
    relay.close()
    return topic


@contextmanager
def _commits(db: Database) -> Iterator[list[int]]:
    """How many transactions commit on ``db`` inside (one number, in a list)."""
    seen = [0]

    def on_commit(_connection: Connection) -> None:
        seen[0] += 1

    event.listen(db.engine, "commit", on_commit)
    try:
        yield seen
    finally:
        event.remove(db.engine, "commit", on_commit)


def _drain(runner: ConsumerRunner, expected: int, each: Callable[[int, int], None] | None = None) -> int:
    """Step ``runner`` until it handled ``expected`` records; ``each(handled, commits)`` per
    step that handled some."""
    handled, deadline = 0, time.monotonic() + 30
    while handled < expected and time.monotonic() < deadline:
        with _commits(runner._db) as commits:
            step = runner.run_once()
        if step and each is not None:
            each(step, commits[0])
        handled += step
    return handled


def test_a_polls_records_commit_together_a_few_transactions_at_most(
    infra: Infra, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(consumer_module, "TOGETHER", 4, raising=False)
    amounts = list(range(1, 31))
    topic = _published(infra, amounts)
    runner = counter(infra.db, infra.bus, topic)
    steps: list[tuple[int, int]] = []
    assert _drain(runner, len(amounts), lambda handled, commits: steps.append((handled, commits))) == 30
    runner.close()

    # A transaction per four records of a poll (one per record before), and each applied once.
    assert all(commits == math.ceil(handled / 4) for handled, commits in steps), steps
    assert read_tallies(infra.db) == {f"t{a}": (a, 1) for a in amounts}
    with infra.db.transaction() as connection:
        applied = connection.execute(select(func.count()).select_from(processed)).scalar()
    assert applied == 30


def test_an_event_twice_in_one_poll_and_one_already_processed_are_applied_once(infra: Infra) -> None:
    topic = _published(infra, [2, 3])
    first = counter(infra.db, infra.bus, topic)
    assert _drain(first, 2) == 2
    first.close()
    # The relay publishing again (a crash before it marked the rows sent): the same two events,
    # each twice in one batch, after they were applied.
    again = _records(infra, topic, 2)
    infra.bus.producer().publish([m for r in again for m in (r, r)])
    second = counter(infra.db, infra.bus, topic, name="test.counter")
    assert _drain(second, 4) == 4
    second.close()
    assert read_tallies(infra.db) == {"t2": (2, 1), "t3": (3, 1)}


def _records(infra: Infra, topic: str, expected: int) -> list[Message]:
    """The topic's messages as they were published."""
    return [Message(topic, r.key, r.value or b"", tuple(r.headers)) for r in _read(infra, topic, expected)]


def _read(infra: Infra, topic: str, expected: int) -> list[Record]:
    """The topic's records (read back by a group of its own)."""
    reader = infra.bus.consumer(f"copy-{uuid.uuid4().hex[:6]}", [topic])
    found: list[Record] = []
    deadline = time.monotonic() + 30
    while len(found) < expected and time.monotonic() < deadline:
        found += reader.poll(0.5)
    reader.close()
    return found


def test_a_database_lost_in_a_batch_commits_none_of_it_and_the_next_consumer_applies_each_once(
    infra: Infra,
) -> None:
    amounts = [5, 13, 8, 21]
    topic = _published(infra, amounts)
    lost = {"once": True}

    def lose_database_on_13(connection: Connection, envelope: EventEnvelope) -> None:
        count(connection, envelope)  # the batch's earlier records are written, uncommitted
        if envelope.payload["amount"] == 13 and lost.pop("once", False):
            raise OperationalError("SELECT 1", {}, Exception("connection lost"))

    crashing = counter(infra.db, infra.bus, topic)
    crashing._handlers["Tallied"] = lose_database_on_13
    with pytest.raises(OperationalError):
        _drain(crashing, len(amounts))
    crashing.close()
    assert "t13" not in read_tallies(infra.db)  # its batch rolled back, offsets not committed

    second = counter(infra.db, infra.bus, topic)
    _drain(second, len(amounts) - sum(1 for _ in read_tallies(infra.db)))
    second.close()
    assert read_tallies(infra.db) == {f"t{a}": (a, 1) for a in amounts}


def _dead_letters(db: Database) -> int:
    with db.transaction() as connection:
        return int(connection.execute(select(func.count()).select_from(dead_letters)).scalar_one())


def _lost_conflict() -> OperationalError:
    """What SQLAlchemy raises when PostgreSQL broke a deadlock by rolling this transaction back."""
    return OperationalError("SELECT pg_advisory_xact_lock(1)", {}, DeadlockDetected("deadlock detected"))


@pytest.mark.postgres
@pytest.mark.kafka
def test_a_batch_that_loses_a_deadlock_to_another_replica_is_applied_one_record_at_a_time(
    postgres_url: str, kafka_bootstrap: str
) -> None:
    """Two replicas' transactions lock the same keys in opposite orders: PostgreSQL rolls one
    back (here the consumer's batch, which waited first). The batch is applied again, not
    dead-lettered, and the step does not fail (a failed step made /ready answer 503)."""
    with postgres_database(postgres_url) as db:
        infra = Infra(
            "postgres+kafka", db, KafkaBus(kafka_bootstrap), postgres_url, db.schema, kafka_bootstrap
        )
        topic = _published(infra, [7])
        holds_second, calls = threading.Event(), []

        def other_replica() -> None:
            with db.transaction() as connection:
                backend_of(connection).lock_key(connection, "deadlock.second")
                holds_second.set()
                time.sleep(0.3)  # the consumer is waiting for "second" by now
                backend_of(connection).lock_key(connection, "deadlock.first")

        def locks_first_then_second(connection: Connection, envelope: EventEnvelope) -> None:
            calls.append(envelope.event_id)
            backend_of(connection).lock_key(connection, "deadlock.first")
            if len(calls) == 1:
                other.start()
                assert holds_second.wait(10)
            backend_of(connection).lock_key(connection, "deadlock.second")
            count(connection, envelope)

        other = threading.Thread(target=other_replica)
        runner = counter(db, infra.bus, topic)
        runner._handlers["Tallied"] = locks_first_then_second
        assert _drain(runner, 1) == 1
        runner.close()
        other.join(30)

        assert len(calls) == 2  # the batch that lost, then the record on its own
        assert read_tallies(db) == {"t7": (7, 1)}
        assert _dead_letters(db) == 0


def test_a_record_that_loses_conflicts_is_run_again_and_never_dead_lettered_for_it(infra: Infra) -> None:
    topic = _published(infra, [3, 4])
    losses = {"t3": 2, "t4": consumer_module.CONFLICT_RETRIES + 1}

    def loses_conflicts(connection: Connection, envelope: EventEnvelope) -> None:
        if losses.get(envelope.stream_id, 0) > 0:
            losses[envelope.stream_id] -= 1
            raise _lost_conflict()
        count(connection, envelope)

    runner = counter(infra.db, infra.bus, topic, backoff_s=0.0)
    runner._handlers["Tallied"] = loses_conflicts
    by_stream = {r.key: r for r in _read(infra, topic, 2)}
    # t3 loses twice and goes in at its third run; t4 keeps losing: the step fails as for an
    # unreachable database (the record comes again at its next delivery), nothing dead-lettered.
    assert runner.handle(by_stream["t3"]) is Outcome.APPLIED
    with pytest.raises(OperationalError):
        runner.handle(by_stream["t4"])
    runner.close()
    assert losses == {"t3": 0, "t4": 0}
    assert read_tallies(infra.db) == {"t3": (3, 1)}
    assert _dead_letters(infra.db) == 0


def test_prepare_is_given_a_batchs_events_not_yet_processed_before_its_handlers(infra: Infra) -> None:
    topic = _published(infra, [2, 3])
    calls: list[tuple[str, list[int]]] = []

    def prepare(_connection: Connection, envelopes: Sequence[EventEnvelope]) -> None:
        calls.append(("prepare", [e.payload["amount"] for e in envelopes]))

    def counting(connection: Connection, envelope: EventEnvelope) -> None:
        calls.append(("handle", [envelope.payload["amount"]]))
        count(connection, envelope)

    first = counter(infra.db, infra.bus, topic, prepare=prepare)
    first._handlers["Tallied"] = counting
    assert _drain(first, 2) == 2
    first.close()
    prepared: list[int] = []
    for kind, amounts in calls:  # each poll: its events prepared, then handled
        if kind == "prepare":
            prepared = amounts
        else:
            assert amounts[0] in prepared, calls
    assert sorted(a for kind, amounts in calls if kind == "prepare" for a in amounts) == [2, 3]

    # Delivered again (a relay that published twice): nothing left to prepare nor to apply.
    calls.clear()
    infra.bus.producer().publish(_records(infra, topic, 2))
    second = counter(infra.db, infra.bus, topic, prepare=prepare)
    second._handlers["Tallied"] = counting
    assert _drain(second, 2) == 2
    second.close()
    assert all(kind == "prepare" and amounts == [] for kind, amounts in calls), calls
    assert read_tallies(infra.db) == {"t2": (2, 1), "t3": (3, 1)}
