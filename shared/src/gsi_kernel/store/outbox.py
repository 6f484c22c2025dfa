"""The transactional outbox: messages written in the same transaction as the events they come
from, published later by the relay (:mod:`gsi_kernel.relay`) — never from a request handler."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, func, insert, select, update

from gsi_kernel.bus.port import Headers, Message
from gsi_kernel.envelope import CONTENT_TYPE, EventEnvelope
from gsi_kernel.store.tables import outbox

_INSERT = insert(outbox)


@dataclass(frozen=True, slots=True)
class Publication:
    """An integration event to publish on ``topic``, keyed by its stream id."""

    topic: str
    envelope: EventEnvelope

    def to_message(self) -> Message:
        e = self.envelope
        headers: list[tuple[str, bytes]] = [
            ("content-type", CONTENT_TYPE.encode()),
            ("ce_id", e.event_id.encode()),
            ("ce_type", e.type.encode()),
            ("ce_source", e.source.encode()),
        ]
        if e.traceparent:
            headers.append(("traceparent", e.traceparent.encode()))
        return Message(self.topic, e.stream_id, e.to_bytes(), tuple(headers))


@dataclass(frozen=True, slots=True)
class PendingMessage:
    id: int
    message: Message


class Outbox:
    def put(self, connection: Connection, publications: Sequence[Publication], now: datetime) -> None:
        if not publications:
            return
        rows = []
        for publication in publications:
            message = publication.to_message()
            rows.append(
                {
                    "message_id": publication.envelope.event_id,
                    "topic": message.topic,
                    "key": message.key,
                    "value": message.value,
                    "headers": [[k, v.decode()] for k, v in message.headers],
                    "created_at": now,
                }
            )
        connection.execute(_INSERT, rows)

    def unsent(self, connection: Connection, limit: int) -> list[PendingMessage]:
        query = select(outbox).where(outbox.c.sent_at.is_(None)).order_by(outbox.c.id).limit(limit)
        return [
            PendingMessage(
                row.id,
                Message(row.topic, row.key, row.value, _headers(row.headers)),
            )
            for row in connection.execute(query)
        ]

    def mark_sent(self, connection: Connection, ids: Sequence[int], now: datetime) -> None:
        connection.execute(update(outbox).where(outbox.c.id.in_(ids)).values(sent_at=now))

    def pending_count(self, connection: Connection) -> int:
        query = select(func.count()).select_from(outbox).where(outbox.c.sent_at.is_(None))
        return int(connection.execute(query).scalar_one())


def _headers(stored: list[list[str]]) -> Headers:
    return tuple((k, v.encode()) for k, v in stored)
