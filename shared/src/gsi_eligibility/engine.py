"""Evaluate a person's eligibility on a day, for a volet (and an intervention code), against one
rule set. Every failing rule is reported, each with its filled-in French and English explanation.

The hot path reads only the rule set's precomputed :class:`~gsi_eligibility.index.RuleIndex`
and plain dataclasses; explanations are formatted only for the rules that fail.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from gsi_eligibility.clauses import Clause, Message
from gsi_eligibility.index import RuleIndex
from gsi_eligibility.model import Evaluation, Failure, PersonFacts, StatusPeriod
from gsi_eligibility.rules import RuleSet


@dataclass(frozen=True, slots=True)
class _Case:
    facts: PersonFacts
    on_date: date
    volet: str
    code: str | None
    period: StatusPeriod | None
    status: str | None
    rules: RuleSet
    index: RuleIndex

    def fail(self, rule: str, message: Message | None = None, **details: Any) -> Failure:
        clause: Clause = getattr(self.rules.rules, rule)
        template = message or clause.message
        return Failure(
            rule,
            clause.severity,
            self._fill(template.fr, "fr", details),
            self._fill(template.en, "en", details),
            details,
        )

    def _fill(self, template: str, language: str, details: dict[str, Any]) -> str:
        labels = self.index.labels[language]
        values: dict[str, Any] = {
            "program": self.rules.program,
            "on_date": self.on_date.isoformat(),
            "volet": self.volet,
            "code": self.code or "—",
            **details,
        }
        status = values.get("status", self.status)
        values["status"] = "—" if status is None else labels.get(status, status)
        if "allowed" in values:
            values["allowed"] = ", ".join(labels.get(s, s) for s in values["allowed"])
        if "volets" in values:
            values["volets"] = ", ".join(values["volets"])
        return template.format_map({k: "—" if v is None else v for k, v in values.items()})


Check = Callable[[_Case], Failure | None]


def evaluate(
    facts: PersonFacts, on_date: date, volet: str, rules: RuleSet, code: str | None = None
) -> Evaluation:
    """Every rule of ``rules`` on the status valid on ``on_date``; eligible iff none blocks."""
    index = rules.index
    period = facts.status_on(on_date)
    status = None if period is None else period.status
    case = _Case(facts, on_date, volet, code, period, status, rules, index)
    failures: list[Failure] = []
    for rule, check in _CHECKS:
        if rule in index.enabled and (failure := check(case)) is not None:
            failures.append(failure)
    eligible = not any(f.severity == "blocking" for f in failures)
    return Evaluation(eligible, on_date, volet, code, rules.program, rules.version, tuple(failures), status)


def evaluate_all_volets(
    facts: PersonFacts, on_date: date, rules: RuleSet, code: str | None = None
) -> dict[str, Evaluation]:
    """One evaluation per volet the rule set declares, in the document's order."""
    return {volet: evaluate(facts, on_date, volet, rules, code) for volet in rules.index.volets}


# ---- the rules ------------------------------------------------------------------------------


def _residence(case: _Case) -> Failure | None:
    region = case.facts.region
    if region in case.index.regions or (case.status, case.volet) in case.index.residence_exempt:
        return None
    return case.fail("E1", region=region)


def _status(case: _Case) -> Failure | None:
    status, messages = case.status, case.rules.rules.E2
    if status is None:
        return case.fail("E2", messages.missing_message)
    if status not in case.index.statuses:
        return case.fail("E2", messages.unknown_message, status=status)
    if status not in case.index.served:
        return case.fail("E2", status=status)
    return None


def _volet(case: _Case) -> Failure | None:
    volet, messages = case.volet, case.rules.rules.E3
    if volet not in case.index.volets:
        return case.fail("E3", messages.unknown_volet_message, volet=volet)
    if volet in case.index.no_services:
        return case.fail("E3", messages.no_services_message)
    status = case.status
    allowed = case.index.restricted.get(volet)
    if allowed is not None and status not in allowed:
        return case.fail("E3", status=status, allowed=list(messages.restricted[volet]))
    volets = None if status is None else case.index.status_volets.get(status)
    if status is not None and volets is not None and volet not in volets:
        only = list(messages.status_volets[status])
        return case.fail("E3", messages.status_volets_message, status=status, volets=only)
    return None


def _admission(case: _Case) -> Failure | None:
    period = case.period
    years = None if period is None else case.index.max_years.get(period.status)
    if period is None or years is None:
        return None
    if period.admission_date is None:
        if not case.rules.rules.E4.require_admission_date:
            return None
        return case.fail("E4", case.rules.rules.E4.missing_message, status=period.status, max_years=years)
    last_day = add_years(period.admission_date, years)
    if case.on_date <= last_day:
        return None
    return case.fail(
        "E4",
        status=period.status,
        admission_date=period.admission_date.isoformat(),
        max_years=years,
        last_eligible_day=last_day.isoformat(),
    )


def _age(case: _Case) -> Failure | None:
    min_age = None if case.code is None else case.index.min_age.get(case.code)
    if min_age is None:
        return None
    birth = case.facts.birth_date
    eligible_from = add_years(birth, min_age)
    if case.on_date >= eligible_from:
        return None
    return case.fail(
        "E5", min_age=min_age, age=age_on(birth, case.on_date), eligible_from=eligible_from.isoformat()
    )


def _expiry(case: _Case) -> Failure | None:
    period = case.period
    if period is None or period.status not in case.index.expiring or period.expires_on is None:
        return None
    if period.expires_on >= case.on_date:
        return None
    return case.fail("E6", status=period.status, expires_on=period.expires_on.isoformat())


def _citizen(case: _Case) -> Failure | None:
    period = case.period
    if period is None or period.status not in case.index.citizen:
        return None
    last_day = period.effective_from + timedelta(days=case.index.window_days)
    if case.on_date <= last_day:
        return None
    return case.fail(
        "E7",
        citizen_since=period.effective_from.isoformat(),
        window_days=case.index.window_days,
        last_eligible_day=last_day.isoformat(),
    )


def _duplicate(case: _Case) -> Failure | None:
    return case.fail("E8") if case.facts.possible_duplicate else None


_CHECKS: tuple[tuple[str, Check], ...] = (
    ("E1", _residence),
    ("E2", _status),
    ("E3", _volet),
    ("E4", _admission),
    ("E5", _age),
    ("E6", _expiry),
    ("E7", _citizen),
    ("E8", _duplicate),
)


# ---- calendar -------------------------------------------------------------------------------


def add_years(day: date, years: int) -> date:
    """The ``years``-th anniversary of ``day``; Feb 29 falls on Mar 1 in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return date(day.year + years, 3, 1)


def age_on(birth_date: date, day: date) -> int:
    """Completed years on ``day`` (a Feb 29 birthday is reached on Mar 1 in a common year)."""
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))
