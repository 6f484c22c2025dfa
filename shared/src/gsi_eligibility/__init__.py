"""The eligibility engine: rules E1–E8 as versioned, effective-dated data per program, evaluated
by pure functions. No I/O: the registration and interventions services both call it.

    book = load_default_rulebook()
    rules = book.for_date("PASI", day)
    evaluation = evaluate(facts, day, "V1", rules, code="OBI")
"""

from gsi_eligibility.engine import evaluate, evaluate_all_volets
from gsi_eligibility.model import Evaluation, Failure, PersonFacts, Severity, StatusPeriod
from gsi_eligibility.rules import NoRuleSet, PublishRefused, RuleBook, RuleSet, load_default_rulebook

__all__ = [
    "Evaluation",
    "Failure",
    "NoRuleSet",
    "PersonFacts",
    "PublishRefused",
    "RuleBook",
    "RuleSet",
    "Severity",
    "StatusPeriod",
    "evaluate",
    "evaluate_all_volets",
    "load_default_rulebook",
]
