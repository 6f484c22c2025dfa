"""The in-app inbox read model: one row per notice — with the data its content is written from
(the inbox renders it in both languages when asked, from the e-mail templates) — and who has
read it."""

from __future__ import annotations

from sqlalchemy import JSON, Column, Connection, MetaData, String, Table, delete, insert

from gsi_kernel.envelope import EventEnvelope
from gsi_kernel.projections import EventByEvent
from gsi_kernel.store.backend import backend_of
from gsi_kernel.store.types import UtcDateTime
from notifications.event_registry import EVENTS
from notifications.notices.domain import notice_key
from notifications.notices.events import NoticeRead, NoticeRecorded

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
    Column("data", JSON),  # the notice's data (NULL only before revision 0006 filled it)
)

inbox_reads = Table(
    "inbox_reads",
    metadata,
    Column("dedupe_key", String(300), primary_key=True),
    Column("user_id", String(200), primary_key=True),
    Column("read_at", UtcDateTime(), nullable=False),
)

_NOTICE_FIELDS = (
    "dedupe_key",
    "organization_id",
    "audience",
    "kind",
    "quarter",
    "title_fr",
    "title_en",
    "data",
)


class InboxProjection(EventByEvent):
    name = "notifications.inbox"

    def apply(self, connection: Connection, event: EventEnvelope) -> None:
        if not EVENTS.knows(event.type):
            return
        decoded = EVENTS.decode(event.type, event.schema_version, event.payload)
        if isinstance(decoded, NoticeRecorded):
            fields = decoded.model_dump(mode="json", include=set(_NOTICE_FIELDS))
            connection.execute(
                insert(inbox).values(
                    notice_id=event.event_id,
                    **fields,
                    created_at=event.occurred_at,
                    traceparent=event.traceparent,
                )
            )
        elif isinstance(decoded, NoticeRead):
            connection.execute(
                backend_of(connection)
                .insert(inbox_reads)
                .values(
                    dedupe_key=notice_key(event.stream_id), user_id=decoded.user_id, read_at=event.occurred_at
                )
                .on_conflict_do_nothing()
            )

    def reset(self, connection: Connection) -> None:
        connection.execute(delete(inbox_reads))
        connection.execute(delete(inbox))
