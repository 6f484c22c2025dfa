"""The HAProxy configuration scripts/cluster.py writes: HAProxy itself accepts it, and it says
what deploy/local/README.md promises (no topology needed: a few milliseconds)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from scripts.cluster import DEPLOYABLES, PORTAL, Topology


def _topology(tmp_path: Path) -> Topology:
    return Topology(
        root=tmp_path,
        database_url="postgresql+psycopg://postgres@127.0.0.1:54329/gsi_cluster",
        bootstrap_servers="127.0.0.1:29092,127.0.0.1:29093,127.0.0.1:29094",
        replicas=3,
        base_port=28700,
        namespace="cfg",
    )


def test_haproxy_accepts_the_generated_configuration(tmp_path: Path) -> None:
    haproxy = shutil.which("haproxy") or "/usr/sbin/haproxy"
    if not Path(haproxy).exists():
        reason = "haproxy not installed (scripts/setup.sh installs it)"
        if os.environ.get("GSI_REQUIRE_INFRA") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    topology = _topology(tmp_path)
    topology.run_dir.mkdir()
    topology.haproxy_cfg.write_text(topology.haproxy_config())
    checked = subprocess.run([haproxy, "-c", "-f", str(topology.haproxy_cfg)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr


def test_each_service_has_its_frontend_its_replicas_and_safe_retries(tmp_path: Path) -> None:
    topology = _topology(tmp_path)
    sections = topology.haproxy_config().split("\n\n")
    for deployable in DEPLOYABLES:
        (frontend,) = [s for s in sections if s.startswith(f"frontend {deployable}\n")]
        assert f"bind 127.0.0.1:{topology.frontend_port(deployable)}" in frontend
        (backend,) = [s for s in sections if s.startswith(f"backend {deployable}\n")]
        servers = [line.split()[2] for line in backend.splitlines() if line.strip().startswith("server ")]
        assert servers == [f"127.0.0.1:{topology.replica_port(deployable, n)}" for n in (1, 2, 3)]
        assert "balance roundrobin" in backend
        probe = "/health" if deployable == PORTAL else "/ready"
        assert f"option httpchk GET {probe}" in backend
        # a command is re-sent to another replica only when it carries an Idempotency-Key
        assert "disable-l7-retry if !METH_GET !{ req.hdr(idempotency-key) -m found }" in backend
        assert ("cookie gsi_portal_replica" in backend) == (deployable == PORTAL)
    defaults = next(s for s in sections if s.startswith("defaults"))
    assert "option redispatch 1" in defaults
    assert "retry-on conn-failure empty-response junk-response" in defaults
    # every replica port distinct, none on a frontend's
    ports = [topology.replica_port(d, n) for d in DEPLOYABLES for n in (1, 2, 3)]
    ports += [topology.frontend_port(d) for d in DEPLOYABLES] + [topology.stats_port]
    assert len(set(ports)) == len(ports)


def test_the_replicas_get_the_topologys_settings(tmp_path: Path) -> None:
    topology = _topology(tmp_path)
    env = topology.env_for("interventions", 2)
    assert env["GSI_KAFKA_BOOTSTRAP_SERVERS"] == "127.0.0.1:29092,127.0.0.1:29093,127.0.0.1:29094"
    assert env["GSI_KAFKA_NAMESPACE"] == "cfg."
    assert env["GSI_INTERVENTIONS_DB_SCHEMA"] == "cfg_interventions"
    assert env["GSI_INTERVENTIONS_HTTP_PORT"] == str(topology.replica_port("interventions", 2))
    portal = topology.env_for(PORTAL, 1)
    assert portal["GSI_PORTAL_REPORTING_URL"] == topology.url("reporting")  # through the balancer
