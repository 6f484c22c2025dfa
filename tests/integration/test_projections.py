"""Projections of the local store: checkpointed catch-up, and a full rebuild from the store."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import Connection, delete, func, select

from gsi_kernel.bus.embedded import EmbeddedBus
from gsi_kernel.envelope import EventEnvelope
from gsi_kernel.projections import ProjectionRunner, ProjectionWorker
from gsi_kernel.store.event_store import EventStore
from gsi_kernel.store.tables import checkpoints, outbox
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


class TallyProjection:
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
    runner.catch_up()
    runner.catch_up()  # nothing new: nothing applied twice
    assert read_tallies(infra.db) == {"p": (10, 4)}
    first_checkpoint = _checkpoint(infra)
    tally(w, "p", 5)
    assert _runner(infra).run_once() == 1  # a new runner resumes from the stored checkpoint
    assert read_tallies(infra.db) == {"p": (15, 5)}
    assert _checkpoint(infra) > first_checkpoint


def test_rebuild_replays_the_whole_store_into_an_emptied_read_model(infra: Infra) -> None:
    create_tables(infra.db)
    w = writer(infra.db, "unused")
    for amount in range(1, 8):
        tally(w, f"r{amount % 2}", amount)
    runner = _runner(infra)
    runner.catch_up()
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


def test_the_background_worker_stands_aside_while_requests_catch_up(infra: Infra) -> None:
    create_tables(infra.db)
    w = writer(infra.db, "unused")
    runner = _runner(infra)
    worker = ProjectionWorker(runner, quiet_s=60)
    assert worker.run_once() == 0  # nothing yet
    [recorded] = w.execute("p", lambda _history: [Tallied(amount=1)], CONTEXT)
    runner.catch_up_through(recorded.cursor)  # what a request does after its command
    tally(w, "p", 2)
    assert worker.run_once() == 0  # requests keep the read models up to date: stand aside
    assert ProjectionWorker(runner, quiet_s=0).run_once() == 1  # otherwise: catch up
    assert read_tallies(infra.db) == {"p": (3, 2)}


# ---- inline projections (ADR 16) ----------------------------------------------------------


class FailingProjection:
    name = "test.failing"

    def apply(self, connection: Connection, event: EventEnvelope) -> None:
        raise RuntimeError("this read model cannot take the event")

    def reset(self, connection: Connection) -> None:
        """Nothing to empty."""


def _inline(infra: Infra, *projections: object) -> tuple[ProjectionRunner, StreamWriter]:
    """A runner whose projections are inline, and the writer that applies them."""
    store = EventStore(source="gsi/test", clock=CLOCK)
    runner = ProjectionRunner(
        db=infra.db,
        store=store,
        projections=list(projections) or [TallyProjection()],  # type: ignore[arg-type]
        clock=CLOCK,
        name="test.read-models",
        batch_size=3,
        inline=True,
    )
    w = StreamWriter(
        db=infra.db,
        store=store,
        registry=REGISTRY,
        clock=CLOCK,
        project=lambda _cursor: pytest.fail("inline: no catch-up after the command"),
        project_inline=runner.apply_inline,
    )
    return runner, w


def _stored(infra: Infra) -> list[EventEnvelope]:
    with infra.db.transaction() as c:
        return EventStore(source="gsi/test", clock=CLOCK).read_all(c, settled=True)


def test_inline_projections_take_a_commands_events_in_its_own_transaction(infra: Infra) -> None:
    create_tables(infra.db)
    runner, w = _inline(infra)
    [recorded] = w.execute("p", lambda _history: [Tallied(amount=4)], CONTEXT)
    assert recorded.projected
    assert read_tallies(infra.db) == {"p": (4, 1)}  # readable at once, nothing caught up
    w.append_new_streams([("q", [Tallied(amount=1), Tallied(amount=2)])], CONTEXT)
    assert read_tallies(infra.db) == {"p": (4, 1), "q": (3, 2)}
    assert [e.projected for e in _stored(infra)] == [True, True, True]
    # The catch-up only moves the checkpoint past them: nothing is applied twice.
    assert runner.run_once() == 0
    runner.catch_up()
    assert read_tallies(infra.db) == {"p": (4, 1), "q": (3, 2)}
    assert _checkpoint(infra) == max(e.position or 0 for e in _stored(infra))


def test_inline_the_catch_up_still_applies_events_that_were_not_projected(infra: Infra) -> None:
    """Events appended before the service went inline: the checkpoint has not passed them."""
    create_tables(infra.db)
    tally(writer(infra.db, "unused"), "old", 5)  # appended after the command, not projected yet
    runner, w = _inline(infra)
    tally(w, "new", 7)
    assert read_tallies(infra.db) == {"new": (7, 1)}
    assert runner.run_once() == 1
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
    runner.catch_up()
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
