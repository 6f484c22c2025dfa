"""What every service's composition root gets from the kernel, built from its settings.

:class:`Kernel` builds the engine, bus, store, token verifier, telemetry and the background
workers — and connects to nothing until :meth:`Kernel.start` (called in the app's lifespan) or
a first query. Each service's ``bootstrap.py`` adds its own handlers, projections and routers.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Protocol

from sqlalchemy import Table

from gsi_kernel.auth import DevTokenIssuer, TokenVerifier, load_or_create_dev_key
from gsi_kernel.bus.port import Bus, TopicSpec
from gsi_kernel.clock import Clock, SystemClock, shifted
from gsi_kernel.consumer import ConsumerRunner, Handler, Prepare, dead_letter_topic
from gsi_kernel.consumer_health import ConsumerHealth, ConsumerWatch
from gsi_kernel.events import EventRegistry
from gsi_kernel.metrics.collectors import StoreCollector, WorkersCollector
from gsi_kernel.metrics.exposition import ServiceMetrics
from gsi_kernel.metrics.instruments import CountedJob
from gsi_kernel.migrations import upgrade
from gsi_kernel.projections import Projection, ProjectionRunner
from gsi_kernel.relay import OutboxRelay
from gsi_kernel.reviewers import ReviewerRegistry
from gsi_kernel.settings import ServiceSettings
from gsi_kernel.store.database import Database, connect
from gsi_kernel.store.event_store import EventStore
from gsi_kernel.telemetry import Telemetry
from gsi_kernel.worker_status import ConsumerFigures, StatusFile, WorkersReport, consumer_figures, verdicts
from gsi_kernel.workers import Worker, WorkerGroup
from gsi_kernel.writer import Publisher, StreamWriter, no_publication

log = logging.getLogger(__name__)

# What the relay waits after a batch that was not full: no more than an idle relay waits
# between two looks at the outbox (the worker thread's idle pause), so no message waits longer
# than before, while under load each batch carries many commands' messages (ADR 10).
RELAY_LINGER = timedelta(milliseconds=50)


@dataclass(frozen=True)
class ConsumerSpec:
    name: str
    topics: Sequence[str]
    handlers: Mapping[str, Handler]
    prepare: Prepare | None = None  # a batch's locks taken in one order (gsi_kernel.consumer)


@dataclass
class ServiceWiring:
    """What a service declares: the topics it publishes to, its publisher, its consumers and
    projections, and where its migrations live."""

    migrations: Path
    registry: EventRegistry = field(default_factory=EventRegistry)
    published_topics: Sequence[str] = ()
    publisher: Publisher = no_publication
    consumers: Sequence[ConsumerSpec] = ()
    projections: Sequence[Projection] = ()
    extra_topics: Sequence[str] = field(default_factory=tuple)
    # Where the service keeps reporting's reviewer assignments (``organization_id``,
    # ``reviewer_id``): a reviewer's organizations are read from it on each request (ADR 23).
    reviewer_assignments: Table | None = None


def migrate(settings: ServiceSettings, migrations: Path) -> None:
    """Bring the service's database schema to the latest migration."""
    upgrade(settings.resolved_database_url, settings.resolved_schema, migrations)


def build_bus(settings: ServiceSettings) -> Bus:
    if settings.bus == "kafka":
        from gsi_kernel.bus.kafka import KafkaBus

        return KafkaBus(
            settings.kafka_bootstrap_servers,
            client_id=f"gsi-{settings.service}",
            options=settings.kafka_client_options(),
            namespace=settings.kafka_namespace,
            replication_factor=settings.topic_replication_factor,
            consumer_options=_consumer_options(settings),
        )
    from gsi_kernel.bus.embedded import EmbeddedBus

    return EmbeddedBus(settings.embedded_log_path, default_partitions=settings.topic_partitions)


def _consumer_options(settings: ServiceSettings) -> dict[str, object]:
    """What only the consumers take: the session timeout, when the settings name one."""
    timeout = settings.kafka_session_timeout_ms
    return {} if timeout is None else {"session_timeout_ms": timeout}


