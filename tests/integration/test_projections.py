"""Projections of the local store: a command's events applied in its transaction (ADR 28), the
checkpointed catch-up of the others, and a full rebuild from the store."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Sequence
from typing import cast

import pytest
from sqlalchemy import Connection, delete, func, select

from gsi_kernel.bus.embedded import EmbeddedBus
from gsi_kernel.envelope import EventEnvelope
from gsi_kernel.projections import EventByEvent, Projection, ProjectionRunner
from gsi_kernel.store.event_store import EventStore
from gsi_kernel.store.tables import checkpoints, outbox
from gsi_kernel.store.tracking import read_cursor
from gsi_kernel.writer import StreamWriter
from tests.databases import postgres_database
from tests.integration.conftest import Infra
from tests.integration.support import (
    CLOCK,
    CONTEXT,
    REGISTRY,
    Tallied,
    count,
    create_tables,
    read_tallies,
    tallies,
    tally,
    writer,
)


class TallyProjection(EventByEvent):
    name = "test.tallies"

    def apply(self, connection: Connection, event: EventEnvelope) -> None:
        count(connection, event)  # not idempotent: the checkpoint alone keeps it exact

    def reset(self, connection: Connection) -> None:
        connection.execute(delete(tallies))


def _runner(infra: Infra) -> ProjectionRunner:
    store = EventStore(source="gsi/test", clock=CLOCK)
    return ProjectionRunner(
        db=infra.db,
        store=store,
        projections=[TallyProjection()],
        clock=CLOCK,
        name="test.read-models",
        batch_size=3,
    )


def _catch_up(runner: ProjectionRunner, infra: Infra) -> None:
    """Catch up past every stored event, waiting for the transactions older than them (other
    tests on the same server may hold some open for a moment: the catch-up stops short of them)."""
    last = max((e.cursor for e in _stored(infra)), default=(0, 0))
    deadline = time.monotonic() + 30
    while True:
        runner.catch_up()
        with infra.db.transaction() as c:
            if read_cursor(c, "test.read-models") >= last:
                return
        assert time.monotonic() < deadline, f"the catch-up did not reach {last}"
        time.sleep(0.01)


def _checkpoint(infra: Infra) -> int:
    with infra.db.transaction() as c:
        return int(
            c.execute(
                select(checkpoints.c.position).where(checkpoints.c.name == "test.read-models")
            ).scalar_one()
        )


def test_catch_up_applies_each_event_once_and_moves_the_checkpoint(infra: Infra) -> None:
    create_tables(infra.db)
    w = writer(infra.db, "unused")
    for amount in (1, 2, 3, 4):
        tally(w, "p", amount)
    runner = _runner(infra)
    _catch_up(runner, infra)
    _catch_up(runner, infra)  # nothing new: nothing applied twice
    assert read_tallies(infra.db) == {"p": (10, 4)}
    first_checkpoint = _checkpoint(infra)
    tally(w, "p", 5)
    _catch_up(_runner(infra), infra)  # a new runner resumes from the stored checkpoint
    assert read_tallies(infra.db) == {"p": (15, 5)}
    assert _checkpoint(infra) > first_checkpoint


def test_rebuild_replays_the_whole_store_into_an_emptied_read_model(infra: Infra) -> None:
    create_tables(infra.db)
    w = writer(infra.db, "unused")
    for amount in range(1, 8):
        tally(w, f"r{amount % 2}", amount)
    runner = _runner(infra)
    _catch_up(runner, infra)
    expected = read_tallies(infra.db)
    with infra.db.transaction() as c:  # the read model is damaged (or its code changed)
        c.execute(delete(tallies).where(tallies.c.stream_id == "r0"))
    assert read_tallies(infra.db) != expected
    assert runner.rebuild("test.tallies") == 7
    assert read_tallies(infra.db) == expected == {"r1": (16, 4), "r0": (12, 3)}


def test_the_rebuild_command_replays_a_service_projection(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import subprocess
    import sys

    env = {"GSI_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    migrate = subprocess.run(
        [sys.executable, "-m", "registration", "migrate"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert migrate.returncode == 0, migrate.stderr
    done = subprocess.run(
        [sys.executable, "-m", "registration", "rebuild", "registration.persons"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "registration.persons: rebuilt from 0 events" in done.stdout
    wrong = subprocess.run(
        [sys.executable, "-m", "registration", "rebuild", "nope"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert wrong.returncode == 2
    assert "registration.persons" in wrong.stderr


# ---- read-your-writes: in the command's transaction (ADR 28) --------------------------------


class FailingProjection(EventByEvent):
    name = "test.failing"

    def apply(self, connection: Connection, event: EventEnvelope) -> None:
        raise RuntimeError("this read model cannot take the event")

    def reset(self, connection: Connection) -> None:
        """Nothing to empty."""


def _inline(infra: Infra, *projections: Projection) -> tuple[ProjectionRunner, StreamWriter]:
    """A runner, and the writer that applies its projections in each command's transaction."""
    store = EventStore(source="gsi/test", clock=CLOCK)
    runner = ProjectionRunner(
        db=infra.db,
        store=store,
        projections=list(projections) or [TallyProjection()],
        clock=CLOCK,
        name="test.read-models",
        batch_size=3,
    )
    w = StreamWriter(
        db=infra.db,
        store=store,
        registry=REGISTRY,
        clock=CLOCK,
        project=runner.apply_inline,
    )
    return runner, w


