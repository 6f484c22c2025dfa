"""The stream writer's API (ADR 26), on SQLite and PostgreSQL alike: a decision's result comes
back from ``execute``, and a caller's transaction holds the events it records."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from gsi_kernel.clock import FixedClock
from gsi_kernel.envelope import EventEnvelope
from gsi_kernel.errors import ConcurrencyConflict
from gsi_kernel.events import DomainEvent, EventRegistry
from gsi_kernel.store.database import Database
from gsi_kernel.store.tables import outbox
from gsi_kernel.writer import Decision, StreamWriter, integration_event
from tests.contract.test_event_store import CONTEXT, Noted, store


class Refused(Exception):
    """What a caller raises after the writer recorded, to roll its transaction back."""


def refused_after(record: Callable[[], object]) -> None:
    """Record, then refuse (e.g. a row that had to commit with the events was refused)."""
    record()
    raise Refused


def writer(database: Database, projected: list[str] | None = None) -> StreamWriter:
    """A writer that publishes every event and 'projects' it into ``projected`` (its texts)."""

    def project(_connection: object, events: Sequence[EventEnvelope]) -> None:
        if projected is not None:
            projected.extend(e.payload["text"] for e in events)

    return StreamWriter(
        db=database,
        store=store(),
        registry=EventRegistry([Noted]),
        clock=FixedClock(datetime(2026, 11, 20, 15, tzinfo=UTC)),
        publisher=lambda e: [integration_event(e, "test.noted", Noted(text=e.payload["text"]))],
        project=project,
    )


def texts(database: Database, stream_id: str) -> list[str]:
    with database.transaction() as c:
        return [e.payload["text"] for e in store().load(c, stream_id)]


def outbox_count(database: Database) -> int:
    with database.transaction() as c:
        return len(c.execute(select(outbox.c.key)).all())


def test_execute_returns_the_decisions_result_with_the_recorded_events(database: Database) -> None:
    w = writer(database)
    w.execute("note-1", lambda _history: [Noted(text="first")], CONTEXT)

    def decide(history: list[DomainEvent]) -> Decision[int]:
        decided = [Noted(text="second"), Noted(text="third")]
        return Decision(decided, len(history) + len(decided))  # what the stream holds after it

    executed = w.execute("note-1", decide, CONTEXT)
    assert executed.result == 3
    assert [(e.stream_version, e.payload["text"]) for e in executed.events] == [(2, "second"), (3, "third")]
    assert texts(database, "note-1") == ["first", "second", "third"]


def test_a_decision_of_events_alone_has_no_result(database: Database) -> None:
    executed = writer(database).execute("note-2", lambda _history: [Noted(text="only")], CONTEXT)
    assert executed.result is None
    assert [e.payload["text"] for e in executed.events] == ["only"]


def test_a_refused_decision_records_nothing_and_returns_nothing(database: Database) -> None:
    w = writer(database)
    w.execute("note-3", lambda _history: [Noted(text="first")], CONTEXT)
    with pytest.raises(ConcurrencyConflict):  # a new stream whose id is taken
        w.execute(
            "note-3", lambda _history: Decision([Noted(text="clash")], "lost"), CONTEXT, new_stream=True
        )
    assert texts(database, "note-3") == ["first"]


def test_execute_in_the_callers_transaction_commits_and_rolls_back_with_it(database: Database) -> None:
    projected: list[str] = []
    w = writer(database, projected)
    with database.transaction() as c:
        executed = w.execute("note-4", lambda _h: Decision([Noted(text="kept")], "ok"), CONTEXT, connection=c)
        assert executed.result == "ok"
        assert projected == ["kept"]  # the read models took it in the caller's transaction
    with pytest.raises(Refused), database.transaction() as c:
        refused_after(lambda: w.execute("note-4", lambda _h: [Noted(text="undone")], CONTEXT, connection=c))
    assert texts(database, "note-4") == ["kept"]
    assert outbox_count(database) == 1  # the undone event's outbox row went with it


def test_new_streams_in_the_callers_transaction_roll_back_with_it(database: Database) -> None:
    w = writer(database)
    with database.transaction() as c:
        assert w.append_new_streams([("new-1", [Noted(text="a")])], CONTEXT, connection=c) == ["new-1"]
    with pytest.raises(Refused), database.transaction() as c:
        refused_after(lambda: w.append_new_streams([("new-2", [Noted(text="b")])], CONTEXT, connection=c))
    assert texts(database, "new-1") == ["a"]
    assert texts(database, "new-2") == []
    assert outbox_count(database) == 1
