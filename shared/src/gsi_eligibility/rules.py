"""Rule sets as data: one versioned, effective-dated document per program and version.

A :class:`RuleSet` is validated when loaded (unknown fields, negative limits, references to
statuses or volets the document does not declare, templates naming unknown placeholders are all
refused); its :class:`RuleIndex` (frozensets and dicts the engine reads) is computed once.

A :class:`RuleBook` holds every version of every program and picks the one in force on a day.
Publishing is append-only, so any past evaluation can be replayed with the rules of its day:

- a version number is never reused within a program;
- a new version's ``effective_from`` must be strictly after the latest version's (no version is
  slipped in between existing ones);
- given ``today`` (the admin API passes its clock), ``effective_from`` must also be strictly
  after today: no retroactive rules, since today's evaluations were made with the current ones;
- a version not yet in force may be withdrawn (to correct it before it applies: withdraw, then
  publish the corrected version); one in force never is.

The book is immutable: ``publish`` and ``withdraw`` return a new book (swap the reference).
"""

from __future__ import annotations

import json
from bisect import bisect_right
from collections.abc import Iterable, Iterator, Mapping
from datetime import date
from functools import cache, cached_property
from importlib import resources
from typing import Any, Self

from pydantic import Field, model_validator

from gsi_eligibility.clauses import Clauses, Frozen, Label, StatusCode, VoletCode
from gsi_eligibility.index import RuleIndex, build_index
from gsi_kernel.errors import Conflict, NotFound


