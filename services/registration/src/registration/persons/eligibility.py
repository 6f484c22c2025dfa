"""Eligibility of a person, through the shared engine (gsi_eligibility): the same rules, from
the same rule book, as the interventions service uses at declaration."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from gsi_eligibility.engine import evaluate
from gsi_eligibility.model import Evaluation, PersonFacts
from gsi_eligibility.model import StatusPeriod as FactPeriod
from gsi_eligibility.rules import RuleBook
from registration.persons import events as ev
from registration.persons.values import PROGRAM, VOLETS

if TYPE_CHECKING:
    from registration.persons.domain import Person


def facts_of(person: Person) -> PersonFacts:
    periods = tuple(
        FactPeriod(
            status=str(p.status),
            effective_from=p.effective_from,
            admission_date=p.admission_date,
            expires_on=p.expires_on,
        )
        for p in person.statuses
    )
    return PersonFacts(
        birth_date=person.birth_date,
        statuses=periods,
        region=person.region,
        possible_duplicate=bool(person.open_duplicates),
    )


def explain(
    person: Person, on_date: date, rules: RuleBook, volets: tuple[str, ...] = VOLETS, code: str | None = None
) -> list[Evaluation]:
    """Every volet's evaluation on ``on_date``, with each failing rule's FR/EN explanation."""
    rule_set = rules.for_date(PROGRAM, on_date)
    facts = facts_of(person)
    return [evaluate(facts, on_date, volet, rule_set, code=code) for volet in volets]


def evaluate_all(person: Person, on_date: date, rules: RuleBook, *, trigger: str) -> ev.EligibilityEvaluated:
    evaluations = explain(person, on_date, rules)
    return ev.EligibilityEvaluated(
        on_date=on_date,
        trigger=trigger,
        program=PROGRAM,
        rule_set_version=evaluations[0].rule_set_version,
        results=tuple(
            ev.VoletResult(volet=e.volet, eligible=e.eligible, failures=tuple(f.rule for f in e.failures))
            for e in evaluations
        ),
    )
