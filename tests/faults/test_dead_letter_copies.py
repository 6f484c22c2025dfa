"""A dead letter's copy that the log refuses for its size still goes out, without its value
(the row keeps everything), so dead-lettering does not fail on a huge record (issue 19)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from pathlib import Path

import pytest
from sqlalchemy import select

from gsi_kernel.bus.embedded import EmbeddedBus
from gsi_kernel.bus.kafka import KafkaBus
from gsi_kernel.bus.port import Message, Record, RecordTooLargeError, TopicSpec
from gsi_kernel.clock import SystemClock
from gsi_kernel.dead_letters import DeadLetters
from gsi_kernel.store.tables import dead_letters
from tests.databases import sqlite_database

pytestmark = pytest.mark.faults


class _RefusesLargeCopies:
    """A producer whose log takes no message over 1 KiB, as Kafka takes none over its limit."""

    def __init__(self) -> None:
        self.sent: list[Message] = []

    def publish(self, messages: Sequence[Message]) -> None:
        if any(len(m.value or b"") + len(m.key) > 1024 for m in messages):
            raise RecordTooLargeError("too large")
        self.sent += messages

    def close(self) -> None:
        pass


def test_a_copy_too_large_for_the_log_goes_without_its_value(tmp_path: Path) -> None:
    bus = EmbeddedBus(tmp_path / "bus.db")
    producer = _RefusesLargeCopies()
    bus.producer = lambda: producer  # type: ignore[assignment,method-assign,return-value]
    with sqlite_database(tmp_path) as db:
        letters = DeadLetters(consumer="c", db=db, bus=bus, clock=SystemClock())
        huge = Record("gsi.registration", 1, 42, "k" * 2000, b"x" * 5000, (("h", b"v"),))
        assert letters.send(huge, str(uuid.uuid4()), "unreadable event: …", 1)
        assert not letters.send(huge, str(uuid.uuid4()), "unreadable event: …", 1)  # redelivered
        with db.transaction() as connection:
            rows = connection.execute(select(dead_letters.c.raw_key, dead_letters.c.value)).all()
    [copy] = producer.sent
    assert (copy.key, copy.value) == (b"", None)
    assert dict(copy.headers)["gsi-copy-truncated"] == b"1"
    assert dict(copy.headers)["gsi-original-offset"] == b"42"
    assert [tuple(r) for r in rows] == [(b"k" * 2000, b"x" * 5000)]


@pytest.mark.kafka
def test_kafka_says_a_message_is_too_large_as_such(kafka_bootstrap: str) -> None:
    bus = KafkaBus(kafka_bootstrap, namespace=f"faults-{uuid.uuid4().hex[:8]}.")
    bus.ensure_topics([TopicSpec("big", 1)])
    producer = bus.producer()
    try:
        with pytest.raises(RecordTooLargeError):
            producer.publish([Message("big", "k", b"x" * 2 * 1024 * 1024)])
    finally:
        producer.close()
