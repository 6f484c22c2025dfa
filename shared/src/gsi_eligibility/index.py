"""A rule set's parameters as frozensets and dicts, computed once when the rule set is loaded so
the engine's hot path never touches pydantic."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gsi_eligibility.rules import RuleSet


@dataclass(frozen=True, slots=True)
class RuleIndex:
    """The rule set's parameters as sets and maps, computed once per rule set."""

    volets: tuple[str, ...]
    statuses: frozenset[str]
    labels: Mapping[str, Mapping[str, str]]  # "fr" | "en" → status code → label
    enabled: frozenset[str]  # rule codes
    served: frozenset[str]
    regions: frozenset[str]
    residence_exempt: frozenset[tuple[str, str]]  # (status, volet)
    restricted: Mapping[str, frozenset[str]]  # volet → statuses allowed
    status_volets: Mapping[str, frozenset[str]]  # status → volets allowed
    no_services: frozenset[str]
    max_years: Mapping[str, int]
    min_age: Mapping[str, int]
    expiring: frozenset[str]
    citizen: frozenset[str]
    window_days: int


def build_index(rule_set: RuleSet) -> RuleIndex:
    rules = rule_set.rules
    return RuleIndex(
        volets=tuple(rule_set.volets),
        statuses=frozenset(rule_set.statuses),
        labels={
            "fr": {code: label.fr for code, label in rule_set.statuses.items()},
            "en": {code: label.en for code, label in rule_set.statuses.items()},
        },
        enabled=frozenset(code for code, clause in rules.by_code().items() if clause.enabled),
        served=frozenset(rules.E2.served),
        regions=frozenset(rules.E1.regions),
        residence_exempt=frozenset((e.status, v) for e in rules.E1.exemptions for v in e.volets),
        restricted={volet: frozenset(statuses) for volet, statuses in rules.E3.restricted.items()},
        status_volets={status: frozenset(volets) for status, volets in rules.E3.status_volets.items()},
        no_services=frozenset(rules.E3.no_individual_services),
        max_years={status: limit.years for status, limit in rules.E4.max_years.items()},
        min_age=dict(rules.E5.min_age),
        expiring=frozenset(rules.E6.statuses),
        citizen=frozenset(rules.E7.statuses),
        window_days=rules.E7.window_days,
    )
