"""The fault tier's wiring: the services' kernels (not their HTTP apps) on a store and a bus,
either both embedded (SQLite + embedded log) or both real (PostgreSQL + Kafka), so a test can
run the services' own consumers on records it writes to the log itself.

PostgreSQL and Kafka come from the session fixtures of tests/conftest.py; each run has its own
schemas and a Kafka namespace of its own (topics and groups prefixed).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

import interventions.bootstrap as interventions_app
import notifications.bootstrap as notifications_app
import reporting.bootstrap as reporting_app
from gsi_kernel.bus.embedded import EmbeddedBus
from gsi_kernel.bus.kafka import KafkaBus
from gsi_kernel.bus.port import Bus, Message
from gsi_kernel.consumer import ConsumerRunner
from gsi_kernel.runtime import ConsumerSpec, Kernel
from gsi_kernel.store.tables import dead_letters, processed
from interventions.settings import InterventionsSettings
from notifications.settings import NotificationsSettings
from reporting.settings import ReportingSettings
from tests.databases import postgres_schema

# Every service that consumes (registration only publishes).
CONSUMING: list[tuple[Any, Any]] = [
    (interventions_app, InterventionsSettings),
    (reporting_app, ReportingSettings),
    (notifications_app, NotificationsSettings),
]

Headers = Sequence[tuple[str, bytes]]


@dataclass
class Stack:
    kind: str  # "embedded" or "postgres+kafka"
    bus: Bus
    kernels: list[Kernel]
    produce: Callable[[str, bytes | None, bytes | None, Headers], None]  # raw bytes, as anyone may
    infra: dict[str, str]  # PostgreSQL's url, Kafka's servers and this run's namespace

    def consumers(self, topic: str | None = None) -> list[tuple[Kernel, ConsumerSpec]]:
        return [
            (k, spec) for k in self.kernels for spec in k.consumers if topic is None or topic in spec.topics
        ]

    def runner(self, kernel: Kernel, spec: ConsumerSpec, **kwargs: Any) -> ConsumerRunner:
        options = {"bus": self.bus, "max_attempts": 2, "backoff_s": 0.01, **kwargs}
        return ConsumerRunner(
            name=spec.name,
            db=kernel.db,
            topics=spec.topics,
            handlers=spec.handlers,
            clock=kernel.clock,
            telemetry=kernel.telemetry,
            **options,
        )


def outcomes(kernel: Kernel, consumer: str) -> dict[str, int]:
    """How many records ``consumer`` applied and dead-lettered, by its bookkeeping."""
    with kernel.db.transaction() as connection:
        counted = dict(
            connection.execute(
                select(processed.c.outcome, func.count())
                .where(processed.c.consumer == consumer)
                .group_by(processed.c.outcome)
            ).all()
        )
        letters = connection.execute(
            select(func.count()).select_from(dead_letters).where(dead_letters.c.consumer == consumer)
        ).scalar_one()
    return {"applied": counted.get("applied", 0), "dead_letters": letters}


@pytest.fixture(
    params=[
        "embedded",
        pytest.param("postgres+kafka", marks=[pytest.mark.postgres, pytest.mark.kafka]),
    ]
)
def stack(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Stack]:
    with ExitStack() as exit_stack:
        if request.param == "embedded":
            bus: Bus = EmbeddedBus(tmp_path / "bus.db")
            producer = bus.producer()
            exit_stack.callback(producer.close)

            def produce(topic: str, key: bytes | None, value: bytes | None, headers: Headers) -> None:
                producer.publish([Message(topic, key or b"", value, tuple(headers))])

            yield _stack(exit_stack, "embedded", bus, produce, tmp_path, {})
            return
        url: str = request.getfixturevalue("postgres_url")
        servers: str = request.getfixturevalue("kafka_bootstrap")
        namespace = f"faults-{uuid.uuid4().hex[:8]}."
        bus = KafkaBus(servers, namespace=namespace)
        from kafka import KafkaProducer

        raw = KafkaProducer(bootstrap_servers=servers, max_request_size=4 * 1024 * 1024)
        exit_stack.callback(raw.close)

        def produce(topic: str, key: bytes | None, value: bytes | None, headers: Headers) -> None:
            raw.send(namespace + topic, key=key, value=value, headers=list(headers)).get(timeout=30)

        infra = {"url": url, "servers": servers, "namespace": namespace}
        yield _stack(exit_stack, "postgres+kafka", bus, produce, tmp_path, infra)


def _stack(
    exit_stack: ExitStack,
    kind: str,
    bus: Bus,
    produce: Callable[[str, bytes | None, bytes | None, Headers], None],
    data_dir: Path,
    infra: dict[str, str],
) -> Stack:
    kernels = []
    for module, settings_cls in CONSUMING:
        options: dict[str, Any] = {"data_dir": data_dir, "run_workers": False}
        if "url" in infra:
            schema = exit_stack.enter_context(postgres_schema(infra["url"]))
            options |= {"database_url": infra["url"], "db_schema": schema}
        kernel = module.build(settings_cls(**options), bus=bus).kernel
        exit_stack.callback(kernel.db.dispose)
        kernel.migrate()
        bus.ensure_topics(kernel.topics())
        kernels.append(kernel)
    return Stack(kind, bus, kernels, produce, infra)
