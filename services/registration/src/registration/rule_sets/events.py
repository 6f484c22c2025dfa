"""The eligibility rule sets' event: a published version carries its whole document, so every
service evaluates with exactly the same rules."""

from __future__ import annotations

from datetime import date
from typing import Any

from gsi_kernel.events import DomainEvent, EventRegistry


class RuleSetPublished(DomainEvent):
    event_type = "RuleSetPublished"

    program: str
    version: str
    effective_from: date
    document: dict[str, Any]
    reason: str = ""  # the administrator's, shown with the version (none before it was asked)


EVENTS = EventRegistry([RuleSetPublished])
