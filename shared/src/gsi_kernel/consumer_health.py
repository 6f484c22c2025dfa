"""Whether a consumer still consumes: the stall check, and the health ``/ready`` reports.

Kafka can expire a member from its group (its heartbeats late, e.g. under CPU starvation) and
a client may then never rejoin: its ``poll`` keeps returning nothing, the group stays empty,
and records wait for ever (issue 19). A quiet topic looks the same from inside the client, so
the check asks the brokers: a consumer that has received nothing for ``stall_after_s`` reads
its group's lag; if the group was already behind at the previous reading, ``stall_after_s``
earlier, and is still behind with its committed offsets unmoved, no member is consuming — the
runner then closes its client and builds a new one, which joins the group afresh. (Records
that arrived since the previous reading do not count: a healthy consumer may be about to poll
them.) So a stall is cured within two to three ``stall_after_s``; a quiet topic costs one lag
reading per ``stall_after_s``, and a member left without partitions while others progress is
not restarted (their commits move).

:class:`ConsumerWatch` outlives the runner (the worker thread rebuilds runners after errors),
so its counts span the worker's life.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from gsi_kernel.bus.port import GroupLag, TopicPartition

STALL_AFTER_S = 30.0


@dataclass(frozen=True, slots=True)
class ConsumerHealth:
    """A snapshot of one consumer, for ``/ready`` and the logs."""

    consumer: str
    last_poll_at: datetime | None  # the last poll that returned (records or not); None: none yet
    polled_ago_s: float | None  # seconds since then, at the snapshot
    last_records_at: datetime | None  # the last poll that returned records
    assigned: tuple[TopicPartition, ...]  # the partitions the group gave it at the last poll
    behind: int | None  # records its group had not committed at the last lag reading
    restarts: int  # clients closed and built again because the group had stalled
    last_restart_reason: str | None
    rebuilds: int  # runners built again after an error (a broker or database outage)


class ConsumerWatch:
    def __init__(
        self,
        consumer: str,
        *,
        stall_after_s: float = STALL_AFTER_S,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.consumer = consumer
        self.stall_after_s = stall_after_s
        self._monotonic = monotonic
        self._lock = threading.Lock()  # written by the worker's thread, read by /ready's
        self._last_poll: tuple[float, datetime] | None = None
        self._last_records_at: datetime | None = None
        self._idle_since = monotonic()
        self._assigned: tuple[TopicPartition, ...] = ()
        self._baseline: GroupLag | None = None
        self._behind: int | None = None
        self._restarts = 0
        self._last_restart_reason: str | None = None
        self._builds = 0

    def built(self) -> None:
        """A runner was built (the first, or again after an error)."""
        with self._lock:
            self._builds += 1
            self._idle_since = self._monotonic()
            self._baseline = None

    def polled(self, records: int, assigned: frozenset[TopicPartition]) -> None:
        now = self._monotonic()
        with self._lock:
            self._last_poll = (now, datetime.now(UTC))
            self._assigned = tuple(sorted(assigned))
            if records:
                self._last_records_at = self._last_poll[1]
                self._idle_since = now
                self._baseline = None

    def lag_due(self) -> bool:
        """Whether the consumer has been idle long enough to read its group's lag."""
        with self._lock:
            return self._monotonic() - self._idle_since >= self.stall_after_s

    def stall(self, lag: GroupLag) -> str | None:
        """Given a lag read because :meth:`lag_due`: why the group is stalled, or None (and
        the next reading is due ``stall_after_s`` later)."""
        with self._lock:
            self._behind = lag.behind
            baseline, self._baseline = self._baseline, lag
            self._idle_since = self._monotonic()
            # Stalled: records were already waiting a whole period ago, and none was committed
            # since (records that just arrived may be on their way to a healthy consumer).
            if baseline is None or baseline.behind == 0 or lag.behind == 0:
                return None
            if lag.committed != baseline.committed:
                return None
            idle = "with partitions " + ",".join(f"{t.topic}[{t.partition}]" for t in self._assigned)
            return (
                f"{lag.behind} record(s) waiting and no offset committed for {self.stall_after_s:.0f} s"
                f" ({idle if self._assigned else 'with no partition assigned'})"
            )

    def restarted(self, reason: str) -> None:
        with self._lock:
            self._restarts += 1
            self._last_restart_reason = reason
            self._baseline = None
            self._idle_since = self._monotonic()

    def health(self) -> ConsumerHealth:
        with self._lock:
            last = self._last_poll
            return ConsumerHealth(
                consumer=self.consumer,
                last_poll_at=last[1] if last else None,
                polled_ago_s=round(self._monotonic() - last[0], 3) if last else None,
                last_records_at=self._last_records_at,
                assigned=self._assigned,
                behind=self._behind,
                restarts=self._restarts,
                last_restart_reason=self._last_restart_reason,
                rebuilds=max(self._builds - 1, 0),
            )
