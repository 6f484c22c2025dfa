"""The clauses of a rule set: one model per rule E1…E8, each with its parameters, severity,
basis ([src] / [default]) and bilingual explanation templates.

Templates use ``{placeholder}`` fields; each clause declares which ones it fills, so a template
naming anything else is refused when the rule set is loaded, not when a person fails the rule.
Cross-references (statuses, volets) are checked by the enclosing :class:`RuleSet`.
"""

from __future__ import annotations

import string
from typing import Annotated, ClassVar, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from gsi_eligibility.model import Severity

StatusCode = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,63}$")]
VoletCode = Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9_]{0,15}$")]
InterventionCode = Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9_]{0,15}$")]
RegionCode = Annotated[str, StringConstraints(pattern=r"^[0-9]{2}$")]

# Every explanation may name these; each clause adds its own (see ``PLACEHOLDERS``).
BASE_PLACEHOLDERS = frozenset({"program", "on_date", "volet", "code", "status"})


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Label(Frozen):
    fr: str = Field(min_length=1)
    en: str = Field(min_length=1)


class Message(Label):
    """A bilingual explanation template."""

    @model_validator(mode="after")
    def _parses(self) -> Self:
        self.placeholders()  # raises ValueError on unbalanced braces or a bad field
        return self

    def placeholders(self) -> frozenset[str]:
        names: set[str] = set()
        for text in (self.fr, self.en):
            for _, name, _, _ in string.Formatter().parse(text):
                if name is None:
                    continue
                if not name.isidentifier():
                    raise ValueError(f"placeholder {{{name}}} must be a plain name")
                names.add(name)
        return frozenset(names)


class Clause(Frozen):
    """What every rule carries; ``messages()`` lists its templates, ``PLACEHOLDERS`` its fields."""

    PLACEHOLDERS: ClassVar[frozenset[str]] = frozenset()

    enabled: bool = True
    severity: Severity = "blocking"
    basis: str = ""  # where the rule comes from, e.g. "[src] …" or "[default]"
    message: Message

    @model_validator(mode="after")
    def _known_placeholders(self) -> Self:
        allowed = BASE_PLACEHOLDERS | self.PLACEHOLDERS
        for name, message in self.messages().items():
            unknown = message.placeholders() - allowed
            if unknown:
                raise ValueError(
                    f"{name} names unknown placeholders {sorted(unknown)}; allowed: {sorted(allowed)}"
                )
        return self

    def messages(self) -> dict[str, Message]:
        return {name: value for name, value in self if isinstance(value, Message)}


class Exemption(Frozen):
    status: StatusCode
    volets: tuple[VoletCode, ...] = Field(min_length=1)


class ResidenceClause(Clause):
    """E1: lives in Québec (an address in one of ``regions``), except the listed (status, volets)."""

    PLACEHOLDERS = frozenset({"region"})

    regions: tuple[RegionCode, ...] = Field(min_length=1)
    exemptions: tuple[Exemption, ...] = ()


class StatusClause(Clause):
    """E2: the status valid on the day is one the program serves."""

    served: tuple[StatusCode, ...] = Field(min_length=1)
    unknown_message: Message
    missing_message: Message


class VoletClause(Clause):
    """E3: some volets are restricted to some statuses (``restricted``, volet → statuses), some
    statuses to some volets (``status_volets``, status → volets); some volets have no individual
    services at all."""

    PLACEHOLDERS = frozenset({"allowed", "volets"})

    restricted: dict[VoletCode, tuple[StatusCode, ...]] = Field(default_factory=dict)
    status_volets: dict[StatusCode, tuple[VoletCode, ...]] = Field(default_factory=dict)
    no_individual_services: tuple[VoletCode, ...] = ()
    status_volets_message: Message
    no_services_message: Message
    unknown_volet_message: Message


class YearsLimit(Frozen):
    years: int = Field(ge=0, le=100)
    comment: str = ""


class AdmissionClause(Clause):
    """E4: at most N years since admission, N per status. The N-th anniversary of the admission
    date is the last eligible day (an admission on Feb 29 has its anniversary on Mar 1)."""

    PLACEHOLDERS = frozenset({"admission_date", "max_years", "last_eligible_day"})

    max_years: dict[StatusCode, YearsLimit] = Field(default_factory=dict)
    require_admission_date: bool = True  # a limited status without an admission date fails
    missing_message: Message


class AgeClause(Clause):
    """E5: minimum age per intervention code; eligible from that birthday on."""

    PLACEHOLDERS = frozenset({"min_age", "age", "eligible_from"})

    min_age: dict[InterventionCode, Annotated[int, Field(ge=0, le=130)]] = Field(default_factory=dict)


class ExpiryClause(Clause):
    """E6: a temporary status whose ``expires_on`` is before the day fails (the expiry day itself
    is still valid; no expiry date recorded → not checked)."""

    PLACEHOLDERS = frozenset({"expires_on"})

    statuses: tuple[StatusCode, ...] = ()


class CitizenClause(Clause):
    """E7: a naturalized citizen stays eligible ``window_days`` days after the citizen period's
    ``effective_from`` (day 0), then not."""

    PLACEHOLDERS = frozenset({"citizen_since", "window_days", "last_eligible_day"})

    statuses: tuple[StatusCode, ...] = ()
    window_days: int = Field(ge=0, le=3660)


class DuplicateClause(Clause):
    """E8: a possible duplicate person goes to a review queue (reported, not blocking by default)."""

    severity: Severity = "review"


class Clauses(Frozen):
    E1: ResidenceClause
    E2: StatusClause
    E3: VoletClause
    E4: AdmissionClause
    E5: AgeClause
    E6: ExpiryClause
    E7: CitizenClause
    E8: DuplicateClause

    def by_code(self) -> dict[str, Clause]:
        return {name: value for name, value in self if isinstance(value, Clause)}
