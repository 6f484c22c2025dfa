"""Fixtures shared by the unit tests."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest


@pytest.fixture
def thawed() -> Iterator[None]:
    """For a test that settles the heap (gc.freeze): give the test process its heap back after,
    as frozen objects are never collected."""
    gc.unfreeze()
    try:
        yield
    finally:
        gc.unfreeze()
