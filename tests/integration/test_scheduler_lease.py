"""The reminder scheduler's lease between instances, on both databases: while one instance
holds it, another does not take it — including on a fresh database, where the first instance
takes it by an INSERT (on PostgreSQL an INSERT's row count is not known where the scheduler
read it: -1, which is truthy, and every instance believed it held the lease)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from gsi_kernel.runtime import Kernel
from notifications.bootstrap import build, scheduler
from notifications.settings import NotificationsSettings
from tests.databases import postgres_schema


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def kernel(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Kernel]:
    with ExitStack() as stack:
        settings = NotificationsSettings(data_dir=tmp_path, run_workers=False)
        if request.param == "postgres":
            url = request.getfixturevalue("postgres_url")
            schema = stack.enter_context(postgres_schema(url))
            settings = NotificationsSettings(
                data_dir=tmp_path, database_url=url, db_schema=schema, run_workers=False
            )
        built = build(settings).kernel
        built.migrate()
        yield built
        built.db.dispose()


def test_one_instance_holds_the_lease_at_a_time(kernel: Kernel) -> None:
    first = scheduler(kernel, lease_seconds=120, holder="first")
    second = scheduler(kernel, lease_seconds=120, holder="second")
    now = kernel.lease_clock.now()
    assert first._take_lease(now)  # a fresh database: taken by the INSERT
    assert not second._take_lease(now)
    assert first._take_lease(now)  # its holder renews it
    assert not second._take_lease(now)
