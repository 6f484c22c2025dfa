"""Every version of every program's intervention catalogue, and the one in force on a day.

Publishing is append-only, like the eligibility rule book (:class:`gsi_eligibility.RuleBook`),
so any past quarter can be checked again with the catalogue of its days:

- a version number is never reused within a program;
- a new version's ``effective_from`` must be strictly after the latest version's;
- given ``today`` (the admin API passes its clock), ``effective_from`` must also be strictly
  after today: declarations already checked were checked with the current catalogue;
- a version not yet in force may be withdrawn; one in force never is.

The book is immutable: ``publish`` and ``withdraw`` return a new book (swap the reference).
"""

from __future__ import annotations

import json
from bisect import bisect_right
from collections.abc import Iterable, Iterator, Mapping
from datetime import date
from functools import cache
from importlib import resources
from typing import Any

from gsi_conformity.catalogue import Catalogue, CodeRule, UnknownCode
from gsi_kernel.errors import Conflict, NotFound


class CataloguePublishRefused(Conflict):
    """A catalogue version cannot be published or withdrawn (see the module's rules)."""


class NoCatalogue(NotFound):
    """No catalogue of the program is in force on the day (or the version is unknown)."""


class CatalogueBook:
    """Every version of every program's catalogue, oldest first per program."""

    __slots__ = ("_dates", "_versions")

    def __init__(self, catalogues: Iterable[Catalogue] = ()) -> None:
        by_program: dict[str, list[Catalogue]] = {}
        for catalogue in sorted(catalogues, key=lambda c: (c.program, c.effective_from)):
            versions = by_program.setdefault(catalogue.program, [])
            _refuse_clashes(versions, catalogue)
            versions.append(catalogue)
        self._versions = {program: tuple(v) for program, v in by_program.items()}
        self._dates = {program: tuple(c.effective_from for c in v) for program, v in self._versions.items()}

    def __iter__(self) -> Iterator[Catalogue]:
        return (c for program in sorted(self._versions) for c in self._versions[program])

    def __len__(self) -> int:
        return sum(len(v) for v in self._versions.values())

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CatalogueBook) and self._versions == other._versions

    __hash__ = None  # type: ignore[assignment]

    def programs(self) -> tuple[str, ...]:
        return tuple(sorted(self._versions))

    def versions(self, program: str) -> tuple[Catalogue, ...]:
        return self._versions.get(program, ())

    def get(self, program: str, version: str) -> Catalogue:
        for catalogue in self.versions(program):
            if catalogue.version == version:
                return catalogue
        raise NoCatalogue(
            "catalogue.unknown_version",
            f"Version {version} du catalogue du programme {program} inconnue.",
            f"Unknown version {version} of the {program} catalogue.",
            details={"program": program, "version": version},
        )

    def for_date(self, program: str, day: date) -> Catalogue:
        """The version in force on ``day``: the latest ``effective_from <= day``."""
        position = bisect_right(self._dates.get(program, ()), day)
        if position == 0:
            raise NoCatalogue(
                "catalogue.none_in_force",
                f"Aucun catalogue d'interventions du programme {program} en vigueur le {day.isoformat()}.",
                f"No {program} intervention catalogue in force on {day.isoformat()}.",
                details={"program": program, "on_date": day.isoformat()},
            )
        return self._versions[program][position - 1]

    def code_on(self, program: str, day: date, code: str) -> CodeRule:
        """``code``'s rule in the version in force on ``day``: what a declaration names, and what
        a question about eligibility for a code may name. An unknown code is refused (422, on
        the field ``code``) the same way wherever it is asked; no version in force: NoCatalogue."""
        try:
            return self.for_date(program, day).code(code)
        except UnknownCode as error:
            raise UnknownCode(
                error.code, error.fr, error.en, details={**error.details, "field": "code"}
            ) from None

    def publish(self, catalogue: Catalogue, *, today: date | None = None) -> CatalogueBook:
        existing = self.versions(catalogue.program)
        _refuse_clashes(existing, catalogue)
        latest = existing[-1] if existing else None
        if latest is not None and catalogue.effective_from <= latest.effective_from:
            since = latest.effective_from.isoformat()
            raise _refused(
                "catalogue.not_after_latest",
                f"La nouvelle version doit entrer en vigueur après le {since} (version {latest.version}).",
                f"The new version must take effect after {since} (version {latest.version}).",
                catalogue,
            )
        if today is not None and catalogue.effective_from <= today:
            raise _refused(
                "catalogue.retroactive",
                "Une version ne peut entrer en vigueur qu'à partir de demain (pas de catalogue rétroactif).",
                "A version can only take effect from tomorrow on (no retroactive catalogue).",
                catalogue,
            )
        return CatalogueBook((*self, catalogue))

    def withdraw(self, program: str, version: str, *, today: date) -> CatalogueBook:
        catalogue = self.get(program, version)
        if catalogue.effective_from <= today:
            raise _refused(
                "catalogue.already_in_force",
                "Une version déjà en vigueur ne peut être retirée.",
                "A version already in force cannot be withdrawn.",
                catalogue,
            )
        return CatalogueBook(c for c in self if c is not catalogue)

    # ---- documents ------------------------------------------------------------------------

    def to_document(self) -> dict[str, Any]:
        return {"catalogues": [c.to_document() for c in self]}

    @classmethod
    def from_document(cls, document: Mapping[str, Any]) -> CatalogueBook:
        return cls(Catalogue.from_document(d) for d in document["catalogues"])

    def to_json(self) -> str:
        return json.dumps(self.to_document(), ensure_ascii=False, indent=2)

    @classmethod
    def from_json(cls, text: str | bytes) -> CatalogueBook:
        return cls.from_document(json.loads(text))


@cache
def load_default_catalogue() -> CatalogueBook:
    """Every catalogue shipped in ``gsi_conformity/data/*.json`` (one file per program)."""
    data = resources.files("gsi_conformity").joinpath("data")
    files = sorted((f for f in data.iterdir() if f.name.endswith(".json")), key=lambda f: f.name)
    return CatalogueBook(Catalogue.from_json(f.read_bytes()) for f in files)


def _refuse_clashes(existing: Iterable[Catalogue], catalogue: Catalogue) -> None:
    for other in existing:
        if other.version == catalogue.version:
            raise _refused(
                "catalogue.duplicate_version",
                f"La version {catalogue.version} existe déjà.",
                f"Version {catalogue.version} already exists.",
                catalogue,
            )
        if other.effective_from == catalogue.effective_from:
            raise _refused(
                "catalogue.duplicate_effective_date",
                f"La version {other.version} entre déjà en vigueur à cette date.",
                f"Version {other.version} already takes effect on that date.",
                catalogue,
            )


def _refused(code: str, fr: str, en: str, catalogue: Catalogue) -> CataloguePublishRefused:
    details = {"program": catalogue.program, "version": catalogue.version}
    return CataloguePublishRefused(
        code, fr, en, details={**details, "effective_from": catalogue.effective_from.isoformat()}
    )
