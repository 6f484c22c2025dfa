"""Effective-dated documents and the book of their versions: one program's document from
``effective_from`` on, until the next version, and every version of every program.

The eligibility rule sets (:class:`gsi_eligibility.RuleBook`) and the intervention catalogues
(:class:`gsi_conformity.CatalogueBook`) are both such books. Publishing is append-only, so any
past decision can be made again with the document of its day:

- a version number is never reused within a program;
- a new version's ``effective_from`` must be strictly after the latest version's (no version is
  slipped in between existing ones);
- given ``today`` (the admin API passes its clock), ``effective_from`` must also be strictly
  after today: no retroactive document, since today's decisions were made with the current one;
- a version not yet in force may be withdrawn (to correct it before it applies: withdraw, then
  publish the corrected version); one in force never is.

A book is immutable: ``publish`` and ``withdraw`` return a new book (swap the reference). What
differs from one book to the other (its error codes, words and document key) is its
:class:`BookWording`.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from bisect import bisect_right
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from importlib import resources
from typing import Any, ClassVar, Generic, Self, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from gsi_kernel.errors import Conflict, NotFound


class Dated(BaseModel):
    """One version of a program's document; subclasses add the document's own fields."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    program: str = Field(pattern=r"^[A-Z][A-Z0-9_]{0,31}$")
    version: str = Field(pattern=r"^[0-9A-Za-z][0-9A-Za-z._-]{0,39}$")
    effective_from: date
    description: str = ""

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """A validated copy (pydantic's would skip validation and keep any cached property
        computed from the old fields)."""
        del deep  # the copy is rebuilt from a fresh document: always deep
        return self.model_validate({**self.to_document(), **(update or {})})

    @classmethod
    def from_document(cls, document: Mapping[str, Any]) -> Self:
        return cls.model_validate(document)

    def to_document(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    @classmethod
    def from_json(cls, text: str | bytes) -> Self:
        return cls.model_validate_json(text)

    def to_json(self) -> str:
        return self.model_dump_json(indent=2)


V = TypeVar("V", bound=Dated)
Words = tuple[str, str]  # French, English

# Why a version is refused, the same for every book; ``{version}`` is the refused version's.
REFUSALS: Mapping[str, Words] = {
    "duplicate_version": ("La version {version} existe déjà.", "Version {version} already exists."),
    "duplicate_effective_date": (
        "La version {other} entre déjà en vigueur à cette date.",
        "Version {other} already takes effect on that date.",
    ),
    "not_after_latest": (
        "La nouvelle version doit entrer en vigueur après le {since} (version {latest}).",
        "The new version must take effect after {since} (version {latest}).",
    ),
    "already_in_force": (
        "Une version déjà en vigueur ne peut être retirée.",
        "A version already in force cannot be withdrawn.",
    ),
}


@dataclass(frozen=True, slots=True)
class BookWording:
    """What tells one book from another: its errors' code prefix and classes, the key of its
    document's list, and the messages that name what it holds. ``unknown_version`` may name
    ``{program}`` and ``{version}``, ``none_in_force`` ``{program}`` and ``{day}``."""

    prefix: str
    document_key: str
    refused: type[Conflict]
    missing: type[NotFound]
    unknown_version: Words
    none_in_force: Words
    retroactive: Words


class DatedBook(ABC, Generic[V]):
    """Every version of every program's document, oldest first per program."""

    __slots__ = ("_dates", "_versions")

    wording: ClassVar[BookWording]

    @classmethod
    @abstractmethod
    def kind(cls) -> type[V]:
        """The class of the versions the book holds (to read them from documents)."""

    def __init__(self, versions: Iterable[V] = ()) -> None:
        by_program: dict[str, list[V]] = {}
        for item in sorted(versions, key=lambda v: (v.program, v.effective_from)):
            existing = by_program.setdefault(item.program, [])
            self._refuse_clashes(existing, item)
            existing.append(item)
        self._versions = {program: tuple(v) for program, v in by_program.items()}
        self._dates = {program: tuple(v.effective_from for v in vs) for program, vs in self._versions.items()}

    def __iter__(self) -> Iterator[V]:
        return (v for program in sorted(self._versions) for v in self._versions[program])

    def __len__(self) -> int:
        return sum(len(v) for v in self._versions.values())

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, DatedBook) and type(other) is type(self) and self._versions == other._versions
        )

    __hash__ = None  # type: ignore[assignment]

    def programs(self) -> tuple[str, ...]:
        return tuple(sorted(self._versions))

    def versions(self, program: str) -> tuple[V, ...]:
        return self._versions.get(program, ())

    def get(self, program: str, version: str) -> V:
        for item in self.versions(program):
            if item.version == version:
                return item
        fr, en = self.wording.unknown_version
        raise self.wording.missing(
            f"{self.wording.prefix}.unknown_version",
            fr.format(program=program, version=version),
            en.format(program=program, version=version),
            details={"program": program, "version": version},
        )

    def for_date(self, program: str, day: date) -> V:
        """The version in force on ``day``: the latest ``effective_from <= day``."""
        found = self.in_force(program, day)
        if found is None:
            fr, en = self.wording.none_in_force
            raise self.wording.missing(
                f"{self.wording.prefix}.none_in_force",
                fr.format(program=program, day=day.isoformat()),
                en.format(program=program, day=day.isoformat()),
                details={"program": program, "on_date": day.isoformat()},
            )
        return found

    def in_force(self, program: str, day: date) -> V | None:
        """The same, None when no version is in force on ``day`` (or the program is unknown)."""
        position = bisect_right(self._dates.get(program, ()), day)
        return self._versions[program][position - 1] if position else None

    def publish(self, item: V, *, today: date | None = None) -> Self:
        existing = self.versions(item.program)
        self._refuse_clashes(existing, item)
        latest = existing[-1] if existing else None
        if latest is not None and item.effective_from <= latest.effective_from:
            since = latest.effective_from.isoformat()
            raise self._refused("not_after_latest", item, since=since, latest=latest.version)
        if today is not None and item.effective_from <= today:
            raise self._refused("retroactive", item)
        return type(self)((*self, item))

    def withdraw(self, program: str, version: str, *, today: date) -> Self:
        item = self.get(program, version)
        if item.effective_from <= today:
            raise self._refused("already_in_force", item)
        return type(self)(v for v in self if v is not item)

    def with_published(self, documents: Iterable[Mapping[str, Any]]) -> Self:
        """This book and the versions published since, read from their documents; a published
        copy of a version the book already holds (e.g. a shipped one) is kept once."""
        known = {(v.program, v.version) for v in self}
        published = [self.kind().from_document(d) for d in documents]
        return type(self)([*self, *(v for v in published if (v.program, v.version) not in known)])

    # ---- documents ------------------------------------------------------------------------

    def to_document(self) -> dict[str, Any]:
        return {self.wording.document_key: [v.to_document() for v in self]}

    @classmethod
    def from_document(cls, document: Mapping[str, Any]) -> Self:
        return cls(cls.kind().from_document(d) for d in document[cls.wording.document_key])

    def to_json(self) -> str:
        return json.dumps(self.to_document(), ensure_ascii=False, indent=2)

    @classmethod
    def from_json(cls, text: str | bytes) -> Self:
        return cls.from_document(json.loads(text))

    @classmethod
    def shipped(cls, package: str) -> Self:
        """Every version shipped in ``<package>/data/*.json`` (one file per program)."""
        data = resources.files(package).joinpath("data")
        files = sorted((f for f in data.iterdir() if f.name.endswith(".json")), key=lambda f: f.name)
        return cls(cls.kind().from_json(f.read_bytes()) for f in files)

    # ---- refusals -------------------------------------------------------------------------

    def _refuse_clashes(self, existing: Iterable[V], item: V) -> None:
        for other in existing:
            if other.version == item.version:
                raise self._refused("duplicate_version", item)
            if other.effective_from == item.effective_from:
                raise self._refused("duplicate_effective_date", item, other=other.version)

    def _refused(self, reason: str, item: V, **values: str) -> Conflict:
        """The refusal ``reason`` of ``item``, in the words of :data:`REFUSALS` (or the book's
        own, for a retroactive version), filled in with ``values``."""
        fr, en = self.wording.retroactive if reason == "retroactive" else REFUSALS[reason]
        return self.wording.refused(
            f"{self.wording.prefix}.{reason}",
            fr.format(version=item.version, **values),
            en.format(version=item.version, **values),
            details={
                "program": item.program,
                "version": item.version,
                "effective_from": item.effective_from.isoformat(),
            },
        )
