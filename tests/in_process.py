"""The four services in this process (TestClient), embedded mode, sharing one data folder."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

import interventions.bootstrap as interventions_app
import notifications.bootstrap as notifications_app
import registration.bootstrap as registration_app
import reporting.bootstrap as reporting_app
from gsi_kernel.clock import Clock
from interventions.settings import InterventionsSettings
from notifications.settings import NotificationsSettings
from registration.settings import RegistrationSettings
from reporting.settings import ReportingSettings
from tests.e2e.flow import Services

MODULES: list[tuple[Any, Any]] = [
    (registration_app, RegistrationSettings),
    (interventions_app, InterventionsSettings),
    (reporting_app, ReportingSettings),
    (notifications_app, NotificationsSettings),
]


@contextmanager
def embedded_services(data_dir: Path, clock: Clock | None = None) -> Iterator[Services]:
    """``clock``: one clock for all four (a test moves it through a quarter); the system's
    clock when None."""
    with ExitStack() as stack:
        clients = []
        for module, settings_cls in MODULES:
            settings = settings_cls(data_dir=data_dir, trace_file=data_dir / "traces.jsonl")
            app = module.build_app(module.build(settings, clock=clock))
            clients.append(stack.enter_context(TestClient(app)))
        yield Services(*clients)


@contextmanager
def services_on_postgres(
    data_dir: Path, database_url: str, schema_prefix: str, clock: Clock | None = None
) -> Iterator[Services]:
    """The same four services on PostgreSQL, each in its own schema ``<prefix>_<service>`` (the
    bus stays the embedded log in ``data_dir``); built again on the same schemas, they find
    everything where they left it (a restart)."""
    with ExitStack() as stack:
        clients = []
        for module, settings_cls in MODULES:
            settings = settings_cls(
                data_dir=data_dir,
                database_url=database_url,
                db_schema=f"{schema_prefix}_{settings_cls.service}",
                trace_file=data_dir / "traces.jsonl",
            )
            built = module.build(settings, clock=clock)
            stack.callback(built.kernel.db.dispose)
            clients.append(stack.enter_context(TestClient(module.build_app(built))))
        yield Services(*clients)
