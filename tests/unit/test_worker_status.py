"""What /ready says of background workers (gsi_kernel.worker_status): stopped, failing and
stuck workers each say so, and a supervising process that stopped reporting makes the serving
processes' /ready say so too."""

from __future__ import annotations

import threading
from pathlib import Path

from gsi_kernel.worker_status import StatusFile, StatusWriter, WorkerStatus, verdicts

NOW = 1_800_000_000.0


def status(**changes: object) -> WorkerStatus:
    base: dict[str, object] = {
        "name": "outbox-relay",
        "alive": True,
        "error": None,
        "since": NOW - 1,
        "busy": False,
        "steps": 10,
        "restarts": 0,
        "idle_s": 0.05,
    }
    return WorkerStatus(**{**base, **changes})  # type: ignore[arg-type]


def test_a_worker_is_ok_failing_stopped_or_stuck() -> None:
    assert status().verdict(NOW) == "ok"
    assert status(error="OperationalError (08006)").verdict(NOW) == "error: OperationalError (08006)"
    assert status(alive=False).verdict(NOW) == "error: stopped"
    assert status(busy=True, since=NOW - 121).verdict(NOW) == "error: no step ended for 121 s"
    assert status(busy=True, since=NOW - 119).verdict(NOW) == "ok"


def test_a_worker_resting_between_passes_is_not_stuck() -> None:
    """file-numbering rests an hour after a pass that found nothing to do."""
    resting = status(name="file-numbering", idle_s=3600.0, since=NOW - 3000)
    assert resting.verdict(NOW) == "ok"
    assert status(idle_s=3600.0, since=NOW - 3600 - 121).verdict(NOW).startswith("error: no step ended")


def test_the_supervisors_report_is_read_by_its_serving_processes(tmp_path: Path) -> None:
    report = StatusFile(tmp_path / "workers.json")
    assert report.read(NOW).verdicts == {"workers": "error: no report from the supervising process"}
    figures = {"persons": {"behind": 3, "partitions": 3, "polled_ago_s": 0.2, "restarts": 1}}
    report.write([status(), status(name="persons", alive=False)], figures, now=NOW)
    assert report.read(NOW + 2).verdicts == {"outbox-relay": "ok", "persons": "error: stopped"}
    assert report.read(NOW + 2).consumers == figures
    stale = report.read(NOW + 11)
    assert stale.verdicts == {"workers": "error: the supervising process last reported 11 s ago"}
    assert stale.consumers == {}


def test_the_report_is_rewritten_until_the_workers_stop(tmp_path: Path) -> None:
    report = StatusFile(tmp_path / "workers.json")
    stop = threading.Event()
    calls: list[int] = []

    def statuses() -> list[WorkerStatus]:
        calls.append(1)
        if len(calls) == 3:
            stop.set()
        return [status(steps=len(calls))]

    writer = StatusWriter(report, statuses, lambda: {}, stop, every_s=0.01)
    writer.write_now()
    assert report.read().verdicts == {"outbox-relay": "ok"}, "written before the thread starts"
    writer.start()
    writer.join(5)
    assert not writer.is_alive()
    assert len(calls) == 3
    assert verdicts([status()], NOW) == {"outbox-relay": "ok"}
    assert list(tmp_path.iterdir()) == [report.path], "nothing half-written left beside it"
