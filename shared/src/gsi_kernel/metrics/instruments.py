"""The counters, gauges and histograms the kernel's code moves as things happen (issue 22), with
the names of the catalogue (docs/metrics.md).

They live in one registry of the kernel's own, not prometheus-client's global one: several
services run in one process in the embedded mode and the tests, each with a ``service`` label,
and each service's ``/metrics`` shows only its own series (:mod:`.exposition`). In the serving
processes of a service (``GSI_HTTP_WORKERS`` > 1) prometheus-client's multiprocess mode writes
every value to a file of the run's directory (:mod:`.multiprocess`), where any process's
``/metrics`` reads them all: every instrument here has labels, so no value exists before the
first ``labels()``, by which time the mode is chosen.

No label carries personal data: services, route templates, topics, consumer groups, job names,
outcomes — never a person, an organization, an id or a raw path.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from typing import Protocol

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, disable_created_metrics

log = logging.getLogger(__name__)

# No ``_created`` series beside each counter and histogram (the process's start says as much;
# multiprocess mode has none): half the series to scrape and store.
disable_created_metrics()  # type: ignore[no-untyped-call]

INSTRUMENTS = CollectorRegistry(auto_describe=True)

# HTTP (every service and the portal): route = the matched route's template.
HTTP_REQUESTS = Counter(
    "gsi_http_requests_total",
    "Requêtes HTTP répondues / HTTP requests answered, by route template and status",
    ["service", "method", "route", "status"],
    registry=INSTRUMENTS,
)
# Buckets from a fast read (a few ms) to an import (tens of seconds).
HTTP_DURATION = Histogram(
    "gsi_http_request_duration_seconds",
    "Durée des requêtes HTTP / HTTP request duration, by route template",
    ["service", "method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0),
    registry=INSTRUMENTS,
)
HTTP_IN_PROGRESS = Gauge(
    "gsi_http_requests_in_progress",
    "Requêtes HTTP en cours / HTTP requests under way",
    ["service"],
    multiprocess_mode="livesum",
    registry=INSTRUMENTS,
)

# Outbox relay (run by the supervising process when there are serving processes).
RELAY_PUBLISHED = Counter(
    "gsi_relay_published_total",
    "Messages publiés par le relais / Messages the outbox relay published, by topic",
    ["service", "topic"],
    registry=INSTRUMENTS,
)
RELAY_ERRORS = Counter(
    "gsi_relay_publish_errors_total",
    "Échecs de publication du relais / Relay batches that failed (publish or mark sent)",
    ["service"],
    registry=INSTRUMENTS,
)
RELAY_LEASE_HELD = Gauge(
    "gsi_relay_lease_held",
    "Ce processus détient le bail du relais / This process holds the relay lease (0/1)",
    ["service"],
    multiprocess_mode="livemax",
    registry=INSTRUMENTS,
)

# Consumers.
CONSUMER_LAG = Gauge(
    "gsi_consumer_lag",
    "Messages en retard par partition assignée / Messages behind the log's end, per assigned partition",
    ["service", "group", "topic", "partition"],
    multiprocess_mode="livemax",
    registry=INSTRUMENTS,
)
CONSUMER_MESSAGES = Counter(
    "gsi_consumer_messages_total",
    "Messages traités par les consommateurs / Messages consumers handled, by outcome",
    ["service", "group", "topic", "outcome"],
    registry=INSTRUMENTS,
)

# Workers and schedulers.
SCHEDULER_RUNS = Counter(
    "gsi_scheduler_runs_total",
    "Passages des tâches planifiées / Runs of the service's scheduled jobs, by outcome",
    ["service", "task", "outcome"],
    registry=INSTRUMENTS,
)


class ConsumerMetrics:
    """What one consumer runner moves: its messages by outcome, and (at most every
    ``lag_every_s``) the lag of its assigned partitions. The counters' children are kept, so a
    record costs a dictionary lookup and an increment."""

    def __init__(self, service: str, group: str, *, lag_every_s: float = 5.0) -> None:
        self._service = service
        self._group = group
        self._lag_every_s = lag_every_s
        self._next_lag = 0.0
        self._lagging: set[tuple[str, int]] = set()
        self._children: dict[tuple[str, str], Counter] = {}

    def handled(self, topic: str, outcome: str) -> None:
        child = self._children.get((topic, outcome))
        if child is None:
            child = self._children[topic, outcome] = CONSUMER_MESSAGES.labels(
                self._service, self._group, topic, outcome
            )
        child.inc()

    def read_lag(self, read: Callable[[], Mapping[tuple[str, int], int]]) -> None:
        """Unless read less than ``lag_every_s`` ago, the lag of each assigned partition; a
        partition no longer assigned shows 0 here (the member that took it reports its own). A
        reading that fails is skipped: a metric must not stop a consumer."""
        if time.monotonic() < self._next_lag:
            return
        self._next_lag = time.monotonic() + self._lag_every_s
        try:
            behind = read()
        except Exception as exc:
            log.debug("consumer %s: lag not read (%s)", self._group, type(exc).__name__)
            return
        for topic, partition in self._lagging - set(behind):
            CONSUMER_LAG.labels(self._service, self._group, topic, str(partition)).set(0)
        for (topic, partition), count in behind.items():
            CONSUMER_LAG.labels(self._service, self._group, topic, str(partition)).set(max(count, 0))
        self._lagging = set(behind)


class Worker(Protocol):
    """A kernel worker (:class:`gsi_kernel.workers.Worker`; not imported: this module stays
    light for the processes that only read metrics)."""

    def run_once(self) -> int: ...

    def close(self) -> None: ...


class CountedJob:
    """A service's scheduled job (a kernel worker: reminders, deliveries, retention…) whose
    every run counts, as ``ok`` or ``error``."""

    def __init__(self, job: Worker, *, service: str, name: str) -> None:
        self._job = job
        self._ok = SCHEDULER_RUNS.labels(service, name, "ok")
        self._error = SCHEDULER_RUNS.labels(service, name, "error")

    def run_once(self) -> int:
        try:
            handled = self._job.run_once()
        except Exception:
            self._error.inc()
            raise
        self._ok.inc()
        return handled

    def close(self) -> None:
        self._job.close()
