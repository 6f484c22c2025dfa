"""The outbox relay: order, acknowledgement before mark-sent, and a crash in between."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from gsi_kernel.bus.port import TopicSpec
from gsi_kernel.clock import FixedClock, SystemClock
from gsi_kernel.envelope import CommandContext, EventEnvelope
from gsi_kernel.relay import OutboxRelay
from gsi_kernel.store.outbox import Outbox
from gsi_kernel.store.tables import leases
from gsi_kernel.telemetry import Telemetry
from tests.integration.conftest import Infra
from tests.integration.support import Tallied, counter, create_tables, read_tallies, tally, writer

CHILD = Path(__file__).with_name("relay_crash_child.py")


def _relay(infra: Infra) -> OutboxRelay:
    return OutboxRelay(
        db=infra.db,
        producer=infra.bus.producer(),
        clock=SystemClock(),
        telemetry=Telemetry("test"),
        lease_ttl=timedelta(seconds=1),
    )


def _pending(infra: Infra) -> int:
    with infra.db.transaction() as connection:
        return Outbox().pending_count(connection)


def _drain(runner_step, expected: int, deadline_s: float = 30.0) -> int:  # type: ignore[no-untyped-def]
    handled, deadline = 0, time.monotonic() + deadline_s
    while handled < expected and time.monotonic() < deadline:
        handled += runner_step()
    return handled


def test_relay_publishes_in_order_per_stream_and_marks_sent(infra: Infra) -> None:
    topic = f"relay-{uuid.uuid4().hex[:8]}"
    infra.bus.ensure_topics([TopicSpec(topic, 3)])
    create_tables(infra.db)
    w = writer(infra.db, topic)
    for amount in range(1, 11):
        tally(w, f"stream-{amount % 3}", amount)
    relay = _relay(infra)
    assert relay.run_once() == 10
    assert _pending(infra) == 0
    assert relay.run_once() == 0
    consumer = infra.bus.consumer(f"g-{uuid.uuid4().hex[:8]}", [topic])
    records, deadline = [], time.monotonic() + 30
    while len(records) < 10 and time.monotonic() < deadline:
        records += consumer.poll(0.5)
    consumer.close()
    by_stream: dict[str, list[int]] = {}
    for record in records:
        by_stream.setdefault(record.key, []).append(EventEnvelope.from_bytes(record.value).stream_version)
    assert sum(len(v) for v in by_stream.values()) == 10
    assert all(versions == sorted(versions) for versions in by_stream.values())
    relay.close()


def test_relay_killed_between_publish_and_mark_sent_still_yields_one_effect(infra: Infra) -> None:
    topic = f"crash-{uuid.uuid4().hex[:8]}"
    infra.bus.ensure_topics([TopicSpec(topic, 3)])
    create_tables(infra.db)
    w = writer(infra.db, topic)
    for amount in range(1, 6):
        tally(w, f"s{amount % 2}", amount)  # s1: 1+3+5, s0: 2+4

    spec = {"kind": infra.kind, "bus": infra.bus_location, "url": infra.database_url, "schema": infra.schema}
    child = subprocess.run([sys.executable, str(CHILD), json.dumps(spec)], capture_output=True, timeout=120)
    assert child.returncode == -9, child.stderr.decode()[-2000:]
    assert _pending(infra) == 5  # published and acknowledged, but never marked sent

    relay = _relay(infra)
    assert _drain(relay.run_once, 5, deadline_s=10) == 5  # once the dead relay's lease expires
    assert _pending(infra) == 0

    runner = counter(infra.db, infra.bus, topic)
    assert _drain(runner.run_once, 10) == 10  # every event arrived twice…
    runner.close()
    assert read_tallies(infra.db) == {"s1": (9, 3), "s0": (6, 2)}  # …and was applied once
    relay.close()


def _lease(infra: Infra) -> tuple[str, datetime]:
    with infra.db.transaction() as connection:
        row = connection.execute(select(leases.c.holder, leases.c.expires_at)).one()
    return str(row.holder), row.expires_at


@pytest.mark.parametrize("later_s", [5, 14])
def test_the_relay_renews_its_lease_only_when_half_of_it_is_left_and_keeps_it_meanwhile(
    infra: Infra, later_s: int
) -> None:
    topic = f"lease-{uuid.uuid4().hex[:8]}"
    infra.bus.ensure_topics([TopicSpec(topic, 1)])
    create_tables(infra.db)
    w = writer(infra.db, topic)
    clock = FixedClock(datetime(2026, 11, 20, 15, tzinfo=UTC))

    def relay(holder: str) -> OutboxRelay:
        telemetry = Telemetry("test")
        ttl = timedelta(seconds=30)
        return OutboxRelay(
            db=infra.db,
            producer=infra.bus.producer(),
            clock=clock,
            telemetry=telemetry,
            lease_ttl=ttl,
            holder=holder,
        )

    first, second = relay("first"), relay("second")
    tally(w, "s", 1)
    assert first.run_once() == 1
    assert _lease(infra) == ("first", clock.now() + timedelta(seconds=30))
    clock.advance(timedelta(seconds=later_s))
    tally(w, "s", 2)
    assert second.run_once() == 0  # the lease is still the first relay's, renewed or not
    assert first.run_once() == 1
    assert _lease(infra) == ("first", datetime(2026, 11, 20, 15, 0, 30, tzinfo=UTC))  # not renewed
    clock.advance(timedelta(seconds=16 - later_s + 1))  # 17 s in: less than half is left
    tally(w, "s", 3)
    assert first.run_once() == 1
    assert _lease(infra) == ("first", clock.now() + timedelta(seconds=30))
    first.close()
    second.close()


def test_a_standby_relay_looks_at_a_taken_lease_again_only_after_a_tenth_of_it(infra: Infra) -> None:
    topic = f"standby-{uuid.uuid4().hex[:8]}"
    infra.bus.ensure_topics([TopicSpec(topic, 1)])
    create_tables(infra.db)
    w = writer(infra.db, topic)
    clock = FixedClock(datetime(2026, 11, 20, 15, tzinfo=UTC))
    first, second = (
        OutboxRelay(
            db=infra.db,
            producer=infra.bus.producer(),
            clock=clock,
            telemetry=Telemetry("test"),
            lease_ttl=timedelta(seconds=30),
            holder=holder,
        )
        for holder in ("first", "second")
    )
    tally(w, "s", 1)
    assert first.run_once() == 1
    assert second.run_once() == 0  # taken: the second relay stands by for 3 s
    second.close()  # a relay that does not hold the lease leaves it alone when it stops
    assert _lease(infra)[0] == "first"
    second = OutboxRelay(
        db=infra.db,
        producer=infra.bus.producer(),
        clock=clock,
        telemetry=Telemetry("test"),
        lease_ttl=timedelta(seconds=30),
        holder="second",
    )
    assert second.run_once() == 0  # taken: it stands by for 3 s
    first.close()  # the first one stops cleanly: it gives the lease back
    with infra.db.transaction() as connection:
        assert connection.execute(select(leases.c.holder)).all() == []
    tally(w, "s", 2)
    clock.advance(timedelta(seconds=2))
    assert second.run_once() == 0  # still standing by: it did not look
    clock.advance(timedelta(seconds=1, milliseconds=1))
    assert second.run_once() == 1  # it looked, took the free lease and published
    assert _lease(infra) == ("second", clock.now() + timedelta(seconds=30))
    second.close()


def test_messages_of_one_trace_in_a_batch_share_one_publish_span(infra: Infra, tmp_path: Path) -> None:
    """An import's thousands of messages are one trace: one publish span per batch, not one per
    message; a declaration's message still gets its own."""
    topic = f"relay-{uuid.uuid4().hex[:8]}"
    infra.bus.ensure_topics([TopicSpec(topic, 1)])
    create_tables(infra.db)
    w = writer(infra.db, topic)
    imported = CommandContext.new("import", "org-test", f"00-{'a' * 32}-{'1' * 16}-01")
    declared = CommandContext.new("karine", "org-test", f"00-{'b' * 32}-{'2' * 16}-01")
    w.append_new_streams([(f"row-{n}", [Tallied(amount=n)]) for n in range(4)], imported)
    w.execute("declared", lambda _history: [Tallied(amount=9)], declared)
    telemetry = Telemetry("test", trace_file=tmp_path / "spans.jsonl")
    relay = OutboxRelay(db=infra.db, producer=infra.bus.producer(), clock=SystemClock(), telemetry=telemetry)
    assert relay.run_once() == 5
    relay.close()
    telemetry.shutdown()
    consumer = infra.bus.consumer(f"g-{uuid.uuid4().hex[:8]}", [topic])
    records, deadline = [], time.monotonic() + 30
    while len(records) < 5 and time.monotonic() < deadline:
        records += consumer.poll(0.5)
    consumer.close()
    parents = {r.key: (r.header("traceparent") or b"").decode() for r in records}
    spans = [json.loads(line) for line in (tmp_path / "spans.jsonl").read_text().splitlines()]
    assert sorted((s["trace_id"], s["kind"]) for s in spans) == [
        ("a" * 32, "PRODUCER"),
        ("b" * 32, "PRODUCER"),
    ]
    import_parents = {parents[f"row-{n}"] for n in range(4)}
    assert len(import_parents) == 1  # the four rows: one span
    assert import_parents.pop().split("-")[1] == "a" * 32
    assert parents["declared"].split("-")[1] == "b" * 32
