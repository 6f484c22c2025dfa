"""Reading a consumed record whatever its bytes (issue 19): each poison kind has its reason,
no reason carries the record's bytes, and nothing raises."""

from __future__ import annotations

import json

import pytest

from gsi_kernel.bus.port import Record
from gsi_kernel.inbound import MAX_DEPTH, Readable, Unreadable, printable, read_event
from tests.faults.poison import Poison, person_registered, six_kinds


def _record(key: bytes | None, value: bytes | None, headers: tuple[tuple[str, bytes], ...] = ()) -> Record:
    text = (key or b"").decode("utf-8", "replace")
    return Record("gsi.registration", 0, 7, text, value, headers, 0, key)


@pytest.mark.parametrize("poison", six_kinds(), ids=lambda p: p.name)
def test_each_kind_that_stopped_a_consumer_is_unreadable_with_its_reason(poison: Poison) -> None:
    read = read_event(_record(poison.key, poison.value, poison.headers))
    assert isinstance(read, Unreadable)
    assert ("unreadable event: " + read.reason).startswith(poison.reason)


def test_a_valid_event_is_read_with_the_header_traceparent_first() -> None:
    event = person_registered()
    traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    read = read_event(_record(b"person-1", event.to_bytes(), (("traceparent", traceparent.encode()),)))
    assert read == Readable(event, traceparent)
    assert read_event(_record(b"person-1", event.to_bytes())) == Readable(event, None)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (b"", "value of 0 bytes is not JSON (at character 0)"),
        (b"[1, 2]", "value is JSON but not an object (list)"),
        (b"{" * 50_000, "value of 50000 bytes is not JSON"),
        (b'{"data": {}}', "not a CloudEvents 1.0 document"),
        (b'{"specversion": "1.0", "id": "x"}', "not a GSI event: attribute 'type' missing"),
    ],
)
def test_other_unreadable_values_say_what_is_wrong(value: bytes, reason: str) -> None:
    read = read_event(_record(b"k", value))
    assert isinstance(read, Unreadable)
    assert read.reason.startswith(reason)


def test_a_malformed_attribute_is_named_by_class_not_by_its_value() -> None:
    doc = person_registered().to_cloudevent() | {"time": "secret-person-data"}
    read = read_event(_record(b"k", json.dumps(doc).encode()))
    assert read == Unreadable("not a GSI event: malformed attributes (ValueError)")


def test_json_deeper_than_the_limit_is_refused_before_any_handler_meets_it() -> None:
    nested: object = 1
    for _ in range(MAX_DEPTH + 1):
        nested = {"a": nested}
    doc = person_registered().to_cloudevent() | {"data": nested}
    read = read_event(_record(b"k", json.dumps(doc).encode()))
    assert read == Unreadable(f"value is JSON nested deeper than {MAX_DEPTH} levels")


@pytest.mark.parametrize("attribute", ["organization", "causationid", "traceparent"])
def test_optional_attributes_must_be_text(attribute: str) -> None:
    doc = person_registered().to_cloudevent() | {attribute: {"not": "text"}}
    assert read_event(_record(b"k", json.dumps(doc).encode())) == Unreadable(
        f"attribute {attribute!r} is not text"
    )


@pytest.mark.parametrize("event_id", ["", "a b", "é" * 10, "id\x00", "e" * 37])
def test_an_event_id_that_processed_cannot_hold_is_refused(event_id: str) -> None:
    read = read_event(_record(b"k", person_registered(event_id=event_id).to_bytes()))
    assert isinstance(read, Unreadable)
    assert read.reason.startswith(f"event id of {len(event_id)} characters")


def test_printable_text_has_no_nul_and_a_bound() -> None:
    assert printable("a\x00b", 10) == "a\ufffdb"
    assert printable("x" * 300, 200) == "x" * 199 + "…"
