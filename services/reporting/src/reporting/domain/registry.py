"""Every event type of the reporting service's own store, with its upcasters."""

from __future__ import annotations

from gsi_kernel.events import EventRegistry
from reporting.domain import agreement, calendar, organization, report_events

EVENTS = EventRegistry(
    [
        *report_events.EVENTS,
        *calendar.EVENTS,
        *organization.EVENTS,
        *agreement.EVENTS,
    ]
)
