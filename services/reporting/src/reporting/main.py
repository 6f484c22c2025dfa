from __future__ import annotations

from gsi_kernel.cli import app_factory_for, run_service
from reporting.bootstrap import MIGRATIONS, build, build_app
from reporting.settings import ReportingSettings

app_factory = app_factory_for(ReportingSettings, build, build_app)


def main() -> None:
    run_service(ReportingSettings, MIGRATIONS, build, build_app)


if __name__ == "__main__":
    main()
