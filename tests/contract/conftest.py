from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from gsi_kernel.store.database import Database
from tests.databases import postgres_database, sqlite_database


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """The same tests against each database the store supports."""
    if request.param == "sqlite":
        with sqlite_database(tmp_path) as db:
            yield db
    else:
        with postgres_database(request.getfixturevalue("postgres_url")) as db:
            yield db
