"""A service's ``/metrics``: its instruments' series, its collectors' figures read at scrape
time, and the process's own (prometheus-client's default collectors), in the text format.

The instruments (:mod:`.instruments`) come from this process's memory, or — with serving
processes — from the files of every process of the run (:mod:`.multiprocess`); either way only
the series of this service (several services share a process in the embedded mode). A
collector that fails (the database gone) costs its own figures, not the scrape: it shows as
``gsi_metrics_collector_up{collector=...} 0``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from typing import Protocol

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    GC_COLLECTOR,
    PLATFORM_COLLECTOR,
    PROCESS_COLLECTOR,
    generate_latest,
)
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector

from gsi_kernel.metrics import multiprocess
from gsi_kernel.metrics.instruments import INSTRUMENTS

log = logging.getLogger(__name__)

CONTENT_TYPE = CONTENT_TYPE_LATEST


class Collector(Protocol):
    """What prometheus-client calls at each scrape."""

    def collect(self) -> Iterable[Metric]: ...


class ServiceMetrics:
    """One service's metrics: the kernel's instruments with ``service`` = this service, and the
    collectors added by the kernel and the service (:meth:`add`)."""

    def __init__(self, service: str) -> None:
        self.service = service
        self._collectors: list[tuple[str, Collector]] = []

    def add(self, name: str, collector: Collector) -> None:
        """``collector`` is read at each scrape; ``name`` says which one failed, if one does."""
        self._collectors.append((name, collector))

    def render(self) -> bytes:
        """The text exposition (blocking: collectors may query the database)."""
        return generate_latest(_Scrape(self))  # any object with collect() will do

    def families(self) -> Iterator[Metric]:
        yield from _only_service(_instruments().collect(), self.service)
        up = GaugeMetricFamily(
            "gsi_metrics_collector_up",
            "Le collecteur a répondu / The collector answered this scrape (0/1)",
            labels=["service", "collector"],
        )
        for name, collector in self._collectors:
            try:
                found = list(collector.collect())  # whole, or nothing of it
            except Exception as exc:  # a scrape reports what it can
                # The exception's type only: a database error's text carries data.
                log.warning("metrics collector %s failed: %s", name, type(exc).__name__)
                up.add_metric([self.service, name], 0)
                continue
            up.add_metric([self.service, name], 1)
            yield from found
        yield up
        for default in (PROCESS_COLLECTOR, PLATFORM_COLLECTOR, GC_COLLECTOR):
            yield from default.collect()


class _Scrape:
    def __init__(self, metrics: ServiceMetrics) -> None:
        self._metrics = metrics

    def collect(self) -> Iterator[Metric]:
        return self._metrics.families()


def _instruments() -> Collector:
    """This process's instruments, or every process's of the run in multiprocess mode."""
    path = multiprocess.directory()
    if path is None:
        return INSTRUMENTS
    return MultiProcessCollector(None, str(path))  # type: ignore[no-untyped-call]


def _only_service(families: Iterable[Metric], service: str) -> Iterator[Metric]:
    for family in families:
        samples = [s for s in family.samples if s.labels.get("service") == service]
        if samples:
            family.samples = samples
            yield family
