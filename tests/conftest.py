"""Test-suite wiring shared by every tier: where the real PostgreSQL and Kafka are.

Resolution order for each server:
1. the environment (``GSI_TEST_DATABASE_URL`` / ``KAFKA_BOOTSTRAP_SERVERS``), which
   ``scripts/test.sh`` sets after starting the servers from ``deploy/local/``;
2. testcontainers, where a Docker engine answers;
3. otherwise the test is skipped with the reason — unless ``GSI_REQUIRE_INFRA=1`` (set by
   ``scripts/test.sh`` and so by CI), where a missing server fails the run instead.

Two lanes (``scripts/test.sh`` runs pytest-xdist with ``-n 2``, ADR 36): the tiers
that start servers and service processes (cluster, e2e, faults, portal, replicas) run one after
the other in one lane, as they would alone — fixed ports, their own brokers, timing under load —
while the in-process tiers' modules (unit, contract, integration, api, security) go, a module at
a time, to whichever lane is free.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests import in_process
from tests.e2e.flow import Services

PROCESS_TIERS = ("cluster", "e2e", "faults", "portal", "replicas")


def _tier(nodeid_or_path: str) -> str:
    """``tests/<tier>/…`` → ``<tier>``."""
    return nodeid_or_path.split("::", 1)[0].split("/")[1]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The process tiers' tests first, so that their lane starts at once (a stable sort: each
    lane keeps its order)."""
    items.sort(key=lambda item: _tier(item.nodeid) not in PROCESS_TIERS)


@pytest.hookimpl(optionalhook=True)  # without pytest-xdist (-p no:xdist), one lane
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """pytest-xdist's scheduling by scope, with our scopes: every process tier's test in one
    ("processes"), else its module (a module's fixtures are built once, on one worker)."""
    from xdist.scheduler import LoadScopeScheduling  # type: ignore[import-untyped]

    class Lanes(LoadScopeScheduling):  # type: ignore[misc]  # xdist has no types
        def _split_scope(self, nodeid: str) -> str:
            return "processes" if _tier(nodeid) in PROCESS_TIERS else nodeid.split("::", 1)[0]

    return Lanes(config, log)


def _docker_available() -> bool:
    try:
        import docker  # type: ignore[import-untyped]

        docker.from_env().ping()
    except Exception:  # any failure means "no engine here"
        return False
    return True


def _missing(what: str, env: str) -> None:
    reason = f"{what} not available: set {env} or run `make test`, which starts it"
    if os.environ.get("GSI_REQUIRE_INFRA") == "1":
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A SQLAlchemy URL of a real PostgreSQL database the tests may freely write to."""
    url = os.environ.get("GSI_TEST_DATABASE_URL")
    if url:
        yield url
        return
    if _docker_available():
        from testcontainers.community.postgres import PostgresContainer

        with PostgresContainer("postgres:15", driver="psycopg") as pg:
            yield pg.get_connection_url()
        return
    _missing("PostgreSQL", "GSI_TEST_DATABASE_URL")


@pytest.fixture(scope="session")
def kafka_bootstrap() -> Iterator[str]:
    """Bootstrap servers of a real Apache Kafka broker."""
    servers = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if servers:
        yield servers
        return
    if _docker_available():
        from testcontainers.community.kafka import KafkaContainer

        with KafkaContainer("confluentinc/cp-kafka:7.6.0").with_kraft() as kafka:
            yield kafka.get_bootstrap_server()
        return
    _missing("Apache Kafka", "KAFKA_BOOTSTRAP_SERVERS")


@pytest.fixture
def embedded_services(tmp_path: Path) -> Iterator[Services]:
    """The four services in this process, embedded mode (SQLite + embedded log)."""
    with in_process.embedded_services(tmp_path) as services:
        yield services
