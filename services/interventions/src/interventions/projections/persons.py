"""Persons as this service knows them — from registration's published events, applied by the
idempotent consumer runner (``gsi_readmodels.persons``, the same follower reporting keeps)."""

from __future__ import annotations

from gsi_readmodels.persons import PersonFollower
from interventions.projections.tables import PERSONS

CONSUMER = "interventions.persons"
HANDLERS = PersonFollower(PERSONS).handlers