class Kernel:
    def __init__(
        self,
        settings: ServiceSettings,
        wiring: ServiceWiring,
        *,
        clock: Clock | None = None,
        bus: Bus | None = None,
    ) -> None:
        self.settings = settings
        self.wiring = wiring
        self.clock = shifted(clock or SystemClock(), settings.clock_offset_days)  # GSI_CLOCK_OFFSET_DAYS
        # Leases between processes stay on the unshifted clock: stamped in business time, the
        # relay's lease of a run with a larger offset would hold off the next run's relay for
        # that many days.
        self.lease_clock = clock or SystemClock()
        self.telemetry = Telemetry.from_environment(settings.service, trace_file=settings.trace_file)
        self.db: Database = connect(settings.resolved_database_url, schema=settings.resolved_schema)
        self.bus = bus or build_bus(settings)
        self.store = EventStore(source=f"gsi/{settings.service}", clock=self.clock)
        self.projections = ProjectionRunner(
            db=self.db,
            store=self.store,
            projections=wiring.projections,
            clock=self.clock,
            name=f"{settings.service}.read-models",
        )
        self.writer = StreamWriter(
            db=self.db,
            store=self.store,
            registry=wiring.registry,
            clock=self.clock,
            publisher=wiring.publisher,
            project=self.projections.apply_inline,  # in the command's transaction (ADR 28)
        )
        self.dev_issuer, self.verifier = _auth(settings)
        table = wiring.reviewer_assignments
        self.reviewers = ReviewerRegistry(self.db, table) if table is not None else None
        self.workers = WorkerGroup()
        # What /metrics shows (docs/metrics.md); a service adds its own collectors.
        self.metrics = ServiceMetrics(settings.service)
        checkpoint = self.projections.name if wiring.projections else None
        self.metrics.add("store", StoreCollector(settings.service, self.db, self.clock, checkpoint))
        self.metrics.add("workers", WorkersCollector(settings.service, self.workers_report))
        self._extra_workers: list[tuple[str, Callable[[], Worker], float]] = []
        # The wiring's consumers, and those added once the writer their handlers use exists.
        self._consumers: list[ConsumerSpec] = list(wiring.consumers)
        self._consumer_factories: list[ConsumerFactory] = []
        self._started = False

    @property
    def consumers(self) -> Sequence[ConsumerSpec]:
        """The wiring's consumers and those added with :meth:`add_consumer`."""
        return tuple(self._consumers)

    def migrate(self) -> None:
        upgrade(
            self.settings.resolved_database_url,
            self.settings.resolved_schema,
            self.wiring.migrations,
        )

    def topics(self) -> list[TopicSpec]:
        names = [
            *self.wiring.published_topics,
            *self.wiring.extra_topics,
            *(t for c in self.consumers for t in c.topics),
            *(dead_letter_topic(c.name) for c in self.consumers),
        ]
        return [TopicSpec(n, self.settings.topic_partitions) for n in dict.fromkeys(names)]

    def start(self) -> None:
        """Migrate, create topics, catch projections up, and start the background workers."""
        if self.settings.migrate_on_start:
            self.migrate()
        self.bus.ensure_topics(self.topics())
        self.projections.catch_up()
        if self.settings.run_workers:
            self._add_workers()
            self.workers.start()
        self._started = True
        log.info("%s started", self.settings.service)

    def stop(self) -> None:
        if self._started:
            self.workers.stop()
        self.telemetry.shutdown()
        self.bus.close()
        self.db.dispose()

    def consumer_health(self) -> list[ConsumerHealth]:
        """Each running consumer's health (last poll, partitions, restarts), for ``/ready``."""
        return [factory.watch.health() for factory in self._consumer_factories]

    def consumer_figures(self) -> dict[str, ConsumerFigures]:
        return {health.consumer: consumer_figures(health) for health in self.consumer_health()}

    def workers_report(self) -> WorkersReport:
        """For ``/ready``: each background worker of this instance, ``ok`` or what is wrong, and
        its consumers' figures — this process's own, or those its supervising process reports
        (GSI_HTTP_WORKERS > 1)."""
        if self.settings.run_workers:
            return WorkersReport(verdicts(self.workers.statuses()), self.consumer_figures())
        if self.settings.workers_status_file is not None:
            return StatusFile(self.settings.workers_status_file).read()
        return WorkersReport({}, {})  # run elsewhere by choice (GSI_RUN_WORKERS=false)

    def add_worker(self, name: str, factory: Callable[[], Worker], *, idle_s: float = 60.0) -> None:
        """A service's own background worker, started and stopped with the kernel's; it sleeps
        ``idle_s`` after a pass that found nothing to do."""
        self._extra_workers.append((name, factory, idle_s))

    def add_consumer(self, spec: ConsumerSpec) -> None:
        """A consumer whose handlers need what the kernel builds (its writer, to record events
        of the service's own): added, like a worker, before :meth:`start`."""
        if self._started:
            raise RuntimeError(f"consumer {spec.name} added after the kernel started")
        self._consumers.append(spec)

    def _add_workers(self) -> None:
        self.workers.add(
            "outbox-relay",
            lambda: OutboxRelay(
                db=self.db,
                producer=self.bus.producer(),
                clock=self.lease_clock,
                telemetry=self.telemetry,
                linger=RELAY_LINGER,
                lease_ttl=timedelta(seconds=self.settings.relay_lease_ttl_s),
                service=self.settings.service,
            ),
        )
        # It applies what no command projected, and moves the checkpoint past the rest (ADR 28).
        self.workers.add("projections", lambda: self.projections, idle_s=1.0)
        for spec in self.consumers:
            self.workers.add(spec.name, self._consumer_factory(spec))
        service = self.settings.service
        for name, factory, idle_s in self._extra_workers:
            self.workers.add(name, _counted(factory, service=service, name=name), idle_s=idle_s)

    def _consumer_factory(self, spec: ConsumerSpec) -> ConsumerFactory:
        factory = ConsumerFactory(self, spec)
        self._consumer_factories.append(factory)
        return factory


