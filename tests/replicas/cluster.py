"""Replicas of one service as real processes on the shared PostgreSQL and Kafka: each replica
is ``python -m <service> serve`` on a port of its own, with the same database schema, the same
Kafka namespace (so the same consumer groups) and the same data folder (so the same dev signing
key: a token from one replica is good on every other, as behind a load balancer).

Each test has a run of its own: schemas ``rep_<run>_<service>`` and the Kafka namespace
``replicas-<run>.`` (topics and groups prefixed), dropped and deleted at the end.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from sqlalchemy import create_engine, text

from gsi_kernel.envelope import EventEnvelope
from scripts.cluster import delete_topics

ROOT = Path(__file__).resolve().parents[2]
# Six partitions: two members share them 3/3, three 2/2/2 — each member's share is visible in
# the group's description. (Only the tier's topics: GSI_TOPIC_PARTITIONS, set for its replicas.)
PARTITIONS = 6


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def until(condition: Callable[[], Any], what: str, timeout_s: float = 60.0, every_s: float = 0.25) -> Any:
    """``condition()``'s first truthy value; fails the test after ``timeout_s`` (generous: the
    machine is shared and loaded)."""
    deadline = time.monotonic() + timeout_s
    while not (value := condition()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s:.0f} s waiting until {what}")
        time.sleep(every_s)
    return value


@dataclass
class Replica:
    service: str
    number: int
    port: int
    process: subprocess.Popen[bytes]
    last_answer: str = "not asked yet"  # the last /ready answer, for a failure's message

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def ready(self) -> bool:
        try:
            answer = httpx.get(f"{self.url}/ready", timeout=5)
        except httpx.HTTPError as exc:
            self.last_answer = f"no answer: {exc!r}"
            return False
        self.last_answer = f"{answer.status_code} {answer.text[:1000]}"
        return answer.status_code == 200


@dataclass
class Run:
    """One test's namespace on the shared servers, and the replicas it started."""

    database_url: str
    kafka: str
    data_dir: Path
    run: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    extra_env: dict[str, str] = field(default_factory=dict)
    replicas: list[Replica] = field(default_factory=list)

    @property
    def namespace(self) -> str:
        return f"replicas-{self.run}."

    def schema(self, service: str) -> str:
        return f"rep_{self.run}_{service}"

    def env(self, service: str, **extra: str) -> dict[str, str]:
        return {
            **os.environ,
            "GSI_BUS": "kafka",
            "GSI_KAFKA_BOOTSTRAP_SERVERS": self.kafka,
            "GSI_KAFKA_NAMESPACE": self.namespace,
            "GSI_DATABASE_URL": self.database_url,
            "GSI_DATA_DIR": str(self.data_dir),
            "GSI_TOPIC_PARTITIONS": str(PARTITIONS),
            "GSI_HTTP_WORKERS": "1",
            "GSI_LOG_LEVEL": "WARNING",
            # A replica killed with kill -9 leaves its groups after 10 s, not the client's 45 s.
            "GSI_KAFKA_SESSION_TIMEOUT_MS": "10000",
            f"GSI_{service.upper()}_DB_SCHEMA": self.schema(service),
            **self.extra_env,
            **extra,
        }

    def start(self, service: str, count: int = 1, timeout_s: float = 120.0, **extra: str) -> list[Replica]:
        """``count`` more replicas of ``service``, ready. The first of a service starts alone: it
        migrates the schema and makes the dev signing key, which the others then find."""
        started: list[Replica] = []
        if not any(r.service == service for r in self.replicas):
            started.append(self._spawn(service, extra))
            self._wait_ready(started, timeout_s)
            count -= 1
        more = [self._spawn(service, extra) for _ in range(count)]
        self._wait_ready(more, timeout_s)
        return started + more

    def _spawn(self, service: str, extra: Mapping[str, str]) -> Replica:
        number = sum(1 for r in self.replicas if r.service == service) + 1
        port = free_port()
        logs = self.data_dir / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        log = (logs / f"{service}-{number}.log").open("ab")
        env = self.env(service, **extra, **{f"GSI_{service.upper()}_HTTP_PORT": str(port)})
        process = subprocess.Popen(
            [sys.executable, "-m", service, "serve"], env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT
        )
        replica = Replica(service, number, port, process)
        self.replicas.append(replica)
        return replica

    def _wait_ready(self, replicas: list[Replica], timeout_s: float) -> None:
        for replica in replicas:

            def ready(r: Replica = replica) -> bool:
                if r.process.poll() is not None:
                    raise AssertionError(f"{r.service} replica {r.number} exited: see {self.log(r)}")
                return r.ready()

            try:
                until(ready, f"{replica.service} replica {replica.number} is ready", timeout_s)
            except AssertionError as exc:
                raise AssertionError(f"{exc}; its /ready: {replica.last_answer}") from None

    def log(self, replica: Replica) -> Path:
        return self.data_dir / "logs" / f"{replica.service}-{replica.number}.log"

    def kill(self, replica: Replica) -> None:
        """kill -9: no consumer leaves its group, no lease is released, nothing is flushed."""
        replica.process.send_signal(signal.SIGKILL)
        replica.process.wait(30)
        self.replicas.remove(replica)

    def terminate(self, replica: Replica, timeout_s: float = 60.0) -> int:
        """SIGTERM, as a rolling restart or a scale-down sends it; the exit status."""
        replica.process.send_signal(signal.SIGTERM)
        status = replica.process.wait(timeout_s)
        self.replicas.remove(replica)
        return status

    def stop(self) -> None:
        for replica in self.replicas:
            if replica.process.poll() is None:
                replica.process.send_signal(signal.SIGTERM)
        for replica in self.replicas:
            try:
                replica.process.wait(30)
            except subprocess.TimeoutExpired:
                replica.process.kill()
                replica.process.wait(10)
        self.replicas.clear()

    # ---- the shared servers, as the test sees them ---------------------------------------------

    def sql(self, service: str, query: str, **params: Any) -> list[Any]:
        """The rows of ``query`` in ``service``'s schema (``search_path`` set to it)."""
        engine = create_engine(self.database_url)
        try:
            with engine.begin() as connection:
                connection.execute(text(f'SET LOCAL search_path TO "{self.schema(service)}"'))
                return list(connection.execute(text(query), params).all())
        finally:
            engine.dispose()

    def publish(self, topic: str, events: list[EventEnvelope]) -> None:
        """As another service's relay would: each event keyed by its stream, acknowledged."""
        producer = KafkaProducer(bootstrap_servers=self.kafka, acks="all")
        try:
            futures = [
                producer.send(self.namespace + topic, key=e.stream_id.encode(), value=e.to_bytes())
                for e in events
            ]
            producer.flush(30)
            for future in futures:
                future.get(30)
        finally:
            producer.close()

    def read_topic(self, topic: str) -> list[tuple[int, int, str, EventEnvelope]]:
        """Every record of ``topic`` in this run as (partition, offset, key, envelope)."""
        consumer = KafkaConsumer(
            bootstrap_servers=self.kafka,
            auto_offset_reset="earliest",
            enable_auto_commit=False,
            consumer_timeout_ms=3000,
        )
        try:
            name = self.namespace + topic
            partitions = [TopicPartition(name, p) for p in sorted(consumer.partitions_for_topic(name) or ())]
            consumer.assign(partitions)
            consumer.seek_to_beginning(*partitions)
            ends = consumer.end_offsets(partitions)
            found = []
            deadline = time.monotonic() + 120
            while any(consumer.position(tp) < ends[tp] for tp in partitions):
                assert time.monotonic() < deadline, f"{topic} not read to its end in 120 s"
                for batch in consumer.poll(timeout_ms=1000).values():
                    for r in batch:
                        found.append(
                            (
                                r.partition,
                                r.offset,
                                (r.key or b"").decode(),
                                EventEnvelope.from_bytes(r.value),
                            )
                        )
            return found
        finally:
            consumer.close()

    def group_members(self, group: str) -> dict[str, set[tuple[str, int]]]:
        """The members of consumer group ``group`` of this run, each with its partitions, as the
        broker describes them (a group rebalancing has no stable answer: empty)."""
        admin = KafkaAdminClient(bootstrap_servers=self.kafka)
        try:
            described = admin.describe_groups([self.namespace + group])[self.namespace + group]
        finally:
            admin.close()
        if described.get("group_state") not in ("Stable", "STABLE"):
            return {}
        members: dict[str, set[tuple[str, int]]] = {}
        for member in described.get("members", []):
            assignment = member.get("member_assignment")
            owned: set[tuple[str, int]] = set()
            for topic, partitions in _assigned(assignment):
                owned |= {(topic.removeprefix(self.namespace), p) for p in partitions}
            members[member["member_id"]] = owned
        return members

    def cleanup(self) -> None:
        engine = create_engine(self.database_url)
        with engine.begin() as connection:
            schemas = connection.execute(
                text("SELECT schema_name FROM information_schema.schemata WHERE schema_name LIKE :p"),
                {"p": f"rep\\_{self.run}\\_%"},
            ).scalars()
            for schema in list(schemas):
                connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        engine.dispose()
        with suppress(Exception):  # the broker keeps a run's topics if it cannot delete them now
            delete_topics(self.kafka, self.namespace)


def _assigned(assignment: Any) -> list[tuple[str, list[int]]]:
    """A member's (topic, partitions) from its decoded assignment, dict or object alike."""
    if assignment is None:
        return []
    if isinstance(assignment, dict):
        pairs = assignment.get("assigned_partitions") or assignment.get("assignment") or []
    else:
        pairs = getattr(assignment, "assigned_partitions", None) or getattr(assignment, "assignment", [])
    result = []
    for pair in pairs:
        if isinstance(pair, dict):
            result.append((pair["topic"], list(pair["partitions"])))
        else:
            topic, partitions = pair[0], pair[1]
            result.append((topic, list(partitions)))
    return result


@contextmanager
def run_on_shared_servers(database_url: str, kafka: str, data_dir: Path) -> Iterator[Run]:
    run = Run(database_url, kafka, data_dir)
    try:
        yield run
    finally:
        run.stop()
        run.cleanup()
