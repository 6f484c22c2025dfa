"""The replicated topology under faults (issue 22 §1): two replicas of each service behind
HAProxy, three Kafka brokers (replication factor 3, min.insync.replicas 2), one PostgreSQL.

Each test counts against the truth, not against the answers alone: what interventions' event
store holds for the test's own organization must reach reporting's read model, exactly (a
duplicate counted twice fails as a loss does), and be on the Kafka topic in each stream's order.
"""

from __future__ import annotations

import time
import uuid

import httpx
import pytest

from tests.cluster.support import (
    INTERVENTIONS_TOPIC,
    Cluster,
    Load,
    Organization,
    declaration,
    in_stream_order,
)
from tests.e2e.flow import eventually
from tests.people import refugee

pytestmark = [pytest.mark.e2e, pytest.mark.postgres, pytest.mark.kafka]


def _everything_reached_reporting(cluster: Cluster, org: Organization, load: Load) -> None:
    stored = cluster.declared_in_store(org)
    missing = [i for i in load.accepted if not any(i in stream for stream in stored)]
    assert not missing, f"accepted (201) but not in interventions' store: {missing[:5]}"
    cluster.wait_reported(org, len(stored))
    versions = in_stream_order(cluster.published(INTERVENTIONS_TOPIC, org))
    unpublished = stored - versions.keys()
    assert not unpublished, f"in the store, never on Kafka: {sorted(unpublished)[:5]}"
    disordered = {s: v for s, v in versions.items() if v != list(range(1, len(v) + 1))}
    assert not disordered, f"streams published out of order: {dict(list(disordered.items())[:5])}"
    for corrected in load.corrected:
        stream = next(s for s in stored if corrected in s)
        assert versions[stream] == [1, 2], (corrected, versions[stream])


def test_a_read_through_the_balancer_sees_the_write_just_made(cluster: Cluster) -> None:
    org = cluster.organization(persons=1)
    topology = cluster.topology
    before = {
        backend: {name: int(row["stot"]) for name, row in cluster.haproxy_servers(backend).items()}
        for backend in ("registration", "interventions")
    }
    registration, interventions = cluster.http["registration"], cluster.http["interventions"]
    for i in range(12):
        body = refugee(family_name=f"Lecture{'abcdefghijkl'[i]}", given_name=uuid.uuid4().hex[:8].upper())
        written = registration.post(
            "/persons", headers={**org.staff, "Idempotency-Key": str(uuid.uuid4())}, json=body
        )
        assert written.status_code == 201, written.text
        person = written.json()["person_id"]
        read = registration.get(f"/persons/{person}", headers=org.staff)  # at once, the next replica
        assert read.status_code == 200, read.text
        assert read.json()["person_id"] == person
        for n in range(1, topology.replicas + 1):  # and every replica, directly
            direct = httpx.get(
                f"{topology.replica_url('registration', n)}/persons/{person}", headers=org.staff
            )
            assert direct.status_code == 200, (n, direct.text)
    for i in range(12):
        minutes = 31 + i
        body = {**declaration(org, org.persons[0], i), "duration_minutes": minutes}
        declared = interventions.post(
            "/interventions", headers={**org.staff, "Idempotency-Key": str(uuid.uuid4())}, json=body
        )
        assert declared.status_code == 201, declared.text
        intervention = declared.json()["intervention_id"]
        read = interventions.get(f"/interventions/{intervention}", headers=org.staff)
        assert read.status_code == 200, read.text
        assert read.json()["duration_minutes"] == minutes
    for backend, counts in before.items():  # round robin: every replica took its share
        after = {name: int(row["stot"]) for name, row in cluster.haproxy_servers(backend).items()}
        served = {name: after[name] - counts[name] for name in counts}
        assert all(n >= 6 for n in served.values()), (backend, served)


def test_a_broker_killed_mid_load_loses_no_declaration(cluster: Cluster) -> None:
    replication = cluster.replication_of(INTERVENTIONS_TOPIC)
    assert all(replicas == 3 and in_sync >= 2 for replicas, in_sync in replication), replication
    org = cluster.organization()
    victim = cluster.leader_of(INTERVENTIONS_TOPIC, 0)
    try:
        with Load(cluster, org) as load:
            load.wait_for(15)
            cluster.kafka("kill", str(victim))  # kill -9 the leader of partition 0
            killed_at = len(load.accepted)
            eventually(
                lambda: cluster.leader_of(INTERVENTIONS_TOPIC, 0) not in (victim, -1),
                timeout_s=60,
                what="another broker leads partition 0",
            )
            load.wait_for(killed_at + 25, timeout_s=180)
    finally:
        cluster.kafka("start-one", str(victim))
    assert len(load.accepted) >= killed_at + 25
    _everything_reached_reporting(cluster, org, load)
    eventually(
        lambda: all(in_sync == 3 for _, in_sync in cluster.replication_of(INTERVENTIONS_TOPIC)),
        timeout_s=90,
        what="the restarted broker is back in sync",
    )


def test_a_rolling_restart_of_every_replica_under_load_answers_no_5xx(cluster: Cluster) -> None:
    org = cluster.organization()
    topology = cluster.topology
    with Load(cluster, org, retry=False) as load:
        load.wait_for(10)
        for n in range(1, topology.replicas + 1):
            topology.stop_replica("interventions", n)  # SIGTERM: finishes what it serves, stops
            topology.start_replica("interventions", n)
            topology.wait_ready("interventions", n)
            cluster.wait_up_in_haproxy("interventions", f"interventions-{n}")
            mark = len(load.accepted)
            load.wait_for(mark + 5)
    assert load.failures == [], load.failures[:5]
    assert all(status < 500 for status in load.statuses), load.statuses
    assert load.statuses[201] >= 20, load.statuses
    _everything_reached_reporting(cluster, org, load)


def test_the_relay_runs_on_one_replica_and_another_takes_over_when_it_is_killed(cluster: Cluster) -> None:
    org = cluster.organization()
    topology = cluster.topology
    holders = set()
    for _ in range(6):  # one holder, the same, over more than a lease (4 s)
        found = cluster.relay_holder("interventions")
        assert found is not None
        holders.add(found[0])
        time.sleep(1)
    assert len(holders) == 1, holders
    (holder,) = holders
    first = cluster.replica_of_holder("interventions", holder)
    assert first is not None, f"{holder} is none of the replicas"
    try:
        with Load(cluster, org) as load:
            load.wait_for(10)
            topology.kill_replica("interventions", first)  # kill -9: its lease is left to run out

            def taken_over() -> int | None:
                found = cluster.relay_holder("interventions")
                return cluster.replica_of_holder("interventions", found[0]) if found else None

            second = eventually(taken_over, timeout_s=60, what="another replica takes the relay's lease")
            assert second != first
            mark = len(load.accepted)
            load.wait_for(mark + 10, timeout_s=180)
    finally:
        topology.start_replica("interventions", first)
        topology.wait_ready("interventions", first)
        cluster.wait_up_in_haproxy("interventions", f"interventions-{first}")
    _everything_reached_reporting(cluster, org, load)
