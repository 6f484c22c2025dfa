"""The outbox relay with three replicas of interventions under load (issue 22, section 1):
declarations and cancellations sent to the replicas at once, from several clients; the one
replica holding the relay's lease publishes for all of them; stopped gracefully (SIGTERM, as a
rolling restart does) while the others keep taking commands, it leaves, and another replica
takes the lease once it lapses. The published log then holds each outbox message exactly once,
and each stream's events in their order, in one partition per key. (The lease's failover after
kill -9 on three brokers is the cluster tier's.)"""

from __future__ import annotations

import re
import signal
import threading
import uuid
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from itertools import cycle
from typing import Any

import httpx
import pytest

from gsi_contracts import interventions as published_interventions
from gsi_contracts import registration, reporting
from gsi_kernel.clock import montreal_date
from tests.consumers import published
from tests.replicas.cluster import Replica, Run, until

ORG = "org-replicas"
PERSONS = 12
DECLARATIONS = 100  # half before the holder's SIGTERM, half after
LEASE_TTL_S = 6  # GSI_RELAY_LEASE_TTL_S: another replica publishes at most this long after

pytestmark = [pytest.mark.e2e, pytest.mark.postgres, pytest.mark.kafka]


def prerequisites(today: date) -> tuple[list[Any], list[Any]]:
    """What interventions learns from the other services before it takes a declaration: the
    organization's agreement (reporting's topic) and its persons (registration's)."""
    now = datetime.now(UTC)
    agreement = reporting.AgreementRecorded(
        agreement_id=f"agreement-{ORG}",
        organization_id=ORG,
        program="PASI",
        volets=("V1", "V2", "V3"),
        starts_on=today - timedelta(days=400),
        ends_on=today + timedelta(days=400),
    )
    persons = [
        registration.PersonRegistered(
            person_id=str(uuid.uuid4()),
            organization_id=ORG,
            birth_date=date(1984, 3, 12),
            status="government_assisted_refugee",
            status_since=today - timedelta(days=300),
            region="05",
            admission_date=today - timedelta(days=300),
            file_number=n + 1,
        )
        for n in range(PERSONS)
    ]
    return (
        [published(agreement, occurred_at=now, stream_id=f"organization-{ORG}")],
        [published(p, occurred_at=now, stream_id=f"person-{p.person_id}") for p in persons],
    )


def holder_pid(run: Run) -> int | None:
    """The process holding the relay's lease (its holder names the pid), if a live one does."""
    rows = run.sql(
        "interventions", "SELECT holder FROM leases WHERE name = 'outbox-relay' AND expires_at > now()"
    )
    if not rows:
        return None
    found = re.fullmatch(r"relay-.*-(\d+)-[0-9a-f]+", rows[0][0])
    assert found, f"a relay lease holder that names no process: {rows[0][0]}"
    return int(found[1])


class Load:
    """Clients declaring interventions on the given replicas, and cancelling every third."""

    def __init__(self, headers: dict[str, str], persons: list[str], today: date) -> None:
        self.headers, self.persons, self.today = headers, persons, today
        self.declared: list[str] = []
        self.cancelled: list[str] = []
        self.failures: list[str] = []
        self._lock = threading.Lock()

    def one(self, n: int, base: str) -> None:
        body = {
            "person_id": self.persons[n % len(self.persons)],
            "code": "ACC",
            "service_date": self.today.isoformat(),
            "duration_minutes": 30 + n % 60,
            "mode": "in_person",
            "volet": "V1",
            "staff_member": "karine",
        }
        with httpx.Client(base_url=base, headers=self.headers, timeout=60) as client:
            answer = client.post("/interventions", json=body)
            if answer.status_code != 201:
                with self._lock:
                    self.failures.append(f"declare {answer.status_code} {answer.text[:200]}")
                return
            intervention_id = answer.json()["intervention_id"]
            with self._lock:
                self.declared.append(intervention_id)
            if n % 3 == 0:
                cancel = client.post(
                    f"/interventions/{intervention_id}/cancellation", json={"reason": "Saisie en double"}
                )
                with self._lock:
                    if cancel.status_code == 204:
                        self.cancelled.append(intervention_id)
                    else:
                        self.failures.append(f"cancel {cancel.status_code} {cancel.text[:200]}")

    def run(self, numbers: range, replicas: list[Replica]) -> None:
        bases = cycle([r.url for r in replicas])
        with ThreadPoolExecutor(max_workers=6) as pool:
            for future in [pool.submit(self.one, n, next(bases)) for n in numbers]:
                future.result()


