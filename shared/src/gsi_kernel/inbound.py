"""Reading a consumed record, whatever its bytes (issue 19).

Anyone who can write to a topic can put anything in it: a null value, a key or header that is
not UTF-8, JSON nested a hundred thousand levels deep, an event whose id no table can hold.
:func:`read_event` never raises: it returns the event with the traceparent to follow, or the
reason it is unreadable — in the code's own words, never the record's bytes (the reason goes
to logs and dead letters; the bytes are kept in the dead letter itself).

What it checks is what the consumer runner and its bookkeeping rely on: a UTF-8 JSON object
of bounded depth that is a CloudEvents 1.0 GSI envelope, an id that fits ``processed.event_id``
(printable ASCII, at most 36 characters), optional attributes that are text, a key and a
``traceparent`` header that are UTF-8. A handler's own expectations of the payload are the
handler's: its failures are retried, then dead-lettered.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from gsi_kernel.bus.port import Record
from gsi_kernel.envelope import EventEnvelope

MAX_DEPTH = 32  # GSI's events nest a few levels; a handler must not meet a deep structure
EVENT_ID = re.compile(r"[\x21-\x7e]{1,36}")  # what processed.event_id and a log line hold
_OPTIONAL_TEXT = ("organization", "causationid", "traceparent")


@dataclass(frozen=True, slots=True)
class Readable:
    envelope: EventEnvelope
    traceparent: str | None  # the Kafka header's, else the envelope's


@dataclass(frozen=True, slots=True)
class Unreadable:
    reason: str


def read_event(record: Record) -> Readable | Unreadable:
    """The event ``record`` carries, or why it carries none (never raises)."""
    if record.unparseable is not None:
        return Unreadable(record.unparseable)
    if record.value is None:
        return Unreadable("null value (a tombstone)")
    if record.raw_key is not None and not _is_utf8(record.raw_key):
        return Unreadable(f"key of {len(record.raw_key)} bytes is not UTF-8")  # no relay of ours sent it
    doc = _json_object(record.value)
    if isinstance(doc, Unreadable):
        return doc
    if doc.get("specversion") != "1.0":
        return Unreadable("not a CloudEvents 1.0 document")
    try:
        envelope = EventEnvelope.from_cloudevent(doc)
    except KeyError as exc:
        return Unreadable(f"not a GSI event: attribute {str(exc.args[0])[:40]!r} missing")
    except Exception as exc:  # any malformed attribute: the class names it, the value stays out
        return Unreadable(f"not a GSI event: malformed attributes ({type(exc).__name__})")
    if not EVENT_ID.fullmatch(envelope.event_id):
        return Unreadable(f"event id of {len(envelope.event_id)} characters is not 1-36 printable ASCII")
    for name in _OPTIONAL_TEXT:
        if doc.get(name) is not None and not isinstance(doc[name], str):
            return Unreadable(f"attribute {name!r} is not text")
    header = record.header("traceparent")
    if header is None:
        return Readable(envelope, envelope.traceparent)
    try:
        return Readable(envelope, header.decode("utf-8") or envelope.traceparent)
    except UnicodeDecodeError:
        return Unreadable("traceparent header is not UTF-8")


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _json_object(value: bytes) -> dict[str, Any] | Unreadable:
    try:
        doc = json.loads(value.decode("utf-8"))
    except UnicodeDecodeError:
        return Unreadable(f"value of {len(value)} bytes is not UTF-8")
    except RecursionError:
        return Unreadable("value is JSON nested too deeply to parse")
    except ValueError as exc:  # JSONDecodeError: its position, not its text
        position = getattr(exc, "pos", None)
        return Unreadable(f"value of {len(value)} bytes is not JSON (at character {position})")
    if not isinstance(doc, dict):
        return Unreadable(f"value is JSON but not an object ({type(doc).__name__})")
    if _depth_exceeds(doc, MAX_DEPTH):
        return Unreadable(f"value is JSON nested deeper than {MAX_DEPTH} levels")
    return doc


def _depth_exceeds(doc: object, limit: int) -> bool:
    """Whether ``doc`` nests deeper than ``limit`` (iterative: a deep one cannot recurse here)."""
    stack: list[tuple[object, int]] = [(doc, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        if isinstance(node, dict):
            stack.extend((child, depth + 1) for child in node.values())
        elif isinstance(node, list):
            stack.extend((child, depth + 1) for child in node)
    return False


def printable(text: str, limit: int) -> str:
    """``text`` as any text column holds it: no NUL (PostgreSQL refuses it), at most ``limit``
    characters (an ellipsis says it was cut)."""
    text = text.replace("\x00", "\ufffd")
    return text if len(text) <= limit else text[: limit - 1] + "…"
