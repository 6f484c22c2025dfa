"""The notice aggregate: one stream per deduplication key, so a notice is recorded once whatever
is redelivered, replayed or scheduled twice (organization + quarter + kind + version, say).

A notice names its kind, its audience (the organization's contacts, or the ministry reviewers
assigned to the organization), the recipients resolved when it was recorded (with their
language) and the data its templates render. What happens to each e-mail afterwards — attempts,
delivery, dead letter — is recorded on the same stream by :mod:`notifications.domain.delivery`;
who has read it in the inbox, by :class:`NoticeRead`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from gsi_kernel.events import DomainEvent

Language = Literal["fr", "en"]


class Audience(StrEnum):
    ORGANIZATION = "organization"  # the organization's contacts and users
    MINISTRY = "ministry"  # the reviewers assigned to the organization


class NoticeKind(StrEnum):
    """What a notice is about; each kind has a French and an English template."""

    DEADLINE_REMINDER = "deadline_reminder"  # D-15, D-7, D-1 while the report is not submitted
    DEADLINE_MISSED = "deadline_missed"  # on the day the deadline passes, to org and reviewer
    DEADLINE_ESCALATION = "deadline_escalation"  # D+7, still not submitted
    CONTROL_REMINDER = "control_reminder"  # D+20 of the control window, still under control
    RESUBMISSION_REMINDER = "resubmission_reminder"  # before the resubmission deadline
    CHECKPOINT_DUE = "checkpoint_due"  # a regionalization checkpoint falls due
    REPORT_SUBMITTED = "report_submitted"  # to the reviewer
    REPORT_ACCEPTED = "report_accepted"
    REPORT_REJECTED = "report_rejected"  # with the reasons and the failed checks
    QUARTER_LOCKED = "quarter_locked"
    QUARTER_UNLOCKED = "quarter_unlocked"
    LOCK_EXCEPTION_GRANTED = "lock_exception_granted"
    LOCK_EXCEPTION_REFUSED = "lock_exception_refused"
    IMPORT_FINISHED = "import_finished"


class Recipient(BaseModel):
    """Someone a notice is for. ``email`` is None when no address is known (the notice still
    reaches the inbox; the missing e-mail is recorded as a failed delivery with its reason)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    email: str | None
    name: str | None = None
    user_id: str | None = None
    language: Language = "fr"


class NoticeRecorded(DomainEvent):
    event_type = "NoticeRecorded"

    dedupe_key: str
    kind: NoticeKind
    organization_id: str
    audience: Audience
    quarter: str | None
    title_fr: str
    title_en: str
    data: dict[str, Any]  # JSON values the templates render (see notifications.domain.kinds)
    recipients: tuple[Recipient, ...]


class NoticeRead(DomainEvent):
    """A user opened or marked the notice read in the inbox (once per user)."""

    event_type = "NoticeRead"

    user_id: str


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
