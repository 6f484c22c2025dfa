"""What the cluster tests share: clients through the balancer, an organization ready to declare
in, a load of declarations sent by a background thread, and looks at HAProxy, Kafka and the
services' tables (the truth the answers are checked against)."""

from __future__ import annotations

import csv
import io
import json
import random
import string
import subprocess
import threading
import time
import urllib.request
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx
from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition
from kafka.errors import KafkaError
from sqlalchemy import Engine, create_engine, text

from gsi_kernel.clock import montreal_date
from gsi_kernel.fiscal import FiscalQuarter
from scripts.cluster import SERVICES, Topology, delete_topics
from tests.e2e.flow import Services, cover, eventually
from tests.people import refugee

INTERVENTIONS_TOPIC = "gsi.interventions"


def _letters(n: int) -> str:
    return "".join(random.choices(string.ascii_lowercase, k=n)).capitalize()


@dataclass
class Organization:
    """An organization covered by an agreement, with persons interventions knows of."""

    org: str
    staff: dict[str, str]
    manager: dict[str, str]
    persons: list[str]
    quarter: FiscalQuarter
    today: date  # the services' day: a person's interventions start on their registration day


class Cluster:
    """The running topology, seen from a test."""

    def __init__(self, topology: Topology, kafka_cluster: Path) -> None:
        self.topology = topology
        self.kafka_cluster = kafka_cluster
        self.http = {s: httpx.Client(base_url=topology.url(s), timeout=30) for s in SERVICES}
        self.services = Services(**self.http)
        self.db: Engine = create_engine(topology.database_url)

    def __enter__(self) -> Cluster:
        return self

    def __exit__(self, *exc: object | TracebackType) -> None:
        for client in self.http.values():
            client.close()
        self.db.dispose()

    # --- setup -------------------------------------------------------------------------

    def token(self, **claims: Any) -> dict[str, str]:
        response = self.http["registration"].post("/dev/token", json=claims)
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['access_token']}"}

    def organization(self, persons: int = 3) -> Organization:
        """A fresh organization (counts of its own), covered, with ``persons`` registered and
        known to interventions (one declaration each, made once interventions learnt of them)."""
        org = f"org-{uuid.uuid4().hex[:10]}"
        cover(self.services, org)
        staff = self.token(user_id=f"staff@{org}", roles=["org_staff"], organization=org)
        manager = self.token(user_id=f"manager@{org}", roles=["org_manager"], organization=org)
        today = montreal_date(datetime.now(UTC))
        quarter = FiscalQuarter.of(today)
        found = Organization(org, staff, manager, [], quarter, today)
        for _ in range(persons):
            body = refugee(family_name=_letters(9), given_name=_letters(7))
            registered = self.http["registration"].post(
                "/persons", headers={**staff, "Idempotency-Key": str(uuid.uuid4())}, json=body
            )
            assert registered.status_code == 201, registered.text
            person = registered.json()["person_id"]
            found.persons.append(person)

            def declared(person: str = person) -> bool:
                answer = self.http["interventions"].post(
                    "/interventions",
                    headers={**staff, "Idempotency-Key": str(uuid.uuid4())},
                    json=declaration(found, person, 0),
                )
                return answer.status_code == 201  # 4xx until interventions knows the person

            eventually(declared, timeout_s=90, what="interventions learns of the person over Kafka")
        return found

    # --- the truth ---------------------------------------------------------------------

    def declared_in_store(self, org: Organization) -> set[str]:
        """The interventions interventions' event store holds for the organization: what its
        outbox had to publish."""
        schema = self.topology.schema("interventions")
        with self.db.connect() as connection:
            rows = connection.execute(
                text(
                    f'SELECT DISTINCT stream_id FROM "{schema}".events '
                    "WHERE organization = :org AND type LIKE '%InterventionDeclared'"
                ),
                {"org": org.org},
            )
            return {row[0] for row in rows}

    def reported_count(self, org: Organization) -> int:
        answer = self.http["reporting"].get(f"/reports/{org.org}/{org.quarter}", headers=org.manager)
        assert answer.status_code == 200, answer.text
        return int(answer.json()["interventions_count"])

    def wait_reported(self, org: Organization, expected: int, timeout_s: float = 150.0) -> None:
        """Until reporting's read model counts ``expected`` interventions, and still does a
        moment later (a duplicate counted late would show)."""
        seen: list[int] = []

        def counted() -> bool:
            seen.append(self.reported_count(org))
            return seen[-1] == expected

        try:
            eventually(counted, timeout_s=timeout_s, what=f"reporting counts {expected} interventions")
        except AssertionError as exc:
            raise AssertionError(f"{exc}; reporting's counts seen: {seen[-5:]}") from None
        time.sleep(3)
        assert self.reported_count(org) == expected

    def relay_holder(self, service: str) -> tuple[str, datetime] | None:
        schema = self.topology.schema(service)
        with self.db.connect() as connection:
            row = connection.execute(
                text(f"SELECT holder, expires_at FROM \"{schema}\".leases WHERE name = 'outbox-relay'")
            ).first()
        return (row[0], row[1]) if row else None

    def replica_of_holder(self, service: str, holder: str) -> int | None:
        """Which replica's process holds the lease (the holder names its pid)."""
        for n in range(1, self.topology.replicas + 1):
            pid = self.topology.pid(service, n)
            if pid is not None and f"-{pid}-" in holder:
                return n
        return None

    # --- HAProxy and Kafka -------------------------------------------------------------

    def haproxy_servers(self, backend: str) -> dict[str, dict[str, str]]:
        """HAProxy's view of a backend's servers (status UP/DOWN, stot: requests sent)."""
        with urllib.request.urlopen(f"http://127.0.0.1:{self.topology.stats_port}/;csv", timeout=5) as r:
            body = r.read().decode().lstrip("# ")
        rows = csv.DictReader(io.StringIO(body))
        return {row["svname"]: row for row in rows if row["pxname"] == backend and "-" in row["svname"]}

    def wait_up_in_haproxy(self, backend: str, server: str, timeout_s: float = 30.0) -> None:
        eventually(
            lambda: self.haproxy_servers(backend)[server]["status"] == "UP",
            timeout_s=timeout_s,
            what=f"HAProxy marks {server} up",
        )

    def kafka(self, *command: str) -> None:
        done = subprocess.run([self.kafka_cluster, *command], capture_output=True, text=True, timeout=240)
        assert done.returncode == 0, done.stderr[-3000:]

    def leader_of(self, topic: str, partition: int = 0) -> int:
        """The broker leading the partition; -1 when none does, or none answered this time (the
        client may have tried a broker just killed first)."""
        try:
            admin = KafkaAdminClient(bootstrap_servers=self.topology.bootstrap_servers)
            try:
                described = admin.describe_topics([self.topology.kafka_namespace + topic])[0]
            finally:
                admin.close()
        except KafkaError:
            return -1
        return int(next(p["leader_id"] for p in described["partitions"] if p["partition_index"] == partition))

    def replication_of(self, topic: str) -> list[tuple[int, int]]:
        """(replicas, in-sync replicas) of each partition of a topic of the topology."""
        admin = KafkaAdminClient(bootstrap_servers=self.topology.bootstrap_servers)
        try:
            described = admin.describe_topics([self.topology.kafka_namespace + topic])[0]
        finally:
            admin.close()
        return [(len(p["replica_nodes"]), len(p["isr_nodes"])) for p in described["partitions"]]

    def published(self, topic: str, org: Organization) -> list[dict[str, Any]]:
        """Every event of the organization on a topic, in each partition's order (CloudEvents)."""
        name = self.topology.kafka_namespace + topic
        consumer = KafkaConsumer(bootstrap_servers=self.topology.bootstrap_servers, enable_auto_commit=False)
        try:
            partitions = [TopicPartition(name, p) for p in sorted(consumer.partitions_for_topic(name) or ())]
            consumer.assign(partitions)
            consumer.seek_to_beginning(*partitions)
            ends = consumer.end_offsets(partitions)
            events: list[dict[str, Any]] = []
            deadline = time.monotonic() + 60
            while any(consumer.position(tp) < ends[tp] for tp in partitions):
                assert time.monotonic() < deadline, "could not read the topic to its end"
                for records in consumer.poll(timeout_ms=1000).values():
                    for record in records:
                        event = json.loads(record.value)
                        if event.get("organization") == org.org:
                            events.append(event)
            return events
        finally:
            consumer.close()

    @staticmethod
    def delete_topics(topology: Topology) -> None:
        """The session's topics, on brokers that outlive it."""
        delete_topics(topology.bootstrap_servers, topology.kafka_namespace)


