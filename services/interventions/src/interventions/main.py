from __future__ import annotations

from gsi_kernel.cli import run_service
from interventions.bootstrap import MIGRATIONS, build_app, build_kernel
from interventions.settings import InterventionsSettings


def main() -> None:
    run_service(InterventionsSettings, MIGRATIONS, build_kernel, build_app)


if __name__ == "__main__":
    main()
