"""Issue 19, section 1, as a property: whatever a record's key, value and headers, every
consumer of every service handles it without raising and with exactly one outcome — applied,
dead-lettered (one row at its place in the log), or ignored (a readable event of a type it
does not follow) — and handling it again (a redelivery) changes nothing. On SQLite + the
embedded log and on PostgreSQL + Kafka."""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from gsi_contracts import registration
from gsi_kernel.bus.port import Record
from gsi_kernel.consumer import ConsumerRunner, Outcome
from gsi_kernel.inbound import Readable, read_event
from gsi_kernel.runtime import Kernel
from gsi_kernel.store.tables import dead_letters
from gsi_kernel.store.tracking import processed_outcome
from tests.faults.conftest import Stack
from tests.faults.poison import person_registered

pytestmark = pytest.mark.faults

_json_leaves = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=30)
)
_json = st.recursive(
    _json_leaves,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=20,
)


@st.composite
def _envelopes(draw: st.DrawFn, handled: list[str]) -> bytes:
    """A CloudEvents document close to a real one: a registration (which two consumers
    apply), or an event of a type the consumer follows or not, its payload or attributes
    perhaps replaced by anything."""
    doc: dict[str, Any] = person_registered(f"p-{draw(st.uuids()).hex[:12]}").to_cloudevent()
    doc["id"] = draw(st.uuids().map(str) | st.uuids().map(str) | st.text(max_size=50))
    doc["type"] = draw(
        st.just("registration.PersonRegistered") | st.sampled_from(["registration.Unknown", *handled])
    )
    if draw(st.integers(0, 3)) == 0:
        doc["data"] = draw(st.dictionaries(st.text(max_size=15), _json, max_size=6))
    if draw(st.integers(0, 3)) == 0:
        doc |= draw(st.dictionaries(st.sampled_from(sorted(doc)), _json, min_size=1, max_size=2))
    return json.dumps(doc).encode()


def _values(handled: list[str]) -> st.SearchStrategy[bytes | None]:
    return st.one_of(
        st.none(),
        st.binary(max_size=300),
        _json.map(lambda doc: json.dumps(doc).encode()),
        st.integers(1, 5_000).map(lambda n: b'{"a":' * n + b"1" + b"}" * n),
        _envelopes(handled),
        _envelopes(handled),
        _envelopes(handled),
    )


_stream_keys = st.uuids().map(lambda u: f"person-{u}".encode())  # what the relay sends
_keys = st.one_of(
    _stream_keys,
    _stream_keys,
    st.none(),
    st.binary(max_size=64),
    st.binary(min_size=190, max_size=400),
    st.just(b"k" * 50_000),
)
_headers = st.just([]) | st.lists(
    st.tuples(
        st.sampled_from(["traceparent", "gsi-error", ""]) | st.text(max_size=20), st.binary(max_size=80)
    ),
    max_size=4,
)


def _state(kernel: Kernel, consumer: str, record: Record) -> tuple[int, str | None]:
    """(dead letters at the record's place, how the consumer handled the record's event id)."""
    read = read_event(record)
    event_id = read.envelope.event_id if isinstance(read, Readable) else None
    with kernel.db.transaction() as connection:
        letters = connection.execute(
            select(func.count())
            .select_from(dead_letters)
            .where(
                dead_letters.c.consumer == consumer,
                dead_letters.c.topic == record.topic,
                dead_letters.c.partition == record.partition,
                dead_letters.c.offset == record.offset,
            )
        ).scalar_one()
        outcome = None if event_id is None else processed_outcome(connection, consumer, event_id)
    return letters, outcome


def test_any_record_has_exactly_one_outcome_and_never_stops_a_consumer(stack: Stack) -> None:
    runners: list[tuple[Kernel, ConsumerRunner]] = [
        (kernel, stack.runner(kernel, spec, max_attempts=1)) for kernel, spec in stack.consumers()
    ]
    followers = [n for n, (_, r) in enumerate(runners) if registration.TOPIC in r._topics]
    offsets = itertools.count(10_000)
    seen: set[Outcome] = set()

    @settings(
        max_examples=150,
        deadline=None,
        derandomize=True,  # seeded: a failure shows again on the next run
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.large_base_example,
        ],
    )
    # Half the records go to registration's followers, the only ones a registration applies to.
    @given(
        which=st.sampled_from(followers) | st.integers(0, len(runners) - 1),
        key=_keys,
        headers=_headers,
        data=st.data(),
    )
    def check(which: int, key: bytes | None, headers: list[tuple[str, bytes]], data: st.DataObject) -> None:
        kernel, runner = runners[which]
        value = data.draw(_values(sorted(runner._handlers)), label="value")
        text = (key or b"").decode("utf-8", "replace")
        topic = runner._topics[0]
        record = Record(topic, 0, next(offsets), text, value, tuple(headers), 0, key)
        letters_before, before = _state(kernel, runner.name, record)

        outcome = runner.handle(record)

        letters, after = _state(kernel, runner.name, record)
        assert letters_before == 0
        if outcome is Outcome.DEAD_LETTERED:  # here, or as the same event at another place
            assert (letters, after) in {(1, None), (1, "dead_lettered"), (0, "dead_lettered")}
            assert letters == 1 or before == "dead_lettered"
        elif outcome is Outcome.APPLIED:  # now, or as the same event at another place
            assert (letters, after) == (0, "applied")
        else:
            assert (letters, after) == (0, before)
        assert runner.handle(record) == outcome  # delivered again: the same, and nothing more
        assert _state(kernel, runner.name, record) == (letters, after)
        seen.add(outcome)

    try:
        # A valid registration for each follower first: the outcome the drawn records reach
        # least often, so that the check below never rests on the draws alone.
        for n in followers:
            kernel, runner = runners[n]
            valid = person_registered(f"p-valid-{n}").to_bytes()
            record = Record(runner._topics[0], 0, next(offsets), "", valid, (), 0, None)
            assert runner.handle(record) is Outcome.APPLIED, runner.name
            assert _state(kernel, runner.name, record) == (0, "applied")
            seen.add(Outcome.APPLIED)
        check()
    finally:
        for _, runner in runners:
            runner.close()
    assert seen == set(Outcome), f"the records drawn reached only {seen}"
