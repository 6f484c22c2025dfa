from __future__ import annotations

from fastapi import FastAPI

from gsi_kernel.cli import run_service
from gsi_kernel.telemetry import configure_logging
from reporting.bootstrap import MIGRATIONS, build_app, build_kernel
from reporting.settings import ReportingSettings


def app_factory() -> FastAPI:
    """One serving process's app (``http_workers`` > 1 starts several)."""
    settings = ReportingSettings()
    configure_logging(settings.service, settings.log_level)
    return build_app(build_kernel(settings))


def main() -> None:
    run_service(ReportingSettings, MIGRATIONS, build_kernel, build_app)


if __name__ == "__main__":
    main()
