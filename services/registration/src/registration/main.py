from __future__ import annotations

from fastapi import FastAPI

from gsi_kernel.cli import run_service
from gsi_kernel.telemetry import configure_logging
from registration.bootstrap import MIGRATIONS, build_app, build_kernel
from registration.settings import RegistrationSettings


def app_factory() -> FastAPI:
    """One serving process's app (``http_workers`` > 1 starts several)."""
    settings = RegistrationSettings()
    configure_logging(settings.service, settings.log_level)
    return build_app(build_kernel(settings))


def main() -> None:
    run_service(RegistrationSettings, MIGRATIONS, build_kernel, build_app)


if __name__ == "__main__":
    main()
