"""What a person's file shows beyond the read model: the status history and the identity.

Both come from the person's stream: the read model keeps only the current status, and no
personal data beyond the names (the rest is sealed under the person's key, ADR 8). Each status
period keeps the reason it was recorded with and when; the identity is the registration's,
with the address of the last address change."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from gsi_kernel.envelope import EventEnvelope
from registration.persons import events as ev

# The sealed fields the file shows (the names are in the read model already).
CONTACT_FIELDS = ("uci", "email", "phone")
ADDRESS_FIELDS = ("street", "municipality", "postal_code")

Opener = Callable[[str], dict[str, Any] | None]
"""Opens a sealed token of the person's: its fields, or None once the person was erased."""


def file_details(history: Sequence[EventEnvelope], open_pii: Opener) -> dict[str, Any]:
    """The status periods (by effective date, as the aggregate orders them) and the identity."""
    statuses: list[dict[str, Any]] = []
    identity: dict[str, Any] = {}
    for stored in history:
        if not ev.EVENTS.knows(stored.type):
            continue
        event = ev.EVENTS.decode(stored.type, stored.schema_version, stored.payload)
        if isinstance(event, ev.PersonRegistered):
            statuses.append(_period(event.status, None, stored))
            identity = {
                "languages": list(event.languages),
                "french_level": event.french_level,
                **_fields(open_pii(event.pii), (*CONTACT_FIELDS, *ADDRESS_FIELDS)),
            }
        elif isinstance(event, ev.StatusChanged):
            statuses.append(_period(event.period, event.reason, stored))
        elif isinstance(event, ev.AddressChanged):
            # A new address replaces the whole of the old one (a field it leaves out is gone).
            identity |= _fields(open_pii(event.pii), ADDRESS_FIELDS)
    statuses.sort(key=lambda p: p["effective_from"])  # stable: equal dates keep recording order
    return {"statuses": statuses, **identity}


def _period(period: ev.StatusPeriod, reason: str | None, stored: EventEnvelope) -> dict[str, Any]:
    return {**period.model_dump(), "reason": reason, "recorded_at": stored.occurred_at}


def _fields(opened: dict[str, Any] | None, names: tuple[str, ...]) -> dict[str, Any]:
    return {name: (opened or {}).get(name) for name in names}