class ConsumerFactory:
    def __init__(self, kernel: Kernel, spec: ConsumerSpec) -> None:
        self._kernel = kernel
        self._spec = spec
        self.watch = ConsumerWatch(spec.name)  # outlives the runners it builds: counts span them

    def __call__(self) -> ConsumerRunner:
        k = self._kernel
        return ConsumerRunner(
            name=self._spec.name,
            db=k.db,
            bus=k.bus,
            topics=self._spec.topics,
            handlers=self._spec.handlers,
            clock=k.clock,
            telemetry=k.telemetry,
            watch=self.watch,
            service=k.settings.service,
            prepare=self._spec.prepare,
        )


def _counted(factory: Callable[[], Worker], *, service: str, name: str) -> Callable[[], Worker]:
    """A service's worker whose runs count in ``gsi_scheduler_runs_total``."""
    return lambda: CountedJob(factory(), service=service, name=name)


def _auth(settings: ServiceSettings) -> tuple[DevTokenIssuer | None, TokenVerifier]:
    issuer = None
    if settings.dev_issuer_enabled:
        pem = load_or_create_dev_key(settings.dev_signing_key_file)
        issuer = DevTokenIssuer(pem, issuer=settings.jwt_issuer, audience=settings.jwt_audience)
    if settings.jwt_public_key_file is not None:
        public_pem: bytes | None = settings.jwt_public_key_file.read_bytes()
    else:
        public_pem = issuer.public_key_pem if issuer else None
    verifier = TokenVerifier(
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        public_key_pem=public_pem,
        jwks_url=settings.jwks_url,
    )
    return issuer, verifier


class ServiceContainer(Protocol):
    """What a service's ``bootstrap.build(settings)`` returns: its typed container, holding the
    kernel it was built on and the use cases its routes read (ADR 26)."""

    @property
    def kernel(self) -> Kernel: ...
