"""Every event type of the interventions service's own store, with its upcasters."""

from __future__ import annotations

from gsi_kernel.events import EventRegistry
from interventions.action_plans import domain as action_plan
from interventions.catalogue import domain as catalogue
from interventions.declarations import domain as intervention
from interventions.imports import domain as imports
from interventions.lock_exceptions import domain as lock_exception
from interventions.regionalization import domain as regionalization
from interventions.sessions import domain as session

EVENTS = EventRegistry(
    [
        *intervention.EVENTS,
        *session.EVENTS,
        *lock_exception.EVENTS,
        *catalogue.EVENTS,
        *action_plan.EVENTS,
        *regionalization.EVENTS,
        *imports.EVENTS,
    ]
)
