"""The notice's events: recorded once per deduplication key, read by a user. The delivery events
recorded on the same stream are in :mod:`notifications.deliveries.events`."""

from __future__ import annotations

from typing import Any

from gsi_kernel.events import DomainEvent
from notifications.notices.values import Audience, NoticeKind, Recipient


class NoticeRecorded(DomainEvent):
    event_type = "NoticeRecorded"

    dedupe_key: str
    kind: NoticeKind
    organization_id: str
    audience: Audience
    quarter: str | None
    title_fr: str
    title_en: str
    data: dict[str, Any]  # JSON values the templates render (see notifications.emails.templates)
    recipients: tuple[Recipient, ...]


class NoticeRead(DomainEvent):
    """A user opened or marked the notice read in the inbox (once per user)."""

    event_type = "NoticeRead"

    user_id: str
