"""A poll's records applied together (issue 23): one transaction for up to ``TOGETHER`` records,
with the same outcomes as one transaction each — duplicates skipped, a failing handler's batch
handled again record by record, an unreachable database committing nothing."""

from __future__ import annotations

import math
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import Connection, event, func, select
from sqlalchemy.exc import OperationalError

from gsi_kernel import consumer as consumer_module
from gsi_kernel.bus.port import Message, Record, TopicSpec
from gsi_kernel.clock import SystemClock
from gsi_kernel.consumer import ConsumerRunner, dead_letter_topic
from gsi_kernel.envelope import EventEnvelope
from gsi_kernel.relay import OutboxRelay
from gsi_kernel.store.database import Database
from gsi_kernel.store.tables import processed
from gsi_kernel.telemetry import Telemetry
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
    """The topic's messages as they were published (read back by a group of its own)."""
    reader = infra.bus.consumer(f"copy-{uuid.uuid4().hex[:6]}", [topic])
    found: list[Record] = []
    deadline = time.monotonic() + 30
    while len(found) < expected and time.monotonic() < deadline:
        found += reader.poll(0.5)
    reader.close()
    return [Message(topic, r.key, r.value or b"", tuple(r.headers)) for r in found]


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
