"""Registration's composition root (issue 20, section 3; ADR 26): ``bootstrap.build`` returns a
typed container, the routes take their use cases from it (not from names in ``app.state``), the
use cases get the narrow dependencies they use (never the kernel, nor an untyped side table of
the kernel's), and its consumer of reporting's topic is built by one ``consumer()`` function."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from gsi_contracts import reporting
from gsi_kernel.clock import FixedClock
from gsi_kernel.runtime import Kernel
from registration.bootstrap import build, build_app
from registration.container import Container
from registration.reviewers import projection as reviewers
from registration.rule_sets.app import RuleBooks
from registration.settings import RegistrationSettings
from tests.e2e.flow import token

NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
DOCUMENT = "/rule-sets/PASI/2020.1"  # shipped with gsi_eligibility


class StandIn(RuleBooks):
    """A rule book that answers without a database: which object served the route."""

    def __init__(self) -> None:  # nothing to read
        pass

    def document(self, program: str, version: str) -> dict[str, Any]:
        return {"program": program, "version": version, "served_by": "stand-in"}


@pytest.fixture
def container(tmp_path: Path) -> Iterator[Container]:
    built = build(RegistrationSettings(data_dir=tmp_path, run_workers=False), clock=FixedClock(NOW))
    yield built
    built.kernel.db.dispose()


def _get(container: Container, path: str) -> Any:
    with TestClient(build_app(container)) as client:
        admin = token(client, user_id="admin", roles=["admin"])
        return client.get(path, headers=admin)


def test_build_returns_a_typed_container_whose_use_cases_share_one_kernel(container: Container) -> None:
    assert isinstance(container, Container)
    fields = [f.name for f in dataclasses.fields(Container)]
    assert fields[0] == "kernel"
    assert isinstance(container.kernel, Kernel)
    for name in fields[1:]:
        assert getattr(container, name) is not None, name
    kernel = container.kernel
    # One writer, one database, one vault and one rule book, shared by the use cases built on them.
    assert container.registering._writer is kernel.writer
    assert container.duplicates._db is kernel.db
    assert container.registering._vault is container.vault
    assert container.queries._vault is container.vault
    assert container.changes._rules is container.rules
    assert container.privacy._queries is container.queries


def test_a_route_uses_the_use_case_the_container_holds(container: Container) -> None:
    answer = _get(dataclasses.replace(container, rules=StandIn()), DOCUMENT)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"program": "PASI", "version": "2020.1", "served_by": "stand-in"}


def test_build_takes_overrides_by_field_name(tmp_path: Path) -> None:
    settings = RegistrationSettings(data_dir=tmp_path, run_workers=False)
    built = build(settings, clock=FixedClock(NOW), rules=StandIn())
    try:
        assert isinstance(built.rules, StandIn)
        assert _get(built, DOCUMENT).json()["served_by"] == "stand-in"
    finally:
        built.kernel.db.dispose()


def test_the_real_use_cases_answer_and_app_state_holds_no_named_ones(container: Container) -> None:
    app = build_app(container)
    assert app.state.container is container
    for name in ("vault", "rules", "queries", "registering", "changes", "privacy", "duplicates"):
        assert not hasattr(app.state, name), name
    answer = _get(container, DOCUMENT)
    assert answer.status_code == 200, answer.text
    assert (answer.json()["program"], answer.json()["version"]) == ("PASI", "2020.1")
    assert "served_by" not in answer.json()


def test_the_consumer_is_the_one_its_module_builds(container: Container) -> None:
    [wired] = container.kernel.consumers
    built = reviewers.consumer()
    assert (wired.name, list(wired.topics)) == (built.name, list(built.topics))
    assert list(wired.topics) == [reporting.TOPIC]
    assert set(wired.handlers) == {
        reporting.ReviewerAssigned.event_type,
        reporting.ReviewerUnassigned.event_type,
    }