def test_three_replicas_publish_each_message_once_in_stream_order(shared: Run) -> None:
    today = montreal_date(datetime.now(UTC))
    replicas = shared.start("interventions", 3, GSI_RELAY_LEASE_TTL_S=str(LEASE_TTL_S))
    agreement, persons = prerequisites(today)
    shared.publish(reporting.TOPIC, agreement)
    shared.publish(registration.TOPIC, persons)
    token = httpx.post(
        f"{replicas[0].url}/dev/token",
        json={"user_id": "karine", "roles": ["org_staff"], "organization": ORG},
        timeout=30,
    )
    assert token.status_code == 200, token.text
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    person_ids = [p.payload["person_id"] for p in persons]
    load = Load(headers, person_ids, today)

    def known_everywhere() -> bool:  # every replica takes a declaration: the facts have arrived
        before = len(load.declared)
        for n, replica in enumerate(replicas):
            load.failures.clear()
            load.one(n + 1, replica.url)
        return len(load.declared) == before + len(replicas)

    until(known_everywhere, "interventions knows the organization's agreement and persons", 90, 1.0)
    pid = until(lambda: holder_pid(shared), "a replica holds the relay's lease", 60)
    (holder,) = [r for r in replicas if r.process.pid == pid]
    others = [r for r in replicas if r is not holder]

    load.run(range(10, 10 + DECLARATIONS // 2), replicas)

    ended: list[int] = []
    stopping = threading.Thread(target=lambda: ended.append(shared.terminate(holder)))
    stopping.start()
    load.run(range(10 + DECLARATIONS // 2, 10 + DECLARATIONS), others)  # the others keep working
    stopping.join(90)
    # uvicorn ends its graceful shutdown by raising the signal again: -15 is a clean end too.
    assert ended, "the holder ends on SIGTERM"
    assert ended[0] in (0, -signal.SIGTERM), f"the holder's exit status: {ended[0]}"
    assert not load.failures, load.failures[:5]

    # The stopped holder's lease lapses (the relay does not give it back): another takes it.
    survivors = {r.process.pid for r in others}
    until(lambda: holder_pid(shared) in survivors, "another replica holds the lease", 60)

    def all_sent() -> bool:
        return bool(
            shared.sql("interventions", "SELECT count(*) FROM outbox WHERE sent_at IS NULL")[0][0] == 0
        )

    until(all_sent, "every outbox message is published", 120)
    outbox = dict(shared.sql("interventions", "SELECT message_id, key FROM outbox"))
    log = shared.read_topic(published_interventions.TOPIC)

    ids = [envelope.event_id for _, _, _, envelope in log]
    assert len(ids) == len(set(ids)), "no message published twice"
    assert set(ids) == set(outbox), "every outbox message published"
    streams = {f"intervention-{i}" for i in load.declared}
    assert streams <= {envelope.stream_id for _, _, _, envelope in log}
    partitions: dict[str, set[int]] = defaultdict(set)
    versions: dict[str, list[int]] = defaultdict(list)
    for partition, _offset, key, envelope in sorted(log, key=lambda r: (r[0], r[1])):
        partitions[key].add(partition)
        versions[envelope.stream_id].append(envelope.stream_version)
    assert all(len(p) == 1 for p in partitions.values()), "each key in one partition"
    assert all(v == sorted(v) and len(v) == len(set(v)) for v in versions.values()), "stream order kept"
    cancelled = [v for s, v in versions.items() if s.removeprefix("intervention-") in set(load.cancelled)]
    assert len(cancelled) == len(load.cancelled)
    assert all(len(v) >= 2 for v in cancelled), "a cancelled intervention: declared, then cancelled"
