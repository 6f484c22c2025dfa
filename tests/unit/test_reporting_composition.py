"""Reporting's composition root (issue 20, section 3): ``bootstrap.build`` returns a typed
container, the routes take their use cases from it (not from names in ``app.state``), the use
cases get the narrow dependencies they use (never the kernel), and each consumer of another
service's topic is built by one ``consumer()`` function."""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

import reporting
from gsi_contracts import interventions, registration
from gsi_kernel.clock import FixedClock
from reporting.bootstrap import build, build_app
from reporting.container import Container
from reporting.performance.indicators import ProgramIndicators
from reporting.settings import ReportingSettings
from tests.e2e.flow import token

NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)


class StandIn(ProgramIndicators):
    """A program-indicators use case that answers without a database: which object served."""

    def __init__(self) -> None:  # no database to read
        pass

    def compute(self, fiscal_year: str) -> dict[str, Any]:
        return {"fiscal_year": fiscal_year, "served_by": "stand-in"}


@pytest.fixture
def container(tmp_path: Path) -> Iterator[Container]:
    built = build(ReportingSettings(data_dir=tmp_path, run_workers=False), clock=FixedClock(NOW))
    yield built
    built.kernel.db.dispose()


def _get(container: Container, path: str) -> Any:
    with TestClient(build_app(container)) as client:
        ministry = token(client, user_id="admin", roles=["admin"])
        return client.get(path, headers=ministry)


def test_build_returns_a_typed_container_the_use_cases_share_its_kernel(container: Container) -> None:
    assert isinstance(container, Container)
    fields = [f.name for f in dataclasses.fields(Container)]
    assert fields[0] == "kernel"
    for name in fields[1:]:
        assert getattr(container, name) is not None, name
    # The writer the use cases write with is the kernel's (no second one built beside it).
    assert container.reports._writer is container.kernel.writer
    assert container.organizations._db is container.kernel.db


def test_a_route_uses_the_use_case_the_container_holds(container: Container) -> None:
    replaced = dataclasses.replace(container, program_indicators=StandIn())
    answer = _get(replaced, "/indicators/2026-2027/integration")
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"fiscal_year": "2026-2027", "served_by": "stand-in"}


def test_build_takes_overrides_by_field_name(tmp_path: Path) -> None:
    settings = ReportingSettings(data_dir=tmp_path, run_workers=False)
    built = build(settings, clock=FixedClock(NOW), program_indicators=StandIn())
    try:
        assert isinstance(built.program_indicators, StandIn)
        answer = _get(built, "/indicators/2026-2027/integration")
        assert answer.json()["served_by"] == "stand-in"
    finally:
        built.kernel.db.dispose()


def test_the_real_use_cases_answer_and_app_state_holds_no_named_ones(container: Container) -> None:
    app = build_app(container)
    assert app.state.container is container
    for name in ("reports", "report_queries", "calendars", "performance", "program_indicators"):
        assert not hasattr(app.state, name), name
    answer = _get(container, "/indicators/2026-2027/integration")
    assert answer.status_code == 200, answer.text
    assert answer.json()["fiscal_year"] == "2026-2027"
    assert "served_by" not in answer.json()


def _consumer_modules() -> Iterator[str]:
    """Every module of reporting, in whichever feature folder, that defines ``consumer()``."""
    root = Path(reporting.__file__).parent
    for path in sorted(root.rglob("*.py")):
        if "def consumer(" in path.read_text(encoding="utf-8"):
            yield ".".join(("reporting", *path.relative_to(root).with_suffix("").parts))


def test_each_consumer_is_the_one_its_module_builds(container: Container) -> None:
    built: dict[str, list[str]] = {}
    for module in _consumer_modules():
        make = getattr(importlib.import_module(module), "consumer", None)
        if callable(make):
            spec = make()
            built[spec.name] = list(spec.topics)
    wired = {spec.name: list(spec.topics) for spec in container.kernel.consumers}
    assert wired == built
    assert wired["reporting.interventions"] == [interventions.TOPIC]
    assert wired["reporting.persons"] == [registration.TOPIC]
    persons = next(s for s in container.kernel.consumers if s.name == "reporting.persons")
    assert registration.PersonsMerged.event_type in persons.handlers
