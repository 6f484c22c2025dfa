"""Every event type of the interventions service's own store, with its upcasters."""

from __future__ import annotations

from gsi_kernel.events import EventRegistry
from interventions.domain import intervention

EVENTS = EventRegistry([*intervention.EVENTS])