class BatchesSeen:
    """A projection that folds a batch its own way (no per-event ``apply``): the one protocol
    (ADR 30) hands it whole batches, with no lookup for an optional method."""

    name = "test.batches"

    def __init__(self) -> None:
        self.batches: list[list[str]] = []

    def apply_batch(self, connection: Connection, batch: Sequence[EventEnvelope]) -> None:
        self.batches.append([e.stream_id for e in batch])
        for event in batch:
            count(connection, event)

    def reset(self, connection: Connection) -> None:
        connection.execute(delete(tallies))


def test_the_runner_hands_every_projection_whole_batches(infra: Infra) -> None:
    create_tables(infra.db)
    for stream in ("c", "d", "e"):
        tally(writer(infra.db, "unused"), stream, 1)  # events no command projected
    seen = BatchesSeen()
    runner, w = _inline(infra, seen)
    _catch_up(runner, infra)
    assert seen.batches == [["c", "d", "e"]]  # the catch-up's batch, in one call
    w.append_new_streams([("a", [Tallied(amount=1)]), ("b", [Tallied(amount=2)])], CONTEXT)
    assert seen.batches[1:] == [["a", "b"]]  # a command's events, in one call, in its transaction
    seen.batches.clear()
    assert runner.rebuild("test.batches") == 5
    assert sorted(s for batch in seen.batches for s in batch) == ["a", "b", "c", "d", "e"]
    assert read_tallies(infra.db) == {"a": (1, 1), "b": (2, 1), "c": (1, 1), "d": (1, 1), "e": (1, 1)}


def test_event_by_event_folds_a_batch_in_order() -> None:
    folded: list[str] = []

    class Folding(EventByEvent):
        name = "test.folding"

        def apply(self, connection: Connection, event: EventEnvelope) -> None:
            folded.append(event.stream_id)

        def reset(self, connection: Connection) -> None:
            """Nothing to empty."""

    projection: Projection = Folding()  # mypy: a base's subclass is a Projection
    events = [_envelope(stream) for stream in ("x", "y", "z")]
    projection.apply_batch(cast(Connection, None), events)
    assert folded == ["x", "y", "z"]


def _envelope(stream_id: str) -> EventEnvelope:
    return EventEnvelope(
        event_id=str(uuid.uuid4()),
        type="Tallied",
        schema_version=1,
        source="gsi/test",
        stream_id=stream_id,
        stream_version=1,
        occurred_at=CLOCK.now(),
        recorded_at=CLOCK.now(),
        actor="test",
        organization=None,
        correlation_id=str(uuid.uuid4()),
        causation_id=None,
        traceparent=None,
        payload={"amount": 1},
    )


def _stored(infra: Infra) -> list[EventEnvelope]:
    with infra.db.transaction() as c:
        return EventStore(source="gsi/test", clock=CLOCK).read_all(c, settled=True)


