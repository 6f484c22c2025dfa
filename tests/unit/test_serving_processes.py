"""``serve`` with several processes: the background workers run once, in the supervising
process, started before the serving processes and stopped after them (gsi_kernel.cli)."""

from __future__ import annotations

import gc
import os
from collections.abc import Mapping
from pathlib import Path
from types import SimpleNamespace
from typing import ClassVar
from unittest.mock import patch

import pytest
from pydantic_settings import SettingsConfigDict

from gsi_kernel import cli
from gsi_kernel.serving import Serving
from gsi_kernel.settings import ServiceSettings
from gsi_kernel.worker_status import ConsumerFigures, StatusFile
from gsi_kernel.workers import WorkerGroup


class FakeKernel:
    def __init__(self, log: list[str]) -> None:
        self.log = log
        self.workers = WorkerGroup()

    def start(self) -> None:
        self.log.append("kernel started")

    def stop(self) -> None:
        self.workers.stop()
        self.log.append("kernel stopped")

    def consumer_figures(self) -> dict[str, ConsumerFigures]:
        return {"persons": {"behind": 0, "partitions": 3, "polled_ago_s": 0.1, "restarts": 0}}


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="GSI_SOMESERVICE_", extra="ignore")

    service: ClassVar[str] = "someservice"


def _settings() -> Settings:
    return Settings(http_workers=3)


def test_the_supervising_process_runs_the_workers_and_the_serving_ones_only_serve(
    monkeypatch: pytest.MonkeyPatch, thawed: None
) -> None:
    log: list[str] = []
    reports: list[Path] = []
    monkeypatch.delenv("GSI_RUN_WORKERS", raising=False)
    monkeypatch.setenv("GSI_MIGRATE_ON_START", "true")
    monkeypatch.setenv("GSI_SOMESERVICE_RUN_WORKERS", "true")  # the service's own prefix wins

    def serve(serving: Serving, env: Mapping[str, str]) -> None:
        log.append(f"serving {serving.app} from {serving.workers} processes")
        with patch.dict(os.environ, env, clear=True):
            children = Settings()  # what a serving process reads from its environment
        assert children.run_workers is False
        assert children.migrate_on_start is False
        assert gc.get_freeze_count() > 0, "the supervisor's heap is settled"
        assert children.workers_status_file is not None, "where the supervisor reports its workers"
        reports.append(children.workers_status_file)
        assert StatusFile(children.workers_status_file).read().consumers.keys() == {"persons"}

    monkeypatch.setattr(cli, "serve_from", serve)
    cli.serve_from_processes(_settings(), lambda _s: SimpleNamespace(kernel=FakeKernel(log)))

    assert log == [
        "kernel started",
        "serving someservice.main:app_factory() from 3 processes",
        "kernel stopped",
    ]
    assert "GSI_RUN_WORKERS" not in os.environ
    assert os.environ["GSI_MIGRATE_ON_START"] == "true"
    assert os.environ["GSI_SOMESERVICE_RUN_WORKERS"] == "true"
    assert not reports[0].parent.exists(), "the report's directory goes with the supervisor"


def test_the_workers_stop_when_serving_fails(monkeypatch: pytest.MonkeyPatch, thawed: None) -> None:
    log: list[str] = []

    def serve(serving: Serving, env: Mapping[str, str]) -> None:
        raise RuntimeError("gunicorn ended by itself (exit code 1; see its log)")

    monkeypatch.setattr(cli, "serve_from", serve)
    with pytest.raises(RuntimeError, match="gunicorn ended"):
        cli.serve_from_processes(_settings(), lambda _s: SimpleNamespace(kernel=FakeKernel(log)))
    assert log == ["kernel started", "kernel stopped"]
