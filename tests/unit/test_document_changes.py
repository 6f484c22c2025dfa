"""What changes between two versions of a published document: values by path, lists as whole
values, members of the named collections, identity fields left out."""

from __future__ import annotations

from gsi_kernel.document_changes import compare, leaves

BEFORE = {
    "program": "PASI",
    "version": "1",
    "effective_from": "2026-04-01",
    "description": "v1",
    "codes": {
        "ACC": {"fr": "Accueil", "volets": ["V1", "V2"]},
        "OBI": {"fr": "Obtention", "min_age": 18},
    },
}


def test_values_added_removed_and_changed_by_path_and_members_by_collection() -> None:
    after = {
        **BEFORE,
        "version": "2",
        "effective_from": "2027-04-01",
        "codes": {
            "OBI": {"fr": "Obtention", "min_age": 16},
            "ACC": {"fr": "Accueil", "volets": ["V1"]},
            "MEN": {"fr": "Mentorat"},
        },
    }
    found = compare(BEFORE, after, collections=("codes",))
    assert found["changes"] == [
        {"path": "codes.OBI.min_age", "kind": "changed", "before": 18, "after": 16},
        {"path": "codes.ACC.volets", "kind": "changed", "before": ["V1", "V2"], "after": ["V1"]},
        {"path": "codes.MEN.fr", "kind": "added", "before": None, "after": "Mentorat"},
    ]
    assert found["members"] == [
        {"collection": "codes", "key": "OBI", "kind": "changed"},
        {"collection": "codes", "key": "ACC", "kind": "changed"},
        {"collection": "codes", "key": "MEN", "kind": "added"},
    ]


def test_a_removed_member_and_a_first_version() -> None:
    after = {**BEFORE, "codes": {"ACC": BEFORE["codes"]["ACC"]}}
    found = compare(BEFORE, after, collections=("codes",))
    assert [(c["path"], c["kind"]) for c in found["changes"]] == [
        ("codes.OBI.fr", "removed"),
        ("codes.OBI.min_age", "removed"),
    ]
    assert found["members"] == [{"collection": "codes", "key": "OBI", "kind": "removed"}]
    first = compare(None, BEFORE, collections=("codes",))
    assert {c["kind"] for c in first["changes"]} == {"added"}
    assert "version" not in {c["path"] for c in first["changes"]}
    assert compare(BEFORE, {**BEFORE, "version": "9"}, collections=("codes",)) == {
        "members": [],
        "changes": [],
    }


def test_leaves_keep_an_empty_mapping_as_a_value() -> None:
    assert leaves({"a": {}, "b": {"c": 1}}) == {"a": {}, "b.c": 1}
