"""The records that once stopped a consumer for ever (issue 19, section 1), as raw bytes."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime

from gsi_contracts import registration
from gsi_kernel.envelope import EventEnvelope
from tests.consumers import published

NOW = datetime(2026, 11, 20, 15, tzinfo=UTC)


@dataclass(frozen=True)
class Poison:
    name: str
    key: bytes | None
    value: bytes | None
    headers: tuple[tuple[str, bytes], ...] = ()
    reason: str = ""  # the start of the dead letter's reason


def person_registered(person_id: str | None = None, *, event_id: str | None = None) -> EventEnvelope:
    """A registration event both of registration's consumers apply."""
    person_id = person_id or f"p-{uuid.uuid4().hex[:10]}"
    envelope = published(
        registration.PersonRegistered(
            person_id=person_id,
            organization_id="org-a",
            birth_date=date(1990, 5, 1),
            status="resident",
            status_since=date(2020, 1, 1),
            region="06",
            file_number=7,
        ),
        occurred_at=NOW,
        stream_id=f"person-{person_id}",
    )
    return envelope if event_id is None else replace(envelope, event_id=event_id)


def six_kinds() -> list[Poison]:
    """The six kinds seen on ``gsi.registration``; each a valid event but for its defect."""
    valid = person_registered().to_bytes()
    return [
        Poison("tombstone", b"person-1", None, reason="unreadable event: null value"),
        Poison("key not UTF-8", b"\xff\xfeperson\x00", valid, reason="unreadable event: key of 9 bytes"),
        Poison(
            "long key, unreadable value",
            b"k" * 100_000,
            b"\x00\xff not json",
            reason="unreadable event: value of 11 bytes is not UTF-8",
        ),
        Poison(
            "JSON nested 100,000 levels",
            b"deep",
            b"[" * 100_000 + b"]" * 100_000,
            reason="unreadable event: value is JSON nested too deeply",
        ),
        Poison(
            "traceparent not UTF-8",
            b"person-2",
            valid,
            (("traceparent", b"00-\xff\xfe-01"),),
            reason="unreadable event: traceparent header is not UTF-8",
        ),
        Poison(
            "id longer than 36",
            b"person-3",
            person_registered(event_id="e" * 37).to_bytes(),
            reason="unreadable event: event id of 37 characters",
        ),
    ]
