"""The command line every service shares: ``serve`` (default), ``migrate``, and
``rebuild <projection>`` (empty a read model and replay the service's store into it)."""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import uvicorn
from fastapi import FastAPI

from gsi_kernel.heap import settle, settled_after_start
from gsi_kernel.metrics import multiprocess
from gsi_kernel.runtime import ServiceContainer, migrate
from gsi_kernel.serving import Serving, serve_from
from gsi_kernel.settings import ServiceSettings
from gsi_kernel.telemetry import configure_logging
from gsi_kernel.worker_status import StatusFile, StatusWriter

S = TypeVar("S", bound=ServiceSettings)
C = TypeVar("C", bound=ServiceContainer)


def run_service(
    settings_factory: Callable[[], S],
    migrations: Path,
    build: Callable[[S], C],
    build_app: Callable[[C], FastAPI],
    argv: list[str] | None = None,
) -> None:
    settings = settings_factory()
    parser = argparse.ArgumentParser(prog=f"gsi-{settings.service}")
    parser.add_argument("command", nargs="?", default="serve", choices=["serve", "migrate", "rebuild"])
    parser.add_argument("projection", nargs="?", help="rebuild: the projection to rebuild")
    args = parser.parse_args(argv)
    configure_logging(settings.service, settings.log_level)
    if args.command == "migrate":
        migrate(settings, migrations)  # needs the database only: no bus, no keys
        return
    if args.command == "rebuild":
        kernel = build(settings).kernel
        names = [p.name for p in kernel.wiring.projections]
        if args.projection not in names:
            parser.error(f"rebuild needs one of: {', '.join(names)}")
        replayed = kernel.projections.rebuild(args.projection)
        print(f"{args.projection}: rebuilt from {replayed} events")
        return
    if settings.http_workers > 1:
        serve_from_processes(settings, build)
        return
    uvicorn.run(
        settled_after_start(build_app(build(settings))),
        host=settings.http_host,
        port=settings.resolved_port,
        log_config=None,
        access_log=False,
    )


def serve_from_processes(settings: S, build: Callable[[S], ServiceContainer]) -> None:
    """Serve the API from ``http_workers`` processes sharing the port, with the background
    workers (relay, consumers, projection catch-up, the service's own) run once, here.

    This supervising process migrates, creates the topics and starts the workers before the
    serving processes start; those then only serve (``run_workers`` and ``migrate_on_start``
    off in their environment). A serving process's event loop then shares its GIL with no
    Kafka client thread and no relay, and the machine runs one set of Kafka clients instead of
    one per process, which costs less CPU per declaration (measured in ADR 10). gunicorn runs the
    serving processes, uvicorn's worker in each (ADR 32). Every process writes its metrics to
    the run's directory, where the one answering ``/metrics`` reads them all."""
    given = multiprocess.directory()
    metrics_dir = given or Path(tempfile.mkdtemp(prefix=f"gsi-{settings.service}-metrics-"))
    multiprocess.use_directory(metrics_dir)  # before the kernel's workers count anything
    kernel = build(settings).kernel
    kernel.start()
    report_dir = Path(tempfile.mkdtemp(prefix=f"gsi-{settings.service}-"))
    status = StatusFile(report_dir / "workers.json")
    reporter = StatusWriter(
        status, kernel.workers.statuses, kernel.consumer_figures, kernel.workers.stop_event
    )
    reporter.write_now()  # before any serving process reads it
    reporter.start()
    try:
        settle()
        prefixes = dict.fromkeys(("GSI_", str(settings.model_config.get("env_prefix", "GSI_"))))
        only_serve = {  # the service's own prefix too: it wins over the plain one
            f"{prefix}{name}": value
            for prefix in prefixes
            for name, value in (
                ("RUN_WORKERS", "false"),
                ("MIGRATE_ON_START", "false"),
                ("WORKERS_STATUS_FILE", str(status.path)),
            )
        }
        serving = Serving(
            f"{settings.service}.main:app_factory()",
            host=settings.http_host,
            port=settings.resolved_port,
            workers=settings.http_workers,
            log_level=settings.log_level,
        )
        serve_from(serving, {**os.environ, **only_serve})
    finally:
        kernel.stop()
        reporter.join(5)
        shutil.rmtree(report_dir, ignore_errors=True)
        if given is None:
            shutil.rmtree(metrics_dir, ignore_errors=True)


def app_factory_for(
    settings_factory: Callable[[], S],
    build: Callable[[S], C],
    build_app: Callable[[C], FastAPI],
) -> Callable[[], FastAPI]:
    """The factory each serving process calls when ``http_workers`` > 1 starts several."""

    def app_factory() -> FastAPI:
        settings = settings_factory()
        configure_logging(settings.service, settings.log_level)
        return settled_after_start(build_app(build(settings)))

    return app_factory