def test_inline_projections_take_a_commands_events_in_its_own_transaction(infra: Infra) -> None:
    create_tables(infra.db)
    runner, w = _inline(infra)
    [recorded] = w.execute("p", lambda _history: [Tallied(amount=4)], CONTEXT).events
    assert recorded.projected
    assert read_tallies(infra.db) == {"p": (4, 1)}  # readable at once, nothing caught up
    w.append_new_streams([("q", [Tallied(amount=1), Tallied(amount=2)])], CONTEXT)
    assert read_tallies(infra.db) == {"p": (4, 1), "q": (3, 2)}
    assert [e.projected for e in _stored(infra)] == [True, True, True]
    # The catch-up only moves the checkpoint past them: nothing is applied twice.
    _catch_up(runner, infra)
    assert runner.run_once() == 0
    assert read_tallies(infra.db) == {"p": (4, 1), "q": (3, 2)}
    assert _checkpoint(infra) == max(e.position or 0 for e in _stored(infra))


def test_inline_the_catch_up_still_applies_events_that_were_not_projected(infra: Infra) -> None:
    """Events appended before the service went inline: the checkpoint has not passed them."""
    create_tables(infra.db)
    tally(writer(infra.db, "unused"), "old", 5)  # appended after the command, not projected yet
    runner, w = _inline(infra)
    tally(w, "new", 7)
    assert read_tallies(infra.db) == {"new": (7, 1)}
    _catch_up(runner, infra)
    assert read_tallies(infra.db) == {"new": (7, 1), "old": (5, 1)}


def test_a_failing_inline_projection_fails_the_command_and_writes_nothing(infra: Infra) -> None:
    create_tables(infra.db)
    _, w = _inline(infra, TallyProjection(), FailingProjection())
    with pytest.raises(RuntimeError, match="cannot take the event"):
        tally(w, "p", 1)
    with pytest.raises(RuntimeError, match="cannot take the event"):
        w.append_new_streams([("q", [Tallied(amount=1)])], CONTEXT)
    assert _stored(infra) == []
    assert read_tallies(infra.db) == {}
    with infra.db.transaction() as c:
        assert c.execute(select(func.count()).select_from(outbox)).scalar_one() == 0


def test_inline_a_rebuild_replays_projected_events_past_the_checkpoint_once(infra: Infra) -> None:
    create_tables(infra.db)
    tally(writer(infra.db, "unused"), "old", 1)  # not projected: the checkpoint decides
    runner, w = _inline(infra)
    _catch_up(runner, infra)
    for amount in (2, 3, 4):
        tally(w, "new", amount)  # projected inline; the checkpoint stays behind them
    before = read_tallies(infra.db)
    assert before == {"old": (1, 1), "new": (9, 3)}
    assert runner.rebuild("test.tallies") == 4
    assert read_tallies(infra.db) == before
    assert runner.run_once() == 0  # and the catch-up after it applies none of them again
    assert read_tallies(infra.db) == before


class PausingTallies(TallyProjection):
    """Tallies whose reset pauses until told, to append while a rebuild is under way."""

    def __init__(self) -> None:
        self.in_reset = threading.Event()
        self.go_on = threading.Event()

    def reset(self, connection: Connection) -> None:
        super().reset(connection)
        self.in_reset.set()
        self.go_on.wait(10)


@pytest.mark.postgres
def test_inline_a_rebuild_holds_appends_off_until_it_commits(postgres_url: str) -> None:
    """An append landing between the reset and the replay would be lost (its row deleted, its
    event not replayed) or applied twice: the rebuild makes it wait."""
    with postgres_database(postgres_url) as db:
        infra = Infra("postgres", db, EmbeddedBus(":memory:"), postgres_url, db.schema, "")
        create_tables(db)
        tallies_ = PausingTallies()
        runner, w = _inline(infra, tallies_)
        tally(w, "p", 1)
        rebuild = threading.Thread(target=runner.rebuild, args=("test.tallies",))
        rebuild.start()
        assert tallies_.in_reset.wait(10)
        appended = threading.Event()
        # Another stream: a row the reset did not lock, which only the table lock keeps out.
        append = threading.Thread(target=lambda: (tally(w, "q", 10), appended.set()))
        append.start()
        assert not appended.wait(0.5)  # the command waits for the rebuild
        tallies_.go_on.set()
        rebuild.join(10)
        append.join(10)
        assert appended.is_set()
        assert read_tallies(db) == {"p": (1, 1), "q": (10, 1)}
