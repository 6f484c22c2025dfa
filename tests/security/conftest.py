"""Fixtures of the security tests: the four services in this process (embedded mode) on one
fixed clock, with the world of :mod:`tests.security.world` seeded once per module, and a token
for each caller of :mod:`tests.security.matrix`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gsi_kernel.auth import DevTokenIssuer
from gsi_kernel.clock import FixedClock
from tests.e2e.flow import Services
from tests.in_process import embedded_services
from tests.security.discovery import seed_program
from tests.security.matrix import headers_of
from tests.security.operations import SERVICES
from tests.security.world import NOW, World, build_world


@pytest.fixture(scope="module")
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory, clock: FixedClock) -> Iterator[Services]:
    data_dir: Path = tmp_path_factory.mktemp("security")
    with embedded_services(data_dir, clock=clock) as running:
        yield running


def clients(services: Services) -> dict[str, Any]:
    return {name: getattr(services, name) for name in SERVICES}


def live_documents(services: Services) -> dict[str, dict[str, Any]]:
    """The OpenAPI document each running service serves."""
    return {name: client.get("/openapi.json").json() for name, client in clients(services).items()}


@pytest.fixture(scope="module")
def world(services: Services, clock: FixedClock) -> World:
    seeded = build_world(services, clock)
    seeded.program = seed_program(clients(services), seeded.admin, live_documents(services), seeded.a.ids)
    seeded.secrets |= set(seeded.a.ids.values())
    return seeded


@pytest.fixture(scope="module")
def headers(services: Services) -> dict[str, dict[str, str]]:
    issuer = services.registration.app.state.kernel.dev_issuer  # type: ignore[attr-defined]
    assert isinstance(issuer, DevTokenIssuer)
    return headers_of(issuer)
