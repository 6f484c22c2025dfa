"""What changes from one version of a published document to another (an eligibility rule set,
an intervention catalogue): every value added, removed or changed, by its path, and the members
of the document's collections (a rule set's clauses, a catalogue's codes) added, removed or
changed — what an administrator reads before publishing a version and when comparing two.

Pure: the owning service validates the documents; this only compares their JSON forms. Lists
are compared as whole values (a list of regions is one setting); mappings are walked into.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel
from typing_extensions import TypedDict

Kind = Literal["added", "removed", "changed"]
# What identifies a version rather than describes it: always different, never a "change".
IDENTITY = frozenset({"program", "version", "effective_from"})


class Change(TypedDict):
    path: str
    kind: Kind
    before: Any
    after: Any


class Member(TypedDict):
    collection: str
    key: str
    kind: Kind


class Changes(TypedDict):
    members: list[Member]
    changes: list[Change]


class VersionRef(BaseModel):
    program: str
    version: str
    effective_from: date


class VersionChanges(VersionRef):
    """A version against another (``against``: None for a program's first version)."""

    against: VersionRef | None
    members: list[Member]
    changes: list[Change]
    # Where the service can count them cheaply: the records that use each member changed or
    # removed (a catalogue's codes: the interventions of the last 12 months).
    in_use: dict[str, int] | None = None


def compare(
    before: Mapping[str, Any] | None, after: Mapping[str, Any], *, collections: Iterable[str]
) -> Changes:
    """``after`` against ``before`` (None: a first version, everything added)."""
    old = leaves(_described(before or {}))
    new = leaves(_described(after))
    changes: list[Change] = []
    for path in [*new, *(p for p in old if p not in new)]:
        kind = _kind(path in old, path in new, old.get(path), new.get(path))
        if kind is not None:
            changes.append(Change(path=path, kind=kind, before=old.get(path), after=new.get(path)))
    return Changes(members=_members(before or {}, after, changes, collections), changes=changes)


def _described(document: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in document.items() if k not in IDENTITY}


def _kind(was: bool, is_now: bool, old: Any, new: Any) -> Kind | None:
    if not was:
        return "added"
    if not is_now:
        return "removed"
    return "changed" if old != new else None


def leaves(value: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Every value that is not a mapping, by its dotted path (an empty mapping is a value)."""
    found: dict[str, Any] = {}
    for key, item in value.items():
        path = f"{prefix}{key}"
        if isinstance(item, Mapping) and item:
            found.update(leaves(item, path + "."))
        else:
            found[path] = item
    return found


def _members(
    before: Mapping[str, Any], after: Mapping[str, Any], changes: list[Change], collections: Iterable[str]
) -> list[Member]:
    """Each collection's members with any change, in ``after``'s order, then the removed ones."""
    touched = {tuple(c["path"].split(".", 2)[:2]) for c in changes}
    members: list[Member] = []
    for collection in collections:
        old, new = before.get(collection) or {}, after.get(collection) or {}
        for key in [*new, *(k for k in old if k not in new)]:
            if (collection, key) in touched:
                kind = _kind(key in old, key in new, old.get(key), new.get(key)) or "changed"
                members.append(Member(collection=collection, key=str(key), kind=kind))
    return members
