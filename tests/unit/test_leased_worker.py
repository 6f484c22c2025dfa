"""The leased worker (gsi_kernel.workers.LeasedWorker): with several replicas each running it,
only the lease's holder steps; a holder that stops cleanly hands over at once, one that dies
after its lease has run out."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from gsi_kernel.clock import FixedClock
from gsi_kernel.store.database import Database
from gsi_kernel.workers import LeasedWorker
from tests.databases import sqlite_database

TTL = timedelta(minutes=10)


class Counting:
    def __init__(self) -> None:
        self.steps = 0
        self.closed = False

    def run_once(self) -> int:
        self.steps += 1
        return 1

    def close(self) -> None:
        self.closed = True


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    with sqlite_database(tmp_path) as database:
        yield database


def leased(db: Database, clock: FixedClock, holder: str) -> tuple[LeasedWorker, Counting]:
    inner = Counting()
    return LeasedWorker(inner, db=db, name="job", clock=clock, ttl=TTL, holder=holder), inner


def test_only_the_holder_steps_and_a_clean_stop_hands_over(db: Database) -> None:
    clock = FixedClock(datetime(2026, 12, 7, 12, tzinfo=UTC))
    first, first_job = leased(db, clock, "first")
    second, second_job = leased(db, clock, "second")
    assert [first.run_once(), second.run_once(), first.run_once(), second.run_once()] == [1, 0, 1, 0]
    assert (first_job.steps, second_job.steps) == (2, 0)
    first.close()
    assert first_job.closed
    assert second.run_once() == 1, "given back: the other takes it at once"
    assert second_job.steps == 1


def test_a_dead_holders_lease_lapses(db: Database) -> None:
    clock = FixedClock(datetime(2026, 12, 7, 12, tzinfo=UTC))
    dead, _ = leased(db, clock, "dead")
    survivor, survivor_job = leased(db, clock, "survivor")
    assert dead.run_once() == 1  # then it dies: nothing given back
    clock.set(clock.now() + TTL - timedelta(seconds=1))
    assert survivor.run_once() == 0
    clock.set(clock.now() + timedelta(seconds=2))
    assert survivor.run_once() == 1
    assert survivor_job.steps == 1
