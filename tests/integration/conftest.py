"""Integration wiring: a store (database) and a bus, either both embedded (SQLite + embedded
log) or both real (PostgreSQL + Kafka)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from gsi_kernel.bus.embedded import EmbeddedBus
from gsi_kernel.bus.kafka import KafkaBus
from gsi_kernel.bus.port import Bus
from gsi_kernel.store.database import Database
from tests.databases import postgres_database, sqlite_database


@dataclass
class Infra:
    kind: str
    db: Database
    bus: Bus
    database_url: str
    schema: str | None
    bus_location: str  # embedded log path or Kafka bootstrap servers


@pytest.fixture(
    params=[
        "embedded",
        pytest.param("postgres+kafka", marks=[pytest.mark.postgres, pytest.mark.kafka]),
    ]
)
def infra(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Infra]:
    if request.param == "embedded":
        with sqlite_database(tmp_path) as db:
            log = tmp_path / "bus.db"
            yield Infra("embedded", db, EmbeddedBus(log), str(db.engine.url), None, str(log))
        return
    url = request.getfixturevalue("postgres_url")
    servers = request.getfixturevalue("kafka_bootstrap")
    with postgres_database(url) as db:
        yield Infra("postgres+kafka", db, KafkaBus(servers), url, db.schema, servers)
