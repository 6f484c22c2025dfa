"""Interventions' metrics (docs/metrics.md): imports running, and rows imports have gone
through (``rate()`` of it: rows per second), read from the imports table at each scrape — the
one truth every replica and serving process shares, whichever one runs an import. An import's
``processed_rows`` grows as it validates its rows, in chunks. The table is named, not imported,
so that this module depends on the kernel only (the service's modules move);
tests/unit/test_metrics_services.py runs the query on the migrated schema."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, Metric
from sqlalchemy import case, column, func, select, table

from gsi_kernel.runtime import Kernel
from gsi_kernel.store.database import Database

RUNNING = ("validating", "writing")

_imports = table("imports", column("status"), column("processed_rows"))
_FIGURES = select(
    func.coalesce(func.sum(case((_imports.c.status.in_(RUNNING), 1), else_=0)), 0),
    func.coalesce(func.sum(_imports.c.processed_rows), 0),
)


class ImportsCollector:
    def __init__(self, service: str, db: Database) -> None:
        self._service = service
        self._db = db

    def collect(self) -> Iterator[Metric]:
        with self._db.transaction() as connection:
            running, rows = connection.execute(_FIGURES).one()
        gauge = GaugeMetricFamily(
            "gsi_imports_running", "Importations en cours / Imports under way", labels=["service"]
        )
        gauge.add_metric([self._service], int(running))
        yield gauge
        counter = CounterMetricFamily(
            "gsi_import_rows",
            "Lignes traitées par les importations / Rows imports went through",
            labels=["service"],
        )
        counter.add_metric([self._service], int(rows))
        yield counter


def register(kernel: Kernel) -> None:
    kernel.metrics.add("imports", ImportsCollector(kernel.settings.service, kernel.db))
