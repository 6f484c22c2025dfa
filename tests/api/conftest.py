from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from gsi_kernel.clock import FixedClock
from registration.bootstrap import build_app, build_kernel
from registration.settings import RegistrationSettings
from tests.e2e.flow import token

NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)


@dataclass
class Registration:
    client: TestClient
    clock: FixedClock

    def headers(
        self, user: str, roles: list[str], organization: str | None = None, **claims: Any
    ) -> dict[str, str]:
        return token(self.client, user_id=user, roles=roles, organization=organization, **claims)


@pytest.fixture
def registration(tmp_path: Path) -> Iterator[Registration]:
    """The registration service alone, in this process, on a clock the test moves."""
    clock = FixedClock(NOW)
    settings = RegistrationSettings(data_dir=tmp_path)
    with TestClient(build_app(build_kernel(settings, clock=clock))) as client:
        yield Registration(client, clock)