def declaration(org: Organization, person: str, i: int) -> dict[str, Any]:
    return {
        "person_id": person,
        "code": "ACC",
        "service_date": org.today.isoformat(),
        "duration_minutes": 30 + i % 90,
        "mode": "in_person",
        "volet": "V1",
        "staff_member": "karine",
    }


@dataclass
class Load:
    """Declarations sent one after another through the balancer by a background thread until
    stopped, each with an Idempotency-Key of its own; every third one is then corrected (a
    second event on its stream). ``retry``: on no answer, a 5xx or 409 in progress, send again
    with the same key — what a client does (ADR 21) — else record the failure and go on.

    A key still in progress after 10 s is one whose first run died with its replica: its lease
    runs 60 s. The load then leaves it (``unknown``) rather than stall: whether it committed
    or not, the tests count against interventions' event store, not against the answers."""

    cluster: Cluster
    org: Organization
    retry: bool = True
    accepted: list[str] = field(default_factory=list)
    corrected: list[str] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)  # 5xx or no answer, with what was said
    unknown: int = 0  # left in progress (see above)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    _error: BaseException | None = None

    def __enter__(self) -> Load:
        self._thread = threading.Thread(target=self._run, name="declarations", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=240)
            assert not self._thread.is_alive(), "the load did not stop"
        if self._error is not None:
            raise self._error

    def wait_for(self, accepted: int, timeout_s: float = 120.0) -> None:
        eventually(lambda: len(self.accepted) >= accepted or self._error, timeout_s=timeout_s, what="load")
        if self._error is not None:
            raise self._error

    def _run(self) -> None:
        try:
            i = 0
            while not self._stop.is_set():
                i += 1
                person = self.org.persons[i % len(self.org.persons)]
                body = declaration(self.org, person, i)
                answer = self._send("/interventions", body)
                if answer is None or answer.status_code != 201:
                    continue
                declared = answer.json()["intervention_id"]
                self.accepted.append(declared)
                if i % 3 == 0:
                    details = {k: v for k, v in body.items() if k != "person_id"}
                    correction = {"details": {**details, "duration_minutes": 150}, "reason": "Durée corrigée"}
                    fixed = self._send(f"/interventions/{declared}/corrections", correction)
                    if fixed is not None and fixed.status_code == 204:
                        self.corrected.append(declared)
        except BaseException as exc:  # seen by the test, not lost in the thread
            self._error = exc

    def _send(self, path: str, body: dict[str, Any]) -> httpx.Response | None:
        headers = {**self.org.staff, "Idempotency-Key": str(uuid.uuid4())}
        deadline = time.monotonic() + 120
        in_progress_since: float | None = None
        while True:
            try:
                answer: httpx.Response | None = self.cluster.http["interventions"].post(
                    path, headers=headers, json=body
                )
            except httpx.TransportError as exc:
                answer, said = None, f"{path}: no answer ({exc!r})"
            else:
                self.statuses[answer.status_code] += 1
                said = f"{path}: {answer.status_code} {answer.text[:300]}"
            in_progress = answer is not None and answer.status_code == 409 and "in_progress" in answer.text
            if answer is not None and answer.status_code < 500 and not in_progress:
                return answer
            if in_progress:
                in_progress_since = in_progress_since or time.monotonic()
                if time.monotonic() - in_progress_since > 10:
                    self.unknown += 1
                    return None
            else:
                self.failures.append(said)
            if not self.retry or time.monotonic() > deadline:
                return answer
            time.sleep(0.5)


def in_stream_order(events: list[dict[str, Any]]) -> dict[str, list[int]]:
    """Each stream's versions as published, duplicates (a batch published again) dropped, in
    the order their first copies appear — within a partition, as a stream stays in one."""
    versions: dict[str, list[int]] = {}
    for event in events:
        seen = versions.setdefault(event["subject"], [])
        if event["streamversion"] not in seen:
            seen.append(event["streamversion"])
    return versions
