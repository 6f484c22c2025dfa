"""The delivery events, recorded on the notice's own stream, recipient by recipient: an attempt
started, sent, failed, dead-lettered, or retried at an administrator's request."""

from __future__ import annotations

from datetime import datetime

from gsi_kernel.events import DomainEvent


class EmailAttemptStarted(DomainEvent):
    """Recorded before the message goes to the SMTP server: the attempt belongs to its recorder."""

    event_type = "EmailAttemptStarted"

    recipient: int
    address: str
    attempt: int
    message_id: str


class EmailSent(DomainEvent):
    """The SMTP server accepted the message (answered 250 to its data)."""

    event_type = "EmailSent"

    recipient: int
    address: str
    attempt: int
    message_id: str


class EmailAttemptFailed(DomainEvent):
    event_type = "EmailAttemptFailed"

    recipient: int
    address: str
    attempt: int
    error: str
    detail: str
    next_attempt_at: datetime


class EmailDeadLettered(DomainEvent):
    """No more automatic attempts: ``reason`` says why, ``error`` the last failure's code."""

    event_type = "EmailDeadLettered"

    recipient: int
    address: str | None
    attempts: int
    reason: str
    error: str | None
    detail: str


class EmailRetryRequested(DomainEvent):
    """An administrator sends a dead letter again: a new round of attempts."""

    event_type = "EmailRetryRequested"

    recipient: int
    requested_by: str


DELIVERY_EVENTS: list[type[DomainEvent]] = [
    EmailAttemptStarted,
    EmailSent,
    EmailAttemptFailed,
    EmailDeadLettered,
    EmailRetryRequested,
]
