"""Every event type of the reporting service's own store, with its upcasters."""

from __future__ import annotations

from gsi_kernel.events import EventRegistry
from reporting.agreements import domain as agreement
from reporting.calendar import domain as calendar
from reporting.organizations import domain as organization
from reporting.reports import events as report_events

EVENTS = EventRegistry(
    [
        *report_events.EVENTS,
        *calendar.EVENTS,
        *organization.EVENTS,
        *agreement.EVENTS,
    ]
)
