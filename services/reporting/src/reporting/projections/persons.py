"""Persons as reporting knows them — from registration's published events, applied by the
idempotent consumer runner (``gsi_readmodels.persons``, the same follower interventions keeps).
Erased persons stay, marked: their pseudonymous facts still count in past quarters."""

from __future__ import annotations

from gsi_readmodels.persons import PersonFollower
from reporting.projections.tables import PERSONS

CONSUMER = "reporting.persons"
HANDLERS = PersonFollower(PERSONS).handlers
