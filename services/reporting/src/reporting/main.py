from __future__ import annotations

from gsi_kernel.cli import app_factory_for, run_service
from reporting.bootstrap import MIGRATIONS, build_app, build_kernel
from reporting.settings import ReportingSettings

app_factory = app_factory_for(ReportingSettings, build_kernel, build_app)


def main() -> None:
    run_service(ReportingSettings, MIGRATIONS, build_kernel, build_app)


if __name__ == "__main__":
    main()
