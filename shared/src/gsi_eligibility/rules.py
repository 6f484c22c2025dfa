"""Rule sets as data: one versioned, effective-dated document per program and version.

A :class:`RuleSet` is validated when loaded (unknown fields, negative limits, references to
statuses or volets the document does not declare, templates naming unknown placeholders are all
refused); its :class:`RuleIndex` (frozensets and dicts the engine reads) is computed once.

A :class:`RuleBook` holds every version of every program and picks the one in force on a day.
Publishing is append-only, so any past evaluation can be replayed with the rules of its day; its
rules (no version reused, no version slipped in between, none retroactive, only a version not yet
in force withdrawn) are those of every effective-dated book (:mod:`gsi_kernel.dated_book`).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache, cached_property
from typing import Self

from pydantic import Field, model_validator

from gsi_eligibility.clauses import Clauses, Label, StatusCode, VoletCode
from gsi_eligibility.index import RuleIndex, build_index
from gsi_kernel.dated_book import BookWording, Dated, DatedBook
from gsi_kernel.errors import Conflict, NotFound


class RuleSet(Dated):
    """One program's eligibility rules from ``effective_from`` on, until the next version."""

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
    """A rule set version cannot be published or withdrawn (see :mod:`gsi_kernel.dated_book`)."""


class NoRuleSet(NotFound):
    """No version of the program is in force on the day (or the version is unknown)."""


class RuleBook(DatedBook[RuleSet]):
    """Every version of every program's rule set, oldest first per program."""

    __slots__ = ()
    wording = BookWording(
        prefix="rules",
        document_key="rule_sets",
        refused=PublishRefused,
        missing=NoRuleSet,
        unknown_version=(
            "Version {version} des règles du programme {program} inconnue.",
            "Unknown version {version} of the {program} rules.",
        ),
        none_in_force=(
            "Aucune règle d'admissibilité du programme {program} en vigueur le {day}.",
            "No {program} eligibility rules in force on {day}.",
        ),
        retroactive=(
            "Une version ne peut entrer en vigueur qu'à partir de demain (pas de règle rétroactive).",
            "A version can only take effect from tomorrow on (no retroactive rules).",
        ),
    )

    @classmethod
    def kind(cls) -> type[RuleSet]:
        return RuleSet


@cache
def load_default_rulebook() -> RuleBook:
    """Every rule set shipped in ``gsi_eligibility/data/*.json`` (one file per program)."""
    return RuleBook.shipped("gsi_eligibility")
