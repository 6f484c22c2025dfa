"""The notice aggregate: one stream per deduplication key, so a notice is recorded once
whatever is redelivered (organization + quarter + kind + submission version, for instance)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from gsi_kernel.events import DomainEvent, EventRegistry


class Audience(StrEnum):
    ORGANIZATION = "organization"  # the organization's users
    MINISTRY = "ministry"  # the reviewers assigned to the organization


@dataclass(frozen=True, slots=True)
class RecordNotice:
    dedupe_key: str
    organization_id: str
    audience: Audience
    kind: str
    quarter: str | None
    title_fr: str
    title_en: str


class NoticeRecorded(DomainEvent):
    event_type = "NoticeRecorded"

    dedupe_key: str
    organization_id: str
    audience: Audience
    kind: str
    quarter: str | None
    title_fr: str
    title_en: str


EVENTS = EventRegistry([NoticeRecorded])


def notice_stream(dedupe_key: str) -> str:
    return f"notice-{dedupe_key}"


def record(history: Sequence[DomainEvent], command: RecordNotice) -> list[DomainEvent]:
    """Record the notice, unless this key was already recorded (then: nothing, not an error)."""
    if history:
        return []
    return [
        NoticeRecorded(
            dedupe_key=command.dedupe_key,
            organization_id=command.organization_id,
            audience=command.audience,
            kind=command.kind,
            quarter=command.quarter,
            title_fr=command.title_fr,
            title_en=command.title_en,
        )
    ]
