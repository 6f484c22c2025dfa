"""What ``/ready`` says of a process's background workers (relay, projections, consumers, the
service's own), whichever process runs them.

With ``GSI_HTTP_WORKERS`` > 1 the workers run in the supervising process and the serving
processes answer ``/ready``: the supervisor writes its workers' statuses to a file every second
(:class:`StatusFile`), and a serving process reads it. A report older than a few seconds means
the supervisor (and its workers) stopped: the instance is not ready.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from gsi_kernel.consumer_health import ConsumerHealth

# A step that has not ended after this long is a stuck worker (a consumer's poll, a relay's
# send and a projection's batch each take seconds at most).
STUCK_AFTER_S = 120.0
# The supervisor writes every second; this much silence means it is gone or stuck.
REPORT_STALE_AFTER_S = 10.0


@dataclass(frozen=True)
class WorkerStatus:
    name: str
    alive: bool
    error: str | None  # the last step's failure, redacted (None: the last step succeeded)
    since: float  # time.time(): when the step under way began, or the last one ended
    busy: bool  # a step is under way
    steps: int
    restarts: int
    idle_s: float  # the pause after a step that found nothing to do

    def verdict(self, now: float, stuck_after_s: float = STUCK_AFTER_S) -> str:
        """``ok``, or why this worker is not doing its job."""
        if not self.alive:
            return "error: stopped"
        if self.error is not None:
            return f"error: {self.error[:200]}"
        waited = now - self.since
        allowed = stuck_after_s if self.busy else stuck_after_s + self.idle_s
        if waited > allowed:
            return f"error: no step ended for {waited:.0f} s"
        return "ok"


def verdicts(statuses: list[WorkerStatus], now: float | None = None) -> dict[str, str]:
    at = time.time() if now is None else now
    return {status.name: status.verdict(at) for status in statuses}


# Per consumer, what /ready shows beside the verdicts: records its group has not committed at
# the last lag reading, partitions assigned, seconds since its last poll, client restarts after
# a stall (gsi_kernel.consumer_health).
ConsumerFigures = dict[str, int | float | None]


def consumer_figures(health: ConsumerHealth) -> ConsumerFigures:
    return {
        "behind": health.behind,
        "partitions": len(health.assigned),
        "polled_ago_s": health.polled_ago_s,
        "restarts": health.restarts,
    }


@dataclass(frozen=True)
class WorkersReport:
    """What ``/ready`` says of an instance's workers: a verdict each, and its consumers' figures."""

    verdicts: dict[str, str]
    consumers: dict[str, ConsumerFigures]


class StatusFile:
    """The supervising process's worker statuses, shared with its serving processes."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def write(
        self,
        statuses: list[WorkerStatus],
        consumers: dict[str, ConsumerFigures] | None = None,
        now: float | None = None,
    ) -> None:
        body = {
            "written_at": time.time() if now is None else now,
            "workers": [asdict(s) for s in statuses],
            "consumers": consumers or {},
        }
        # Written aside then renamed: a reader never sees half a file.
        handle, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=".workers-")
        with os.fdopen(handle, "w") as out:
            json.dump(body, out)
        os.replace(temporary, self.path)

    def read(self, now: float | None = None) -> WorkersReport:
        """Each worker's verdict, or one ``workers`` entry saying why there is no fresh report."""
        at = time.time() if now is None else now
        try:
            body = json.loads(self.path.read_text())
        except (OSError, ValueError):
            return WorkersReport({"workers": "error: no report from the supervising process"}, {})
        age = at - float(body["written_at"])
        if age > REPORT_STALE_AFTER_S:
            return WorkersReport(
                {"workers": f"error: the supervising process last reported {age:.0f} s ago"}, {}
            )
        return WorkersReport(verdicts([WorkerStatus(**w) for w in body["workers"]], at), body["consumers"])


class StatusWriter(threading.Thread):
    """Writes ``statuses()`` and ``consumers()`` to ``target`` every ``every_s`` until ``stop``
    is set."""

    def __init__(
        self,
        target: StatusFile,
        statuses: Callable[[], list[WorkerStatus]],
        consumers: Callable[[], dict[str, ConsumerFigures]],
        stop: threading.Event,
        every_s: float = 1.0,
    ) -> None:
        super().__init__(name="worker-status", daemon=True)
        self._target, self._stop_event, self._every_s = target, stop, every_s
        self._statuses, self._consumers = statuses, consumers

    def write_now(self) -> None:
        self._target.write(self._statuses(), self._consumers())

    def run(self) -> None:
        while not self._stop_event.wait(self._every_s):
            self.write_now()
