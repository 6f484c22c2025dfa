from __future__ import annotations

from gsi_kernel.cli import app_factory_for, run_service
from registration.bootstrap import MIGRATIONS, build_app, build_kernel
from registration.settings import RegistrationSettings

app_factory = app_factory_for(RegistrationSettings, build_kernel, build_app)


def main() -> None:
    run_service(RegistrationSettings, MIGRATIONS, build_kernel, build_app)


if __name__ == "__main__":
    main()
