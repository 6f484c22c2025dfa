"""Projections of the local store: checkpointed catch-up, and a full rebuild from the store."""

from __future__ import annotations

from sqlalchemy import Connection, delete, select

from gsi_kernel.envelope import EventEnvelope
from gsi_kernel.projections import ProjectionRunner, ProjectionWorker
from gsi_kernel.store.event_store import EventStore
from gsi_kernel.store.tables import checkpoints
from tests.integration.conftest import Infra
from tests.integration.support import (
    CLOCK,
    CONTEXT,
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
