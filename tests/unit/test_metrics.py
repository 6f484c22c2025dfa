"""The kernel's metrics move when the thing happens (issue 22, docs/metrics.md): HTTP requests by
route template, the relay's publications and lease, a consumer's outcomes and lag, dead letters,
the outbox backlog, the projections' checkpoint lag, scheduled jobs' runs — in-process, on SQLite
and the embedded log; and prometheus-client's multiprocess mode across processes.

Each test labels its figures with a service name of its own: the instruments are the process's,
shared by every test."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Connection
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from gsi_kernel.bus.embedded import EmbeddedBus
from gsi_kernel.bus.port import Message, Producer, PublishError, Record, TopicSpec
from gsi_kernel.consumer import dead_letter_topic
from gsi_kernel.envelope import EventEnvelope
from gsi_kernel.http.app import PUBLIC_PATHS
from gsi_kernel.http.limits import UNLIMITED_PATHS
from gsi_kernel.metrics.collectors import StoreCollector
from gsi_kernel.metrics.exposition import ServiceMetrics
from gsi_kernel.metrics.http import HttpMetricsMiddleware, metrics_router
from gsi_kernel.metrics.instruments import CountedJob
from gsi_kernel.projections import EventByEvent, ProjectionRunner
from gsi_kernel.relay import OutboxRelay
from gsi_kernel.store.database import Database
from gsi_kernel.store.event_store import EventStore
from gsi_kernel.telemetry import Telemetry
from tests.databases import sqlite_database
from tests.integration.support import CLOCK, counter, create_tables, tally, writer
from tests.metrics_support import samples, value

TOPIC = "gsi.tallies"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def service() -> str:
    return f"test-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    with sqlite_database(tmp_path) as database:
        yield database


@pytest.fixture
def bus(tmp_path: Path) -> EmbeddedBus:
    return EmbeddedBus(tmp_path / "bus.db", default_partitions=2)


def scrape(metrics: ServiceMetrics) -> str:
    return metrics.render().decode()


# ---- HTTP ------------------------------------------------------------------------------------


def test_requests_count_by_route_template_method_and_status(service: str, tmp_path: Path) -> None:
    app = FastAPI()

    @app.get("/persons/{person_id}")
    async def person(person_id: str) -> dict[str, str]:
        return {"person_id": person_id}

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("no")

    (tmp_path / "a.css").write_text("body{}")
    app.router.routes.append(Mount("/static", StaticFiles(directory=tmp_path)))
    metrics = ServiceMetrics(service)
    app.include_router(metrics_router(metrics))
    app.add_middleware(HttpMetricsMiddleware, service=service)
    client = TestClient(app, raise_server_exceptions=False)

    person_id = str(uuid.uuid4())
    for _ in range(2):
        assert client.get(f"/persons/{person_id}").status_code == 200
    assert client.post(f"/persons/{person_id}").status_code == 405
    assert client.get(f"/nowhere/{person_id}").status_code == 404
    assert client.get("/boom").status_code == 500
    assert client.get("/static/a.css").status_code == 200
    assert client.request("BREW", "/persons/x").status_code == 405

    page = client.get("/metrics")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/plain")
    text = page.text
    requests = "gsi_http_requests_total"
    assert (
        value(text, requests, service=service, method="GET", route="/persons/{person_id}", status="200") == 2
    )
    assert (
        value(text, requests, service=service, method="POST", route="/persons/{person_id}", status="405") == 1
    )
    assert value(text, requests, service=service, method="GET", route="<unmatched>", status="404") == 1
    assert value(text, requests, service=service, method="GET", route="/boom", status="500") == 1
    assert value(text, requests, service=service, method="GET", route="/static/{path}", status="200") == 1
    assert (
        value(text, requests, service=service, method="OTHER", route="/persons/{person_id}", status="405")
        == 1
    )
    assert (
        value(text, "gsi_http_request_duration_seconds_count", route="/persons/{person_id}", method="GET")
        == 2
    )
    assert value(text, "gsi_http_requests_in_progress", service=service) == 1  # this scrape
    assert person_id not in text
    assert "BREW" not in text


def test_metrics_is_public_and_out_of_the_api_document(service: str) -> None:
    app = FastAPI()
    app.include_router(metrics_router(ServiceMetrics(service)))
    assert "/metrics" not in TestClient(app).get("/openapi.json").json()["paths"]
    assert "/metrics" in PUBLIC_PATHS
    assert "/metrics" in UNLIMITED_PATHS


def test_a_service_shows_only_its_own_series(service: str) -> None:
    other = f"{service}-other"
    for name in (service, other):
        app = FastAPI()

        @app.get("/here")
        async def here() -> None:
            return None

        app.add_middleware(HttpMetricsMiddleware, service=name)
        TestClient(app).get("/here")
    text = scrape(ServiceMetrics(service))
    assert value(text, "gsi_http_requests_total", service=service, route="/here") == 1
    assert value(text, "gsi_http_requests_total", service=other) is None


# ---- relay, outbox, consumer, dead letters ---------------------------------------------------


def test_the_relay_publishes_and_the_backlog_returns_to_zero(
    service: str, db: Database, bus: EmbeddedBus
) -> None:
    bus.ensure_topics([TopicSpec(TOPIC, 2)])
    metrics = ServiceMetrics(service)
    metrics.add("store", StoreCollector(service, db, CLOCK, checkpoint=None))
    tallies = writer(db, TOPIC)
    for n in range(3):
        tally(tallies, f"tally-{n}", n)

    before = scrape(metrics)
    assert value(before, "gsi_outbox_backlog", service=service) == 3
    assert value(before, "gsi_outbox_oldest_unsent_age_seconds", service=service) == 0  # the fixed clock
    relay = OutboxRelay(
        db=db, producer=bus.producer(), clock=CLOCK, telemetry=Telemetry("test"), service=service
    )
    assert relay.run_once() == 3

    after = scrape(metrics)
    assert value(after, "gsi_relay_published_total", service=service, topic=TOPIC) == 3
    assert value(after, "gsi_relay_lease_held", service=service) == 1
    assert value(after, "gsi_outbox_backlog", service=service) == 0
    relay.close()
    assert value(scrape(metrics), "gsi_relay_lease_held", service=service) == 0


class _Refusing:
    def publish(self, messages: Sequence[Message]) -> None:
        raise PublishError("the brokers are away")

    def close(self) -> None:
        pass


def test_a_failed_publication_counts_as_a_relay_error(service: str, db: Database) -> None:
    tally(writer(db, TOPIC), "tally-1", 1)
    producer: Producer = _Refusing()
    relay = OutboxRelay(db=db, producer=producer, clock=CLOCK, telemetry=Telemetry("test"), service=service)
    with pytest.raises(PublishError):
        relay.run_once()
    text = scrape(ServiceMetrics(service))
    assert value(text, "gsi_relay_publish_errors_total", service=service) == 1
    assert value(text, "gsi_relay_lease_held", service=service) == 0


def test_a_consumer_counts_its_outcomes_its_lag_and_its_dead_letters(
    service: str, db: Database, bus: EmbeddedBus
) -> None:
    bus.ensure_topics([TopicSpec(TOPIC, 2), TopicSpec(dead_letter_topic(f"{service}.counter"), 1)])
    tallies = writer(db, TOPIC)
    for n in range(4):
        tally(tallies, f"tally-{n}", n)
    OutboxRelay(db=db, producer=bus.producer(), clock=CLOCK, telemetry=Telemetry("test")).run_once()
    bus.producer().publish([Message(TOPIC, "poison", b"\xff not an event")])
    create_tables(db)  # the counter's
    metrics = ServiceMetrics(service)
    metrics.add("store", StoreCollector(service, db, CLOCK, checkpoint=None))

    consumer = bus.consumer("lag-probe", [TOPIC])  # a member of its own group, that never polls
    assert sum(consumer.partition_lag().values()) == 5
    consumer.close()

    runner = counter(db, bus, TOPIC, name=f"{service}.counter", service=service)
    handled = 0
    for _ in range(20):
        handled += runner.run_once()
        if handled >= 5:
            break
    assert handled == 5
    text_ = scrape(metrics)
    group = f"{service}.counter"
    messages = "gsi_consumer_messages_total"
    assert value(text_, messages, service=service, group=group, topic=TOPIC, outcome="applied") == 4
    assert value(text_, messages, service=service, group=group, topic=TOPIC, outcome="dead_lettered") == 1
    assert value(text_, "gsi_dead_letters", service=service) == 1
    assert value(text_, "gsi_consumer_lag", service=service, group=group, topic=TOPIC) == 0
    assert {
        labels["partition"]
        for name, labels in _labels(text_, "gsi_consumer_lag")
        if labels.get("service") == service
    } == {"0", "1"}

    # Delivered again (a rebalance, a relay that published twice): counted as a duplicate.
    runner.close()
    again = counter(db, bus, TOPIC, name=f"{service}.counter", service=service)
    again.handle(next(r for r in _records(bus, TOPIC) if r.key != "poison"))
    again.close()
    duplicates = value(scrape(metrics), messages, service=service, group=group, outcome="duplicate")
    assert duplicates == 1


def _records(bus: EmbeddedBus, topic: str) -> list[Record]:
    reader = bus.consumer(f"reader-{uuid.uuid4().hex[:6]}", [topic])
    try:
        return list(reader.poll(1.0))
    finally:
        reader.close()


def _labels(text: str, name: str) -> list[tuple[str, dict[str, str]]]:
    return [(n, labels) for n, labels, _ in samples(text) if n == name]


# ---- projections, scheduled jobs, collectors -------------------------------------------------


class _Nothing(EventByEvent):
    name = "nothing"

    def apply(self, connection: Connection, event: EventEnvelope) -> None:
        pass

    def reset(self, connection: Connection) -> None:
        pass


def test_the_checkpoint_lag_counts_events_not_yet_projected_and_observers_see_each_once(
    service: str, db: Database
) -> None:
    tallies = writer(db, TOPIC)  # a writer that projects nothing inline
    for n in range(3):
        tally(tallies, f"tally-{n}", n)
    runner = ProjectionRunner(
        db=db,
        store=EventStore(source="gsi/test", clock=CLOCK),
        projections=[_Nothing()],
        clock=CLOCK,
        name="test.rm",
    )
    seen: list[str] = []
    runner.observe(lambda batch: seen.extend(e.event_id for e in batch))
    runner.observe(lambda _batch: 1 / 0)  # a failing observer stops nothing
    metrics = ServiceMetrics(service)
    metrics.add("store", StoreCollector(service, db, CLOCK, checkpoint="test.rm"))
    lag = "gsi_projection_checkpoint_lag"

    assert value(scrape(metrics), lag, service=service, projection="test.rm") == 3
    runner.catch_up()
    assert value(scrape(metrics), lag, service=service, projection="test.rm") == 0
    assert len(seen) == len(set(seen)) == 3
    tally(tallies, "tally-9", 9)
    runner.catch_up()
    assert len(seen) == len(set(seen)) == 4


def test_a_collector_that_fails_costs_its_own_figures_only(service: str) -> None:
    class Broken:
        def collect(self) -> Iterator[object]:
            raise RuntimeError("the database is away")

    metrics = ServiceMetrics(service)
    metrics.add("broken", Broken())  # type: ignore[arg-type]
    text = scrape(metrics)
    assert value(text, "gsi_metrics_collector_up", service=service, collector="broken") == 0
    assert value(text, "process_cpu_seconds_total") is not None


def test_scheduled_job_runs_count_as_ok_or_error(service: str) -> None:
    class Job:
        def __init__(self) -> None:
            self.fail = False

        def run_once(self) -> int:
            if self.fail:
                raise RuntimeError("no")
            return 1

        def close(self) -> None:
            pass

    job = Job()
    counted = CountedJob(job, service=service, name="reminders")
    counted.run_once()
    counted.run_once()
    job.fail = True
    with pytest.raises(RuntimeError):
        counted.run_once()
    text = scrape(ServiceMetrics(service))
    runs = "gsi_scheduler_runs_total"
    assert value(text, runs, service=service, task="reminders", outcome="ok") == 2
    assert value(text, runs, service=service, task="reminders", outcome="error") == 1


# ---- several processes -----------------------------------------------------------------------

_CHILD = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from gsi_kernel.metrics import multiprocess
    multiprocess.use_directory(Path(sys.argv[1])) if sys.argv[3] == "first" else None
    from gsi_kernel.metrics.instruments import HTTP_IN_PROGRESS, RELAY_LEASE_HELD, RELAY_PUBLISHED
    RELAY_PUBLISHED.labels(sys.argv[2], "gsi.t").inc(2)
    HTTP_IN_PROGRESS.labels(sys.argv[2]).inc()
    if sys.argv[3] == "first":
        RELAY_LEASE_HELD.labels(sys.argv[2]).set(1)
    """
)
_READER = textwrap.dedent(
    """
    import sys
    from gsi_kernel.metrics import multiprocess
    from gsi_kernel.metrics.exposition import ServiceMetrics
    sys.stdout.write(ServiceMetrics(sys.argv[2]).render().decode())
    multiprocess.process_ended(int(sys.argv[3]))
    sys.stdout.write("----\\n" + ServiceMetrics(sys.argv[2]).render().decode())
    """
)


