"""The idempotent consumer runner: redelivery after a crash, and poison messages."""

from __future__ import annotations

import time
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from gsi_kernel.bus.port import Message, TopicSpec
from gsi_kernel.clock import SystemClock
from gsi_kernel.consumer import dead_letter_topic
from gsi_kernel.relay import OutboxRelay
from gsi_kernel.store.tables import dead_letters, processed
from gsi_kernel.telemetry import Telemetry
from tests.integration.conftest import Infra
from tests.integration.support import counter, create_tables, read_tallies, tally, writer


def _publish_tallies(infra: Infra, topic: str, amounts: list[int]) -> None:
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


def _run_until(step, expected: int) -> int:  # type: ignore[no-untyped-def]
    handled, deadline = 0, time.monotonic() + 30
    while handled < expected and time.monotonic() < deadline:
        handled += step()
    return handled


def test_redelivery_after_a_crash_before_the_offset_commit_changes_nothing(infra: Infra) -> None:
    topic = f"redeliver-{uuid.uuid4().hex[:8]}"
    _publish_tallies(infra, topic, [1, 2, 3])

    crashing = counter(infra.db, infra.bus, topic)

    class Crash(Exception):
        pass

    def crash(_offsets: object) -> None:
        raise Crash  # the process dies after the effects committed, before the offsets did

    crashing._consumer.commit = crash  # type: ignore[method-assign]
    with pytest.raises(Crash):
        _run_until(crashing.run_once, 3)
    crashing.close()
    after_first = read_tallies(infra.db)
    assert sum(total for total, _ in after_first.values()) > 0

    second = counter(infra.db, infra.bus, topic)
    _run_until(second.run_once, 3)
    second.close()
    assert read_tallies(infra.db) == {"t1": (1, 1), "t2": (2, 1), "t3": (3, 1)}


def test_a_poison_message_goes_to_the_dead_letter_topic_with_its_error(infra: Infra) -> None:
    topic = f"poison-{uuid.uuid4().hex[:8]}"
    _publish_tallies(infra, topic, [5, 13, 8])
    infra.bus.producer().publish([Message(topic, "garbage", b"\x00not json")])

    def fail_on_13(connection, event):  # type: ignore[no-untyped-def]
        if event.payload["amount"] == 13:
            raise ValueError("13 is refused by this handler")
        from tests.integration.support import count

        count(connection, event)

    runner = counter(infra.db, infra.bus, topic, max_attempts=3, backoff_s=0.01)
    runner._handlers["Tallied"] = fail_on_13
    assert _run_until(runner.run_once, 4) == 4
    runner.close()

    assert read_tallies(infra.db) == {"t5": (5, 1), "t8": (8, 1)}
    with infra.db.transaction() as connection:
        rows = connection.execute(
            select(dead_letters.c.key, dead_letters.c.error, dead_letters.c.attempts)
        ).all()
        outcomes = connection.execute(
            select(processed.c.outcome, func.count()).group_by(processed.c.outcome)
        ).all()
    errors = {r.key: (r.error, r.attempts) for r in rows}
    assert errors["t13"] == ("ValueError: 13 is refused by this handler", 3)
    assert errors["garbage"][0].startswith("unreadable event")
    assert dict(outcomes) == {"applied": 2, "dead_lettered": 2}

    dlq = infra.bus.consumer(f"dlq-{uuid.uuid4().hex[:6]}", [dead_letter_topic("test.counter")])
    letters, deadline = [], time.monotonic() + 30
    while len(letters) < 2 and time.monotonic() < deadline:
        letters += dlq.poll(0.5)
    dlq.close()
    by_key = {r.key: r for r in letters}
    assert set(by_key) == {"t13", "garbage"}
    assert by_key["t13"].header("gsi-error") == b"ValueError: 13 is refused by this handler"
    assert by_key["t13"].header("gsi-original-topic") == topic.encode()
