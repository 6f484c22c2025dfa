"""The transactional outbox: messages written in the same transaction as the events they come
from, published later by the relay (:mod:`gsi_kernel.relay`) — never from a request handler."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, select

from gsi_kernel.bus.port import Headers, Message
from gsi_kernel.envelope import CONTENT_TYPE, EventEnvelope
from gsi_kernel.store.backend import backend_of
from gsi_kernel.store.tables import outbox


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
    """The outbox (:class:`~gsi_kernel.store.ports.OutboxPort`)."""

    def put(self, connection: Connection, publications: Sequence[Publication], now: datetime) -> None:
        if not publications:
            return
        backend_of(connection).insert_outbox(connection, [outbox_row(p, now) for p in publications], now)

    def unsent(self, connection: Connection, limit: int) -> list[PendingMessage]:
        return [
            PendingMessage(id_, Message(topic, key, value, _headers(json.loads(headers))))
            for id_, topic, key, value, headers in backend_of(connection).unsent_outbox(connection, limit)
        ]

    def mark_sent(self, connection: Connection, ids: Sequence[int], now: datetime) -> None:
        backend_of(connection).mark_outbox_sent(connection, ids, now)

    def pending_count(self, connection: Connection) -> int:
        query = select(func.count()).select_from(outbox).where(outbox.c.sent_at.is_(None))
        return int(connection.execute(query).scalar_one())


def outbox_row(publication: Publication, now: datetime) -> dict[str, Any]:
    """The stored form of ``publication.to_message()``, built without the bytes round trip."""
    e = publication.envelope
    headers = [
        ["content-type", CONTENT_TYPE],
        ["ce_id", e.event_id],
        ["ce_type", e.type],
        ["ce_source", e.source],
    ]
    if e.traceparent:
        headers.append(["traceparent", e.traceparent])
    return {
        "message_id": e.event_id,
        "topic": publication.topic,
        "key": e.stream_id,
        "value": e.to_bytes(),
        "headers": headers,
        "created_at": now,
    }


def _headers(stored: list[list[str]]) -> Headers:
    return tuple((k, v.encode()) for k, v in stored)
