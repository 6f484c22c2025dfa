"""Interventions' composition root (issue 20, section 3): ``bootstrap.build`` returns a typed
container, the routes take their use cases from it (not from names in ``app.state``), the use
cases get the narrow dependencies they use (never the kernel) and share one admission, and each
consumer of another service's topic is built by one ``consumer()`` function."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from gsi_contracts import registration, reporting
from gsi_kernel.auth import Principal
from gsi_kernel.clock import FixedClock
from interventions.bootstrap import build, build_app
from interventions.container import Container
from interventions.queries import InterventionQueries
from interventions.settings import InterventionsSettings
from tests.e2e.flow import token

NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
SUMMARY = "/interventions/summary?quarter=2026-2027-Q3"


class StandIn(InterventionQueries):
    """A query object that answers the quarter's summary without a database: which one served."""

    def __init__(self) -> None:  # no database to read
        pass

    def summary(self, principal: Principal, quarter: str) -> dict[str, Any]:
        return {"quarter": quarter, "active": 41, "with_errors": 7, "with_warnings": 3}


@pytest.fixture
def container(tmp_path: Path) -> Iterator[Container]:
    built = build(InterventionsSettings(data_dir=tmp_path, run_workers=False), clock=FixedClock(NOW))
    yield built
    built.kernel.db.dispose()


def _get(container: Container, path: str) -> Any:
    with TestClient(build_app(container)) as client:
        admin = token(client, user_id="admin", roles=["admin"])
        return client.get(path, headers=admin)


def test_build_returns_a_typed_container_whose_use_cases_share_its_kernel(container: Container) -> None:
    assert isinstance(container, Container)
    fields = [f.name for f in dataclasses.fields(Container)]
    assert fields[0] == "kernel"
    for name in fields[1:]:
        assert getattr(container, name) is not None, name
    kernel = container.kernel
    # What they write and read with is the kernel's (no second writer or engine beside it).
    assert container.interventions._writer is kernel.writer
    assert container.imports._writer is kernel.writer
    assert container.action_plans._store is kernel.store
    assert container.regionalization._db is kernel.db
    assert container.interventions.db is kernel.db


def test_every_write_is_decided_through_one_admission(container: Container) -> None:
    """One admission, hence one knowledge: publishing a catalogue forgets the books every
    declaration, session and import decides with, not a copy of them."""
    gate = container.interventions._admission
    for holder in (container.declaration_checks, container.sessions, container.lock_exceptions):
        assert holder._admission is gate
    assert container.imports._admission is gate
    assert container.catalogue._admission is gate
    assert container.import_history._imports is container.imports


def test_a_route_uses_the_query_object_the_container_holds(container: Container) -> None:
    answer = _get(dataclasses.replace(container, intervention_queries=StandIn()), SUMMARY)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"quarter": "2026-2027-Q3", "active": 41, "with_errors": 7, "with_warnings": 3}


def test_build_takes_overrides_by_field_name(tmp_path: Path) -> None:
    settings = InterventionsSettings(data_dir=tmp_path, run_workers=False)
    built = build(settings, clock=FixedClock(NOW), intervention_queries=StandIn())
    try:
        assert isinstance(built.intervention_queries, StandIn)
        assert _get(built, SUMMARY).json()["active"] == 41
    finally:
        built.kernel.db.dispose()


def test_the_real_query_object_answers_and_app_state_holds_no_named_use_case(container: Container) -> None:
    app = build_app(container)
    assert app.state.container is container
    for field in dataclasses.fields(Container)[1:]:
        assert not hasattr(app.state, field.name), field.name
    answer = _get(container, SUMMARY)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"quarter": "2026-2027-Q3", "active": 0, "with_errors": 0, "with_warnings": 0}


def test_the_consumers_are_the_two_built_by_their_modules(container: Container) -> None:
    specs = {spec.name: spec for spec in container.kernel.consumers}
    assert {name: list(spec.topics) for name, spec in specs.items()} == {
        "interventions.persons": [registration.TOPIC],
        "interventions.reporting": [reporting.TOPIC],
    }
    assert registration.PersonsMerged.event_type in specs["interventions.persons"].handlers
    assert set(specs["interventions.reporting"].handlers) >= {
        reporting.AgreementRecorded.event_type,
        reporting.QuarterLocked.event_type,
        reporting.QuarterUnlocked.event_type,
        reporting.ReviewerAssigned.event_type,
    }
