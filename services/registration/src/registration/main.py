from __future__ import annotations

from gsi_kernel.cli import app_factory_for, run_service
from registration.bootstrap import MIGRATIONS, build, build_app
from registration.settings import RegistrationSettings

app_factory = app_factory_for(RegistrationSettings, build, build_app)


def main() -> None:
    run_service(RegistrationSettings, MIGRATIONS, build, build_app)


if __name__ == "__main__":
    main()