def test_processes_sharing_a_directory_add_up_and_an_ended_process_leaves_the_live_gauges(
    service: str, tmp_path: Path
) -> None:
    directory = tmp_path / "metrics"
    directory.mkdir()
    (directory / "counter_1.db").write_bytes(b"")  # an earlier run's file: emptied at start
    env = {**os.environ, "PYTHONPATH": str(ROOT)}

    def run(script: str, *args: str, multiproc: bool) -> subprocess.CompletedProcess[str]:
        child_env = {**env, "PROMETHEUS_MULTIPROC_DIR": str(directory)} if multiproc else env
        return subprocess.run(
            [sys.executable, "-c", script, str(directory), service, *args],
            env=child_env,
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        )

    # The first switches to the directory itself (the supervisor), the second inherits it.
    first = subprocess.Popen([sys.executable, "-c", _CHILD, str(directory), service, "first"], env=env)
    assert first.wait(120) == 0
    assert not (directory / "counter_1.db").exists()
    run(_CHILD, "second", multiproc=True)

    text, ended = run(_READER, str(first.pid), multiproc=True).stdout.split("----\n")
    assert value(text, "gsi_relay_published_total", service=service, topic="gsi.t") == 4
    assert value(text, "gsi_relay_lease_held", service=service) == 1
    assert value(text, "gsi_http_requests_in_progress", service=service) == 2
    assert value(ended, "gsi_relay_published_total", service=service, topic="gsi.t") == 4  # counters stay
    assert value(ended, "gsi_http_requests_in_progress", service=service) == 1
