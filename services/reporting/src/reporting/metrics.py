"""Reporting's metrics (docs/metrics.md): reports per workflow state, read from the reports
read model at each scrape (the one truth every replica shares). The table is named, not
imported, so that this module depends on the kernel only (the service's modules move);
tests/unit/test_metrics_services.py runs the query on the migrated schema."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from sqlalchemy import column, func, select, table

from gsi_kernel.runtime import Kernel
from gsi_kernel.store.database import Database

_reports = table("reports", column("state"))
_PER_STATE = select(_reports.c.state, func.count()).group_by(_reports.c.state)


class ReportsCollector:
    def __init__(self, service: str, db: Database) -> None:
        self._service = service
        self._db = db

    def collect(self) -> Iterator[Metric]:
        with self._db.transaction() as connection:
            rows = connection.execute(_PER_STATE).all()
        family = GaugeMetricFamily(
            "gsi_reports", "Rapports par état / Reports per workflow state", labels=["service", "state"]
        )
        for state, count in sorted(rows):
            family.add_metric([self._service, str(state)], int(count))
        yield family


def register(kernel: Kernel) -> None:
    kernel.metrics.add("reports", ReportsCollector(kernel.settings.service, kernel.db))
