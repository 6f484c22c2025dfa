from __future__ import annotations

from gsi_kernel.cli import app_factory_for, run_service
from interventions.bootstrap import MIGRATIONS, build, build_app
from interventions.settings import InterventionsSettings

app_factory = app_factory_for(InterventionsSettings, build, build_app)


def main() -> None:
    run_service(InterventionsSettings, MIGRATIONS, build, build_app)


if __name__ == "__main__":
    main()
