"""Every event type of the interventions service's own store, with its upcasters."""

from __future__ import annotations

from gsi_kernel.events import EventRegistry
from interventions.domain import (
    action_plan,
    catalogue,
    imports,
    intervention,
    lock_exception,
    regionalization,
    session,
)

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
