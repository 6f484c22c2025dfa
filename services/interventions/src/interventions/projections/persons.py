"""Persons as this service knows them — from registration's published events, applied by the
idempotent consumer runner (``gsi_readmodels.persons``, the same follower reporting keeps)."""

from __future__ import annotations

from gsi_contracts import registration
from gsi_kernel.runtime import ConsumerSpec
from gsi_readmodels.persons import PersonFollower
from interventions.projections.tables import PERSONS


def consumer() -> ConsumerSpec:
    """The consumer of registration's topic that keeps :data:`PERSONS`."""
    return ConsumerSpec("interventions.persons", [registration.TOPIC], PersonFollower(PERSONS).handlers)
