from __future__ import annotations

from gsi_kernel.cli import app_factory_for, run_service
from notifications.bootstrap import MIGRATIONS, build, build_app
from notifications.settings import NotificationsSettings

app_factory = app_factory_for(NotificationsSettings, build, build_app)


def main() -> None:
    run_service(NotificationsSettings, MIGRATIONS, build, build_app)


if __name__ == "__main__":
    main()
