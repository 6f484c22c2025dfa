"""The envelope every event travels in, stored or published.

On the wire it is a CloudEvents 1.0 structured-mode JSON document (the standard envelope for
Kafka): the CloudEvents attributes ``id``, ``source``, ``type``, ``subject`` (the stream id),
``time`` (occurred at) and ``data`` (the payload), and GSI's extension attributes for the rest
(``schemaversion``, ``streamversion``, ``recordedat``, ``actor``, ``organization``,
``correlationid``, ``causationid``, ``traceparent``). See docs/adr/0003-event-envelope.md.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from pydantic_core import PydanticSerializationError, to_json

CONTENT_TYPE = "application/cloudevents+json; charset=utf-8"


@dataclass(frozen=True, slots=True)
class CommandContext:
    """Who asked, on behalf of which organization, and in which causal chain."""

    actor: str
    organization: str | None
    correlation_id: str
    causation_id: str | None = None
    traceparent: str | None = None

    @classmethod
    def new(cls, actor: str, organization: str | None, traceparent: str | None = None) -> CommandContext:
        return cls(actor, organization, str(uuid.uuid4()), None, traceparent)


@dataclass(frozen=True, slots=True)
class EventEnvelope:
    event_id: str
    type: str
    schema_version: int
    source: str
    stream_id: str
    stream_version: int
    occurred_at: datetime
    recorded_at: datetime
    actor: str
    organization: str | None
    correlation_id: str
    causation_id: str | None
    traceparent: str | None
    payload: dict[str, Any] = field(default_factory=dict)
    position: int | None = None  # global position in the store it was read from, if any
    tx_id: int | None = None  # the appending transaction's id (PostgreSQL), for commit order
    # Whether the service's read models took it in in the appending transaction (ADR 28): the
    # projections' catch-up then moves past it without applying it again.
    projected: bool = False

    @property
    def cursor(self) -> tuple[int, int]:
        """Where this event stands in the store's commit order: (transaction, position)."""
        return (self.tx_id or 0, self.position or 0)

    def to_cloudevent(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "specversion": "1.0",
            "id": self.event_id,
            "source": self.source,
            "type": self.type,
            "subject": self.stream_id,
            "time": self.occurred_at.isoformat(),
            "datacontenttype": "application/json",
            "schemaversion": self.schema_version,
            "streamversion": self.stream_version,
            "recordedat": self.recorded_at.isoformat(),
            "actor": self.actor,
            "correlationid": self.correlation_id,
            "data": self.payload,
        }
        optional = {
            "organization": self.organization,
            "causationid": self.causation_id,
            "traceparent": self.traceparent,
        }
        doc.update({k: v for k, v in optional.items() if v is not None})
        return doc

    def to_bytes(self) -> bytes:
        # pydantic-core's serializer: many times faster than json.dumps, which was the largest
        # part of a bulk import's outbox rows (issue 23). Compact UTF-8, keys as built above;
        # what UTF-8 cannot carry (a lone surrogate) goes as json.dumps escapes it, as before.
        doc = self.to_cloudevent()
        try:
            return to_json(doc)
        except PydanticSerializationError:
            return json.dumps(doc, separators=(",", ":")).encode()

    @classmethod
    def from_cloudevent(cls, doc: dict[str, Any]) -> EventEnvelope:
        if doc.get("specversion") != "1.0":
            raise ValueError(f"not a CloudEvents 1.0 document: specversion={doc.get('specversion')!r}")
        return cls(
            event_id=str(doc["id"]),
            type=str(doc["type"]),
            schema_version=int(doc["schemaversion"]),
            source=str(doc["source"]),
            stream_id=str(doc["subject"]),
            stream_version=int(doc["streamversion"]),
            occurred_at=datetime.fromisoformat(doc["time"]),
            recorded_at=datetime.fromisoformat(doc["recordedat"]),
            actor=str(doc["actor"]),
            organization=doc.get("organization"),
            correlation_id=str(doc["correlationid"]),
            causation_id=doc.get("causationid"),
            traceparent=doc.get("traceparent"),
            payload=dict(doc["data"]),
        )

    @classmethod
    def from_bytes(cls, raw: bytes) -> EventEnvelope:
        doc = json.loads(raw)
        if not isinstance(doc, dict):
            raise ValueError("an event must be a JSON object")
        return cls.from_cloudevent(doc)

    def with_position(self, position: int, tx_id: int | None = None) -> EventEnvelope:
        return replace(self, position=position, tx_id=tx_id)
