"""The notice aggregate: one stream per deduplication key, so a notice is recorded once whatever
is redelivered, replayed or scheduled twice (organization + quarter + kind + version, say).

A notice names its kind, its audience (the organization's contacts, or the ministry reviewers
assigned to the organization), the recipients resolved when it was recorded (with their
language) and the data its templates render. What happens to each e-mail afterwards — attempts,
delivery, dead letter — is recorded on the same stream by :mod:`notifications.deliveries.domain`;
who has read it in the inbox, by :class:`NoticeRead`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from gsi_kernel.events import DomainEvent
from notifications.notices.events import NoticeRead, NoticeRecorded
from notifications.notices.values import Audience, NoticeKind, Recipient


@dataclass(frozen=True, slots=True)
class RecordNotice:
    dedupe_key: str
    kind: NoticeKind
    organization_id: str
    audience: Audience
    quarter: str | None
    title_fr: str
    title_en: str
    data: Mapping[str, Any] = field(default_factory=dict)
    recipients: tuple[Recipient, ...] = ()


def notice_stream(dedupe_key: str) -> str:
    return f"{_STREAM_PREFIX}{dedupe_key}"


def notice_key(stream_id: str) -> str:
    """The deduplication key of a notice's stream."""
    return stream_id.removeprefix(_STREAM_PREFIX)


_STREAM_PREFIX = "notice-"


def record(history: Sequence[DomainEvent], command: RecordNotice) -> list[DomainEvent]:
    """Record the notice, unless this key was already recorded (then nothing, not an error)."""
    if history:
        return []
    return [
        NoticeRecorded(
            dedupe_key=command.dedupe_key,
            kind=command.kind,
            organization_id=command.organization_id,
            audience=command.audience,
            quarter=command.quarter,
            title_fr=command.title_fr,
            title_en=command.title_en,
            data=dict(command.data),
            recipients=command.recipients,
        )
    ]


def mark_read(history: Sequence[DomainEvent], user_id: str) -> list[DomainEvent]:
    """Mark read for this user; reading twice records nothing more."""
    if any(isinstance(e, NoticeRead) and e.user_id == user_id for e in history):
        return []
    return [NoticeRead(user_id=user_id)]
