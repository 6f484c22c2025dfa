"""The intervention catalogue as data: one versioned, effective-dated document per program and
version, listing the codes organizations declare, the volets each is offered in and the
constraints the conformity checks apply (see :mod:`gsi_conformity.checks`).

A :class:`Catalogue` is validated when loaded: unknown fields, unknown volets ("all" is refused:
volets are listed explicitly), contradictory or empty constraints are all refused. The hot path
reads its pydantic attributes directly (plain attribute reads); nothing is re-validated there.
"""

from __future__ import annotations

from typing import Self

from pydantic import Field, model_validator

from gsi_eligibility.clauses import Frozen, InterventionCode, RegionCode, StatusCode
from gsi_kernel.dated_book import Dated
from gsi_kernel.errors import InvalidInput

# The program's volets [src]. V5 (innovation projects) has no individual services, so no code
# lists it in the shipped catalogue, but a document may.
KNOWN_VOLETS = ("V1", "V2", "V3", "V4", "V5")
QUEBEC_REGIONS = frozenset(f"{n:02d}" for n in range(1, 18))


class CodeRule(Frozen):
    """One intervention code: its labels, volets and constraints (each one a check of C3–C6)."""

    fr: str = Field(min_length=1)
    en: str = Field(min_length=1)
    volets: tuple[str, ...] = Field(min_length=1)  # among KNOWN_VOLETS, checked below
    min_age: int | None = Field(default=None, ge=0, le=130)  # C6, age on the service date
    once_per_person: bool = False  # C6, at any organization; the later occurrences fail
    once_per_year: bool = False  # C6, at most once in any 365 consecutive days per person
    requires_action_plan: bool = False  # C5
    requires_group: bool = False  # C3, mode must be "group"
    allowed_statuses: tuple[StatusCode, ...] | None = None  # C6, status valid on the service date
    excluded_regions: tuple[RegionCode, ...] | None = None  # C6, region of the person's address
    requires_referral_target: bool = False  # C3, target organization + reason
    basis: str = ""  # where the constraints come from: "[src] …" / "[default] …"

    @model_validator(mode="after")
    def _sane(self) -> Self:
        problems = [*_unknown_volets(self.volets), *self._contradictions()]
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def _contradictions(self) -> list[str]:
        problems = []
        if self.once_per_person and self.once_per_year:
            problems.append("once_per_person already implies once_per_year: set only one")
        for name in ("volets", "allowed_statuses", "excluded_regions"):
            values = getattr(self, name)
            if values is not None and len(set(values)) != len(values):
                problems.append(f"{name} lists a value twice: {list(values)}")
        if self.allowed_statuses is not None and not self.allowed_statuses:
            problems.append("allowed_statuses is empty: use null for no restriction")
        regions = self.excluded_regions
        if regions is not None and not regions:
            problems.append("excluded_regions is empty: use null for no restriction")
        if regions is not None and not set(regions) <= QUEBEC_REGIONS:
            problems.append(f"excluded_regions must be Québec regions 01-17, not {sorted(regions)}")
        return problems


def _unknown_volets(volets: tuple[str, ...]) -> list[str]:
    unknown = [v for v in volets if v not in KNOWN_VOLETS]
    if not unknown:
        return []
    return [f"unknown volets {unknown}: list them explicitly among {list(KNOWN_VOLETS)}"]


class Outliers(Frozen):
    """C8 thresholds (warnings): volumes above them are flagged, never refused."""

    max_per_person_per_day: int = Field(default=6, ge=1, le=1000)
    max_per_staff_per_day: int = Field(default=40, ge=1, le=10_000)
    max_duration_minutes: int = Field(default=480, ge=1, le=24 * 60)


class UnknownCode(InvalidInput):
    """An intervention code the catalogue does not list."""


class Catalogue(Dated):
    """One program's intervention catalogue from ``effective_from`` on, until the next version."""

    codes: dict[InterventionCode, CodeRule] = Field(min_length=1)
    outliers: Outliers = Field(default_factory=Outliers)

    def code(self, code: str) -> CodeRule:
        rule = self.codes.get(code)
        if rule is None:
            raise UnknownCode(
                "catalogue.unknown_code",
                f"Code d'intervention inconnu : {code} (catalogue {self.program} {self.version}).",
                f"Unknown intervention code: {code} ({self.program} catalogue {self.version}).",
                details={"program": self.program, "version": self.version, "code": code},
            )
        return rule

    def codes_in(self, volet: str) -> tuple[str, ...]:
        """The codes offered in ``volet``, in the document's order."""
        return tuple(code for code, rule in self.codes.items() if volet in rule.volets)
