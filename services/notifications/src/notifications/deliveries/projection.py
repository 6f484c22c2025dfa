"""The delivery log: one row per e-mail of a notice (per distinct address, and per recipient
without one), its status and attempts — and the lease a delivery worker holds on it while it
sends, released here when the attempt's outcome is projected."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    delete,
    insert,
    update,
)

from gsi_kernel.envelope import EventEnvelope
from gsi_kernel.projections import EventByEvent
from gsi_kernel.store.types import UtcDateTime
from notifications.deliveries.addresses import delivery_id
from notifications.deliveries.domain import Status, deliveries_of
from notifications.deliveries.events import (
    EmailAttemptFailed,
    EmailAttemptStarted,
    EmailDeadLettered,
    EmailRetryRequested,
    EmailSent,
)
from notifications.event_registry import EVENTS
from notifications.notices.events import NoticeRecorded

metadata = MetaData()

deliveries = Table(
    "deliveries",
    metadata,
    Column("delivery_id", String(36), primary_key=True),
    Column("notice_id", String(36), nullable=False, index=True),
    Column("stream_id", String(320), nullable=False),
    Column("recipient", Integer, nullable=False),
    Column("dedupe_key", String(300), nullable=False),
    Column("kind", String(60), nullable=False),
    Column("organization_id", String(100), nullable=False, index=True),
    Column("audience", String(20), nullable=False),
    Column("quarter", String(12)),
    Column("address", String(320)),
    Column("recipient_name", String(200)),
    Column("user_id", String(200)),
    Column("language", String(2), nullable=False),
    Column("status", String(10), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UtcDateTime()),
    Column("last_error", String(60)),
    Column("error_detail", String(2000)),
    Column("dead_reason", String(60)),
    Column("sent_at", UtcDateTime()),
    Column("message_id", String(200)),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("correlation_id", String(36), nullable=False),
    Column("traceparent", String(55)),
    # The lease of the worker sending it (not part of the events: a rebuild starts without).
    Column("claimed_by", String(100)),
    Column("claimed_until", UtcDateTime()),
    UniqueConstraint("stream_id", "recipient", name="uq_deliveries_stream_recipient"),
    Index("ix_deliveries_due", "status", "next_attempt_at"),
)

_RELEASED: dict[str, Any] = {"claimed_by": None, "claimed_until": None}


class DeliveryLogProjection(EventByEvent):
    name = "notifications.deliveries"

    def apply(self, connection: Connection, event: EventEnvelope) -> None:
        decoded = EVENTS.decode(event.type, event.schema_version, event.payload)
        if isinstance(decoded, NoticeRecorded):
            rows = _rows(decoded, event)
            if rows:
                connection.execute(insert(deliveries), rows)
            return
        if not isinstance(decoded, _DELIVERY_EVENTS):
            return
        changes = _changes(decoded, event.occurred_at)
        recipient = decoded.recipient
        connection.execute(
            update(deliveries)
            .where(deliveries.c.delivery_id == delivery_id(event.stream_id, recipient))
            .values(**changes, updated_at=event.occurred_at)
        )

    def reset(self, connection: Connection) -> None:
        connection.execute(delete(deliveries))


def _rows(notice: NoticeRecorded, event: EventEnvelope) -> list[dict[str, Any]]:
    rows = []
    for index in deliveries_of(notice):
        recipient = notice.recipients[index]
        rows.append(
            {
                "delivery_id": delivery_id(event.stream_id, index),
                "notice_id": event.event_id,
                "stream_id": event.stream_id,
                "recipient": index,
                "dedupe_key": notice.dedupe_key,
                "kind": str(notice.kind),
                "organization_id": notice.organization_id,
                "audience": str(notice.audience),
                "quarter": notice.quarter,
                "address": recipient.email.strip() if recipient.email else None,
                "recipient_name": recipient.name,
                "user_id": recipient.user_id,
                "language": recipient.language,
                "status": Status.PENDING,
                "attempts": 0,
                "next_attempt_at": event.occurred_at,
                "created_at": event.occurred_at,
                "updated_at": event.occurred_at,
                "correlation_id": event.correlation_id,
                "traceparent": event.traceparent,
            }
        )
    return rows


_DeliveryEvent = (
    EmailAttemptStarted | EmailSent | EmailAttemptFailed | EmailDeadLettered | EmailRetryRequested
)
_DELIVERY_EVENTS = (
    EmailAttemptStarted,
    EmailSent,
    EmailAttemptFailed,
    EmailDeadLettered,
    EmailRetryRequested,
)


def _changes(event: _DeliveryEvent, at: datetime) -> dict[str, Any]:
    """The columns a step of the delivery changes."""
    if isinstance(event, EmailAttemptStarted):
        return {"attempts": event.attempt, "message_id": event.message_id}
    if isinstance(event, EmailSent):
        return {
            "status": Status.SENT,
            "sent_at": at,
            "next_attempt_at": None,
            "dead_reason": None,  # an attempt thought in doubt did go through
            **_RELEASED,
        }
    if isinstance(event, EmailAttemptFailed):
        return {
            "status": Status.RETRYING,
            "next_attempt_at": event.next_attempt_at,
            "last_error": event.error,
            "error_detail": event.detail[:2000],
            **_RELEASED,
        }
    if isinstance(event, EmailDeadLettered):
        return {
            "status": Status.DEAD,
            "next_attempt_at": None,
            "dead_reason": event.reason,
            "last_error": event.error or event.reason,
            "error_detail": event.detail[:2000],
            **_RELEASED,
        }
    return {"status": Status.PENDING, "next_attempt_at": at, "dead_reason": None, **_RELEASED}
