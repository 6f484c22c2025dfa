"""A submission's snapshot: canonical JSON, its SHA-256, and what differs from it later."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime
from typing import Any

import pytest

from reporting.reports import snapshot
from reporting.reports.snapshot import Snapshot


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ({"b": 1, "a": 2}, '{"a":2,"b":1}'),
        ({"z": {"y": 1, "x": [3, 2]}}, '{"z":{"x":[3,2],"y":1}}'),
        ({"day": date(2026, 7, 24)}, '{"day":"2026-07-24"}'),
        ({"at": datetime(2026, 7, 24, 13, 5, tzinfo=UTC)}, '{"at":"2026-07-24T13:05:00+00:00"}'),
        ({"t": ("a", 1)}, '{"t":["a",1]}'),
        ({"s": frozenset({"V2", "V1"})}, '{"s":["V1","V2"]}'),
        ({"fr": "Québec"}, '{"fr":"Québec"}'),  # UTF-8 as is, not \\u escapes
        ([], "[]"),
    ],
)
def test_canonical_json_sorts_keys_drops_spaces_and_writes_iso_dates(value: Any, text: str) -> None:
    assert snapshot.canonical_json(value) == text.encode("utf-8")


def test_canonical_json_refuses_nan() -> None:
    with pytest.raises(ValueError, match="Out of range float"):
        snapshot.canonical_json({"x": float("nan")})


def _frozen(items: list[tuple[str, int]], **overrides: Any) -> Snapshot:
    values: dict[str, Any] = {"catalogue_versions": ["2026.1"], "rule_set_versions": ["2026.1"], **overrides}
    return snapshot.freeze("org-sherbrooke", "2026-2027-Q1", items, **values)


def test_the_hash_is_the_sha256_of_the_documented_canonical_form() -> None:
    frozen = _frozen([("i-2", 3), ("i-1", 1)])
    expected = (
        '{"catalogue_versions":["2026.1"],"format":"gsi-snapshot/1",'
        '"interventions":[["i-1",1],["i-2",3]],'
        '"organization_id":"org-sherbrooke","quarter":"2026-2027-Q1","rule_set_versions":["2026.1"]}'
    )
    assert snapshot.canonical_json(snapshot.document(frozen)) == expected.encode()
    assert snapshot.sha256(frozen) == hashlib.sha256(expected.encode()).hexdigest()


def test_the_hash_does_not_depend_on_the_order_things_were_read_in() -> None:
    one = _frozen([("i-1", 1), ("i-2", 3)], catalogue_versions=["b", "a"])
    other = _frozen([("i-2", 3), ("i-1", 1)], catalogue_versions=["a", "b", "a"])
    assert snapshot.sha256(one) == snapshot.sha256(other)


@pytest.mark.parametrize(
    "changed",
    [
        _frozen([("i-1", 2), ("i-2", 3)]),  # another version
        _frozen([("i-1", 1)]),  # one fewer
        _frozen([("i-1", 1), ("i-2", 3), ("i-3", 1)]),  # one more
        _frozen([("i-1", 1), ("i-2", 3)], rule_set_versions=["2027.1"]),
        snapshot.freeze(
            "org-montreal",
            "2026-2027-Q1",
            [("i-1", 1), ("i-2", 3)],
            catalogue_versions=["2026.1"],
            rule_set_versions=["2026.1"],
        ),
    ],
)
def test_any_change_changes_the_hash(changed: Snapshot) -> None:
    assert snapshot.sha256(changed) != snapshot.sha256(_frozen([("i-1", 1), ("i-2", 3)]))


def test_compare_lists_what_was_added_removed_or_changed() -> None:
    submitted = _frozen([("i-1", 1), ("i-2", 1), ("i-3", 2)])
    current = _frozen([("i-1", 1), ("i-3", 4), ("i-4", 1)])
    differences = snapshot.compare(submitted, current)
    assert differences.added == (("i-4", 1),)
    assert differences.removed == (("i-2", 1),)
    assert differences.changed == (("i-3", 2, 4),)
    assert not differences.intact
    assert snapshot.compare(submitted, submitted).intact


def test_a_snapshot_survives_its_event_round_trip() -> None:
    frozen = _frozen([("i-1", 1), ("i-2", 3)])
    again = Snapshot.model_validate(frozen.model_dump(mode="json"))
    assert again == frozen
    assert snapshot.sha256(again) == snapshot.sha256(frozen)
