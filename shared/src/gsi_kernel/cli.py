"""The command line every service shares: ``serve`` (default) and ``migrate``."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

import uvicorn
from fastapi import FastAPI

from gsi_kernel.runtime import Kernel, migrate
from gsi_kernel.settings import ServiceSettings
from gsi_kernel.telemetry import configure_logging


def run_service(
    settings_factory: Callable[[], ServiceSettings],
    migrations: Path,
    build_kernel: Callable[[ServiceSettings], Kernel],
    build_app: Callable[[Kernel], FastAPI],
    argv: list[str] | None = None,
) -> None:
    settings = settings_factory()
    parser = argparse.ArgumentParser(prog=f"gsi-{settings.service}")
    parser.add_argument("command", nargs="?", default="serve", choices=["serve", "migrate"])
    args = parser.parse_args(argv)
    configure_logging(settings.service, settings.log_level)
    if args.command == "migrate":
        migrate(settings, migrations)  # needs the database only: no bus, no keys
        return
    uvicorn.run(
        build_app(build_kernel(settings)),
        host=settings.http_host,
        port=settings.resolved_port,
        log_config=None,
        access_log=False,
    )
