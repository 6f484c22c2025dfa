"""The replicated topology, started ONCE per test session by ``deploy/local/cluster.sh`` (the
documented command), with a topology of its own: its own folder, ports (28500…, not a developer's
28000…), Kafka topics and consumer groups (a namespace prefix) and database schemas, on the
three brokers of ``kafka-cluster.sh`` (started if they are not running, and then stopped at the
end) and PostgreSQL's database ``gsi_cluster``.

``GSI_REQUIRE_INFRA=1`` turns a topology that does not start (no PostgreSQL, no Java, no
HAProxy, a service that exits) into a failure instead of a skip.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from scripts.cluster import SERVICES, Topology
from tests.cluster.support import Cluster

ROOT = Path(__file__).resolve().parents[2]
KAFKA_CLUSTER = ROOT / "deploy/local/kafka-cluster.sh"
# Short, so that a replica takes the relay over within seconds of its holder's death
# (test_relay_failover); the standby replicas then look every 0.4 s.
LEASE_TTL_S = "4"


def _unavailable(reason: str) -> None:
    if os.environ.get("GSI_REQUIRE_INFRA") == "1":
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="package")
def cluster(postgres_url: str, request: pytest.FixtureRequest) -> Iterator[Cluster]:
    """Three Kafka brokers, two replicas of every deployable and HAProxy — for this package's
    tests only (package scope): kept up for the rest of the session, their JVMs and polling
    replicas took CPU from every later tier."""
    if shutil.which("haproxy") is None and not Path("/usr/sbin/haproxy").exists():
        _unavailable("haproxy not installed (scripts/setup.sh installs it)")
    if shutil.which("java") is None:
        _unavailable("java not installed: the three Kafka brokers need Java 17+")
    brokers_were_running = subprocess.run([KAFKA_CLUSTER, "status"], capture_output=True).returncode == 0
    namespace = f"cl{uuid.uuid4().hex[:6]}"
    # Not under pytest's temporary folders: a concurrent pytest session prunes old ones, and
    # this one holds the replicas' pid files while they run.
    root = Path(tempfile.mkdtemp(prefix=f"gsi-cluster-{namespace}-", dir="/var/tmp"))
    env = {
        **os.environ,
        "GSI_TEST_DATABASE_URL": postgres_url,
        "GSI_CLUSTER_DIR": str(root),
        "GSI_CLUSTER_BASE_PORT": "28500",
        "GSI_CLUSTER_REPLICAS": "2",
        "GSI_CLUSTER_NAMESPACE": namespace,
        "GSI_RELAY_LEASE_TTL_S": LEASE_TTL_S,
        "GSI_LOG_LEVEL": "WARNING",
    }
    started = subprocess.run(
        [ROOT / "deploy/local/cluster.sh", "start"], env=env, capture_output=True, text=True, timeout=420
    )
    topology = Topology.load(root)
    try:
        if started.returncode != 0 or topology is None:
            _unavailable(f"cluster.sh start failed:\n{started.stdout[-2000:]}\n{started.stderr[-4000:]}")
        assert topology is not None
        with Cluster(topology, KAFKA_CLUSTER) as handle:
            yield handle
    finally:
        if topology is not None:
            topology.stop()
        if not brokers_were_running:
            subprocess.run([KAFKA_CLUSTER, "stop"], capture_output=True, timeout=180)
        elif topology is not None:
            Cluster.delete_topics(topology)
        if topology is not None:
            engine = create_engine(topology.database_url)
            with engine.begin() as connection:
                for service in SERVICES:
                    connection.execute(text(f'DROP SCHEMA IF EXISTS "{topology.schema(service)}" CASCADE'))
            engine.dispose()
        if request.session.testsfailed:  # the replicas' logs, for whoever reads the failure
            print(f"\ncluster: logs kept in {root}/logs")
        else:
            shutil.rmtree(root, ignore_errors=True)
