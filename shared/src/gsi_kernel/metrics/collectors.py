"""The kernel's figures read at scrape time: from the service's database (outbox backlog and
its oldest unsent message, dead letters, parked events, the projections' checkpoint lag), and
from the workers' report (workers up, consumers' last poll).

Read when Prometheus asks, not counted as things happen: the database is the one truth that
every replica and process of a service shares, so each of them reports the same figure (a
dashboard takes their ``max``, not their sum). Each query is a count over an index or a small
table; the checkpoint lag counts the events after the checkpoint, which the catch-up moves
every second.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from sqlalchemy import Connection, and_, func, or_, select

from gsi_kernel.clock import Clock
from gsi_kernel.store.database import Database
from gsi_kernel.store.tables import dead_letters, events, outbox, parked_events
from gsi_kernel.store.tracking import read_cursor
from gsi_kernel.worker_status import WorkersReport

_BACKLOG = select(func.count(), func.min(outbox.c.created_at)).where(outbox.c.sent_at.is_(None))
_DEAD_LETTERS = select(func.count()).select_from(dead_letters)
_PARKED = select(func.count()).select_from(parked_events).where(parked_events.c.resolved_at.is_(None))


def _gauge(name: str, documentation: str, labels: list[str]) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, labels=labels)


class StoreCollector:
    """Outbox, dead letters, parked events and checkpoint lag of one service's database."""

    def __init__(self, service: str, db: Database, clock: Clock, checkpoint: str | None) -> None:
        """``checkpoint``: the projections' checkpoint name (None: the service has none)."""
        self._service = service
        self._db = db
        self._clock = clock
        self._checkpoint = checkpoint

    def collect(self) -> Iterator[Metric]:
        with self._db.transaction() as connection:
            backlog, oldest = connection.execute(_BACKLOG).one()
            dead = int(connection.execute(_DEAD_LETTERS).scalar_one())
            parked = int(connection.execute(_PARKED).scalar_one())
            lag = self._checkpoint_lag(connection) if self._checkpoint else None
        now = self._clock.now()
        s = [self._service]
        yield _single(
            "gsi_outbox_backlog", "Messages non publiés / Outbox rows not yet published", s, backlog
        )
        age = max((now - oldest).total_seconds(), 0.0) if oldest is not None else 0.0
        yield _single(
            "gsi_outbox_oldest_unsent_age_seconds",
            "Âge du plus vieux message non publié / Age of the oldest unpublished outbox row (0 when empty)",
            s,
            age,
        )
        yield _single("gsi_dead_letters", "Messages en lettres mortes / Rows in dead_letters", s, dead)
        yield _single("gsi_parked_events", "Événements mis de côté / Unresolved parked events", s, parked)
        if lag is not None and self._checkpoint is not None:
            family = _gauge(
                "gsi_projection_checkpoint_lag",
                "Événements pas encore projetés / Events not yet projected (0 when up to date)",
                ["service", "projection"],
            )
            family.add_metric([self._service, self._checkpoint], lag)
            yield family

    def _checkpoint_lag(self, connection: Connection) -> int:
        """Events after the checkpoint that no command projected. The cursor compares as
        (transaction id, position); a database without transaction ids (SQLite: NULL) orders
        by position alone — written so that both use the commit-order index."""
        assert self._checkpoint is not None
        tx, position = read_cursor(connection, self._checkpoint)
        after = or_(
            events.c.tx_id > tx,
            and_(or_(events.c.tx_id == tx, events.c.tx_id.is_(None)), events.c.position > position),
        )
        query = select(func.count()).select_from(events).where(after, events.c.projected.is_(False))
        return int(connection.execute(query).scalar_one())


class WorkersCollector:
    """Each background worker up or not, and each consumer's seconds since its last poll, from
    the report ``/ready`` reads (this process's workers, or the supervising process's)."""

    def __init__(self, service: str, report: Callable[[], WorkersReport]) -> None:
        self._service = service
        self._report = report

    def collect(self) -> Iterator[Metric]:
        report = self._report()
        up = _gauge(
            "gsi_worker_up",
            "Travailleur en marche / The background worker works (0/1)",
            ["service", "worker"],
        )
        for worker, verdict in sorted(report.verdicts.items()):
            up.add_metric([self._service, worker], 1 if verdict == "ok" else 0)
        yield up
        polled = _gauge(
            "gsi_consumer_seconds_since_last_poll",
            "Secondes depuis le dernier appel au courtier / Seconds since the consumer last polled",
            ["service", "group"],
        )
        for group, figures in sorted(report.consumers.items()):
            ago = figures.get("polled_ago_s")
            if ago is not None:
                polled.add_metric([self._service, group], float(ago))
        yield polled


def _single(name: str, documentation: str, labels: list[str], value: float) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, documentation, labels=["service"])
    family.add_metric(labels, value)
    return family
