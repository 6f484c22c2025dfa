"""The replicas tier: two or three replicas of a service, real processes, on the shared
PostgreSQL and Kafka (``GSI_REQUIRE_INFRA=1``: a missing server fails the run)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.replicas.cluster import Run, run_on_shared_servers


@pytest.fixture
def shared(tmp_path: Path, postgres_url: str, kafka_bootstrap: str) -> Iterator[Run]:
    with run_on_shared_servers(postgres_url, kafka_bootstrap, tmp_path) as run:
        yield run
