"""The in-app inbox read model."""

from __future__ import annotations

from sqlalchemy import Column, Connection, MetaData, String, Table, delete, insert

from gsi_kernel.envelope import EventEnvelope
from gsi_kernel.store.types import UtcDateTime
from notifications.domain.notice import EVENTS, NoticeRecorded

metadata = MetaData()

inbox = Table(
    "inbox",
    metadata,
    Column("notice_id", String(36), primary_key=True),
    Column("dedupe_key", String(300), nullable=False, unique=True),
    Column("organization_id", String(100), nullable=False, index=True),
    Column("audience", String(20), nullable=False),
    Column("kind", String(60), nullable=False),
    Column("quarter", String(12)),
    Column("title_fr", String(300), nullable=False),
    Column("title_en", String(300), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("traceparent", String(55)),
)


class InboxProjection:
    name = "notifications.inbox"

    def apply(self, connection: Connection, event: EventEnvelope) -> None:
        decoded = EVENTS.decode(event.type, event.schema_version, event.payload)
        if isinstance(decoded, NoticeRecorded):
            connection.execute(
                insert(inbox).values(
                    notice_id=event.event_id,
                    **decoded.model_dump(),
                    created_at=event.occurred_at,
                    traceparent=event.traceparent,
                )
            )

    def reset(self, connection: Connection) -> None:
        connection.execute(delete(inbox))