class RuleSet(Frozen):
    """One program's eligibility rules from ``effective_from`` on, until the next version."""

    program: str = Field(pattern=r"^[A-Z][A-Z0-9_]{0,31}$")
    version: str = Field(pattern=r"^[0-9A-Za-z][0-9A-Za-z._-]{0,39}$")
    effective_from: date
    description: str = ""
    volets: dict[VoletCode, Label] = Field(min_length=1)
    statuses: dict[StatusCode, Label] = Field(min_length=1)
    rules: Clauses

    @model_validator(mode="after")
    def _references_are_declared(self) -> Self:
        problems = [*self._unknown_statuses(), *self._unknown_volets()]
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @cached_property
    def index(self) -> RuleIndex:
        """Computed once, then a plain attribute read (pydantic ignores it: not a field)."""
        return build_index(self)

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """A validated copy (pydantic's would skip validation and keep a stale index)."""
        del deep  # the copy is rebuilt from a fresh document: always deep
        return self.model_validate({**self.to_document(), **(update or {})})

    # ---- documents ------------------------------------------------------------------------

    @classmethod
    def from_document(cls, document: Mapping[str, Any]) -> RuleSet:
        return cls.model_validate(document)

    def to_document(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    @classmethod
    def from_json(cls, text: str | bytes) -> RuleSet:
        return cls.model_validate_json(text)

    def to_json(self) -> str:
        return self.model_dump_json(indent=2)

    # ---- validation -----------------------------------------------------------------------

    def _unknown_statuses(self) -> Iterable[str]:
        rules = self.rules
        used = {
            "E1.exemptions": [e.status for e in rules.E1.exemptions],
            "E2.served": list(rules.E2.served),
            "E3.restricted": [s for statuses in rules.E3.restricted.values() for s in statuses],
            "E3.status_volets": list(rules.E3.status_volets),
            "E4.max_years": list(rules.E4.max_years),
            "E6.statuses": list(rules.E6.statuses),
            "E7.statuses": list(rules.E7.statuses),
        }
        for where, statuses in used.items():
            unknown = sorted(set(statuses) - set(self.statuses))
            if unknown:
                yield f"{where}: unknown statuses {unknown} (declared: {sorted(self.statuses)})"

    def _unknown_volets(self) -> Iterable[str]:
        rules = self.rules
        used = {
            "E1.exemptions": [v for e in rules.E1.exemptions for v in e.volets],
            "E3.restricted": list(rules.E3.restricted),
            "E3.status_volets": [v for volets in rules.E3.status_volets.values() for v in volets],
            "E3.no_individual_services": list(rules.E3.no_individual_services),
        }
        for where, volets in used.items():
            unknown = sorted(set(volets) - set(self.volets))
            if unknown:
                yield f"{where}: unknown volets {unknown} (declared: {sorted(self.volets)})"


# ---- the book of versions ---------------------------------------------------------------------


class PublishRefused(Conflict):
    """A rule set version cannot be published or withdrawn (see the module's rules)."""


class NoRuleSet(NotFound):
    """No version of the program is in force on the day (or the version is unknown)."""


class RuleBook:
    """Every version of every program's rule set, oldest first per program."""

    __slots__ = ("_dates", "_versions")

    def __init__(self, rule_sets: Iterable[RuleSet] = ()) -> None:
        by_program: dict[str, list[RuleSet]] = {}
        for rule_set in sorted(rule_sets, key=lambda r: (r.program, r.effective_from)):
            versions = by_program.setdefault(rule_set.program, [])
            _refuse_clashes(versions, rule_set)
            versions.append(rule_set)
        self._versions = {program: tuple(v) for program, v in by_program.items()}
        self._dates = {program: tuple(r.effective_from for r in v) for program, v in self._versions.items()}

    def __iter__(self) -> Iterator[RuleSet]:
        return (r for program in sorted(self._versions) for r in self._versions[program])

    def __len__(self) -> int:
        return sum(len(v) for v in self._versions.values())

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RuleBook) and self._versions == other._versions

    __hash__ = None  # type: ignore[assignment]

    def programs(self) -> tuple[str, ...]:
        return tuple(sorted(self._versions))

    def versions(self, program: str) -> tuple[RuleSet, ...]:
        return self._versions.get(program, ())

    def get(self, program: str, version: str) -> RuleSet:
        for rule_set in self.versions(program):
            if rule_set.version == version:
                return rule_set
        raise NoRuleSet(
            "rules.unknown_version",
            f"Version {version} des règles du programme {program} inconnue.",
            f"Unknown version {version} of the {program} rules.",
            details={"program": program, "version": version},
        )

    def for_date(self, program: str, day: date) -> RuleSet:
        """The version in force on ``day``: the latest ``effective_from <= day``."""
        position = bisect_right(self._dates.get(program, ()), day)
        if position == 0:
            raise NoRuleSet(
                "rules.none_in_force",
                f"Aucune règle d'admissibilité du programme {program} en vigueur le {day.isoformat()}.",
                f"No {program} eligibility rules in force on {day.isoformat()}.",
                details={"program": program, "on_date": day.isoformat()},
            )
        return self._versions[program][position - 1]

    def publish(self, rule_set: RuleSet, *, today: date | None = None) -> RuleBook:
        existing = self.versions(rule_set.program)
        _refuse_clashes(existing, rule_set)
        latest = existing[-1] if existing else None
        if latest is not None and rule_set.effective_from <= latest.effective_from:
            since = latest.effective_from.isoformat()
            raise _refused(
                "rules.not_after_latest",
                f"La nouvelle version doit entrer en vigueur après le {since} (version {latest.version}).",
                f"The new version must take effect after {since} (version {latest.version}).",
                rule_set,
            )
        if today is not None and rule_set.effective_from <= today:
            raise _refused(
                "rules.retroactive",
                "Une version ne peut entrer en vigueur qu'à partir de demain (pas de règle rétroactive).",
                "A version can only take effect from tomorrow on (no retroactive rules).",
                rule_set,
            )
        return RuleBook((*self, rule_set))

    def withdraw(self, program: str, version: str, *, today: date) -> RuleBook:
        rule_set = self.get(program, version)
        if rule_set.effective_from <= today:
            raise _refused(
                "rules.already_in_force",
                "Une version déjà en vigueur ne peut être retirée.",
                "A version already in force cannot be withdrawn.",
                rule_set,
            )
        return RuleBook(r for r in self if r is not rule_set)

    # ---- documents ------------------------------------------------------------------------

    def to_document(self) -> dict[str, Any]:
        return {"rule_sets": [r.to_document() for r in self]}

    @classmethod
    def from_document(cls, document: Mapping[str, Any]) -> RuleBook:
        return cls(RuleSet.from_document(d) for d in document["rule_sets"])

    def to_json(self) -> str:
        return json.dumps(self.to_document(), ensure_ascii=False, indent=2)

    @classmethod
    def from_json(cls, text: str | bytes) -> RuleBook:
        return cls.from_document(json.loads(text))


@cache
def load_default_rulebook() -> RuleBook:
    """Every rule set shipped in ``gsi_eligibility/data/*.json`` (one file per program)."""
    data = resources.files("gsi_eligibility").joinpath("data")
    files = sorted((f for f in data.iterdir() if f.name.endswith(".json")), key=lambda f: f.name)
    return RuleBook(RuleSet.from_json(f.read_bytes()) for f in files)


def _refuse_clashes(existing: Iterable[RuleSet], rule_set: RuleSet) -> None:
    for other in existing:
        if other.version == rule_set.version:
            raise _refused(
                "rules.duplicate_version",
                f"La version {rule_set.version} existe déjà.",
                f"Version {rule_set.version} already exists.",
                rule_set,
            )
        if other.effective_from == rule_set.effective_from:
            raise _refused(
                "rules.duplicate_effective_date",
                f"La version {other.version} entre déjà en vigueur à cette date.",
                f"Version {other.version} already takes effect on that date.",
                rule_set,
            )


def _refused(code: str, fr: str, en: str, rule_set: RuleSet) -> PublishRefused:
    details = {"program": rule_set.program, "version": rule_set.version}
    return PublishRefused(
        code, fr, en, details={**details, "effective_from": rule_set.effective_from.isoformat()}
    )
