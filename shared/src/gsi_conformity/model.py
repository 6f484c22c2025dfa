"""The checks' inputs (interventions, persons, the context of a run) and outputs (findings).

Plain frozen dataclasses, not pydantic models: a quarter's verify builds tens of thousands of
them, and the callers have already validated what they pass in.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from gsi_conformity.book import CatalogueBook
from gsi_eligibility import PersonFacts, RuleBook
from gsi_kernel.fiscal import FiscalQuarter

Severity = Literal["error", "warning"]
CHECKS = ("C1", "C2", "C3", "C4", "C5", "C6", "C7", "C8")
MODES = frozenset({"in_person", "remote", "group"})


@dataclass(frozen=True, slots=True)
class Item:
    """One intervention as the checks see it."""

    intervention_id: str
    organization_id: str
    person_id: str
    code: str
    service_date: date
    volet: str
    mode: str  # in_person | remote | group
    duration_minutes: int | None
    staff_member: str | None
    target_organization: str | None = None  # REF
    referral_reason: str | None = None  # REF
    session_id: str | None = None  # set when declared through a group session


@dataclass(frozen=True, slots=True)
class PersonRecord:
    """What the checks need to know about a person; ``action_plans`` are the (opened_on,
    closed_on or None) of the declaring organization's plans."""

    person_id: str
    facts: PersonFacts
    registered_on: date
    action_plans: tuple[tuple[date, date | None], ...] = ()

    def plan_active_on(self, day: date) -> bool:
        """A plan is active from the day it opens to the day it closes, both included."""
        return any(
            opened <= day and (closed is None or day <= closed) for opened, closed in self.action_plans
        )


@dataclass(frozen=True, slots=True)
class Finding:
    """One failed check on one intervention: a machine code (e.g. ``C5.no_active_plan``), the
    filled-in French and English text, and the JSON-safe values it was made of."""

    intervention_id: str
    check: str  # "C1".."C8"
    severity: Severity
    code: str
    fr: str
    en: str
    details: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {
            "intervention_id": self.intervention_id,
            "check": self.check,
            "severity": self.severity,
            "code": self.code,
            "fr": self.fr,
            "en": self.en,
            "details": self.details,
        }


@dataclass(frozen=True, slots=True)
class Summary:
    """Counts of a run; ``blocking`` iff any error (errors block acceptance, warnings do not)."""

    errors: int
    warnings: int
    by_check: dict[str, int]  # every check C1..C8, zero included
    blocking: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "errors": self.errors,
            "warnings": self.warnings,
            "by_check": dict(self.by_check),
            "blocking": self.blocking,
        }


def never_locked(organization_id: str, quarter: FiscalQuarter) -> bool:
    del organization_id, quarter
    return False


@dataclass(frozen=True)
class CheckContext:
    """What a run checks against. ``agreement_volets``: organization → volets of its agreement;
    an organization missing from the map has no known restriction. ``locked``: whether a quarter
    is closed to the organization's changes — locked, and no granted lock exception valid today
    opens it (C7: a change made under an exception needs no correction request). ``quarter``:
    set at verify, the quarter being reported (C2 "inside the quarter")."""

    catalogues: CatalogueBook
    rules: RuleBook
    today: date
    agreement_volets: Mapping[str, frozenset[str]]
    locked: Callable[[str, FiscalQuarter], bool] = never_locked
    program: str = "PASI"
    quarter: FiscalQuarter | None = None
