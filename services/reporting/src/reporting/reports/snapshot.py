"""What a submission freezes: the interventions included (each with the version of its stream
the organization submitted), the catalogue and rule-set versions they were checked with, and a
SHA-256 over a canonical serialization of all that.

An intervention's version names its content for good (the interventions service never changes
a version once recorded: a correction is a new version), so the pairs (id, version) are enough
to say *what* was submitted, and comparing them with the current ones says what changed since.

Canonical serialization (format ``gsi-snapshot/1``): JSON, UTF-8 (not escaped), keys sorted, no
whitespace, dates in ISO 8601, sets as sorted lists; the interventions as ``[id, version]`` pairs
sorted by id.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

FORMAT = "gsi-snapshot/1"


class Snapshot(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    organization_id: str
    quarter: str
    interventions: tuple[tuple[str, int], ...]  # (intervention_id, version), sorted by id
    catalogue_versions: tuple[str, ...]
    rule_set_versions: tuple[str, ...]

    def versions(self) -> dict[str, int]:
        return dict(self.interventions)


def freeze(
    organization_id: str,
    quarter: str,
    interventions: Iterable[tuple[str, int]],
    *,
    catalogue_versions: Iterable[str],
    rule_set_versions: Iterable[str],
) -> Snapshot:
    # Built from values already typed: no need to validate 20,000 pairs again.
    return Snapshot.model_construct(
        organization_id=organization_id,
        quarter=quarter,
        interventions=tuple(sorted(dict(interventions).items())),
        catalogue_versions=tuple(sorted(set(catalogue_versions))),
        rule_set_versions=tuple(sorted(set(rule_set_versions))),
    )


def document(snapshot: Snapshot) -> dict[str, Any]:
    """The snapshot as the document that is hashed."""
    return {
        "format": FORMAT,
        "organization_id": snapshot.organization_id,
        "quarter": snapshot.quarter,
        "interventions": sorted(snapshot.interventions),  # [id, version] pairs
        "catalogue_versions": sorted(snapshot.catalogue_versions),
        "rule_set_versions": sorted(snapshot.rule_set_versions),
    }


def canonical_json(value: Any) -> bytes:
    """``value`` as canonical JSON bytes (see the module's rules)."""
    return json.dumps(
        value,
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
        default=_plain,
    ).encode("utf-8")


def sha256(snapshot: Snapshot) -> str:
    return hashlib.sha256(canonical_json(document(snapshot))).hexdigest()


def _plain(value: Any) -> Any:
    """What JSON has no type for (the encoder asks only for those, in C otherwise)."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, set | frozenset):
        return sorted(value)
    raise TypeError(f"not JSON serializable in a snapshot: {type(value).__name__}")


@dataclass(frozen=True, slots=True)
class Differences:
    """How the current interventions differ from a submitted snapshot."""

    added: tuple[tuple[str, int], ...]  # (id, current version): not submitted, there now
    removed: tuple[tuple[str, int], ...]  # (id, submitted version): submitted, gone now
    changed: tuple[tuple[str, int, int], ...]  # (id, submitted version, current version)

    @property
    def intact(self) -> bool:
        return not (self.added or self.removed or self.changed)


def compare(submitted: Snapshot, current: Snapshot) -> Differences:
    before, now = submitted.versions(), current.versions()
    return Differences(
        added=tuple(sorted((i, v) for i, v in now.items() if i not in before)),
        removed=tuple(sorted((i, v) for i, v in before.items() if i not in now)),
        changed=tuple(sorted((i, v, now[i]) for i, v in before.items() if i in now and now[i] != v)),
    )
