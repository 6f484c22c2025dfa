"""The engine's inputs (a person's facts) and outputs (an evaluation with its failures).

Plain frozen dataclasses, not pydantic models: they are built in the hot path (one per
evaluation, one per failure) and the callers have already validated what they pass in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

Severity = Literal["blocking", "review"]


@dataclass(frozen=True, slots=True)
class StatusPeriod:
    """An immigration status held from ``effective_from`` on (one entry of a status history)."""

    status: str
    effective_from: date
    admission_date: date | None = None  # admission / arrival date (E4)
    expires_on: date | None = None  # last valid day of a temporary status (E6)


@dataclass(frozen=True, slots=True)
class PersonFacts:
    """What the rules need to know about a person; ``region`` is the Québec administrative
    region code ("01".."17") of the current address, None when there is no address in Québec."""

    birth_date: date
    statuses: tuple[StatusPeriod, ...]
    region: str | None
    possible_duplicate: bool = False

    def status_on(self, day: date) -> StatusPeriod | None:
        """The period valid on ``day``: the latest ``effective_from <= day`` (on a tie, the one
        listed last); None before the first period."""
        best: StatusPeriod | None = None
        for period in self.statuses:
            start = period.effective_from
            if start <= day and (best is None or start >= best.effective_from):
                best = period
        return best


@dataclass(frozen=True, slots=True)
class Failure:
    """One failing rule: its code (E1…E8), severity, the filled-in bilingual explanation, and
    the JSON-safe values the explanation was made of (dates as ISO strings)."""

    rule: str
    severity: Severity
    fr: str
    en: str
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "severity": self.severity,
            "fr": self.fr,
            "en": self.en,
            "details": self.details,
        }


@dataclass(frozen=True, slots=True)
class Evaluation:
    """The answer for one person, day, volet (and intervention code): eligible iff no blocking
    failure; review failures (E8) are reported without blocking."""

    eligible: bool
    on_date: date
    volet: str
    code: str | None
    program: str
    rule_set_version: str
    failures: tuple[Failure, ...]
    status: str | None  # the status valid on ``on_date`` (None if none was)

    @property
    def failed_rules(self) -> tuple[str, ...]:
        return tuple(f.rule for f in self.failures)

    @property
    def blocking(self) -> tuple[Failure, ...]:
        return tuple(f for f in self.failures if f.severity == "blocking")

    @property
    def review(self) -> tuple[Failure, ...]:
        return tuple(f for f in self.failures if f.severity == "review")

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe form (for events and API answers)."""
        return {
            "eligible": self.eligible,
            "on_date": self.on_date.isoformat(),
            "volet": self.volet,
            "code": self.code,
            "program": self.program,
            "rule_set_version": self.rule_set_version,
            "status": self.status,
            "failures": [f.to_dict() for f in self.failures],
        }
