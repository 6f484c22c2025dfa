from __future__ import annotations

from gsi_kernel.cli import run_service
from registration.bootstrap import MIGRATIONS, build_app, build_kernel
from registration.settings import RegistrationSettings


def main() -> None:
    run_service(RegistrationSettings, MIGRATIONS, build_kernel, build_app)


if __name__ == "__main__":
    main()
