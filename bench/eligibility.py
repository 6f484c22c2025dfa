"""``uv run python -m bench.eligibility``: in-process eligibility evaluations per second.

A realistic mix: persons across every status (some with a status history, an expired temporary
status, no address in Québec, a possible duplicate), service days over three fiscal years,
volets and intervention codes as organizations declare them. Measured: ``evaluate`` alone, the
rule-set lookup by date plus ``evaluate`` (what the services do), and ``evaluate_all_volets``.
Figures are printed, never asserted: the machine decides them.
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable
from datetime import date, timedelta
from typing import TypeVar

from gsi_eligibility import (
    PersonFacts,
    RuleBook,
    RuleSet,
    StatusPeriod,
    evaluate,
    evaluate_all_volets,
    load_default_rulebook,
)

STATUSES = {  # status → share of registered persons
    "permanent_resident": 35,
    "asylum_claimant": 18,
    "government_assisted_refugee": 9,
    "temporary_worker": 10,
    "international_student": 8,
    "privately_sponsored_refugee": 5,
    "protected_person": 6,
    "csq_holder": 4,
    "citizen": 2,
}
VOLETS = {"V1": 45, "V2": 45, "V3": 2, "V4": 2, "V5": 1}  # + the status's own volet, below
OWN_VOLET = {
    "government_assisted_refugee": "V3",
    "privately_sponsored_refugee": "V3",
    "asylum_claimant": "V4",
}
TEMPORARY = {"asylum_claimant", "temporary_worker", "international_student"}
CODES = {
    None: 20,
    "ADM": 5,
    "ACC": 10,
    "PDI": 15,
    "SUI": 20,
    "SIC": 10,
    "OBI": 10,
    "REF": 5,
    "RPC": 3,
    "DAS": 2,
}
FIRST_DAY = date(2024, 4, 1)
DAYS = 3 * 365

Call = tuple[PersonFacts, date, str, str | None]
T = TypeVar("T")


def _pick(rng: random.Random, weights: dict[T, int]) -> T:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _period(rng: random.Random, status: str, since: date) -> StatusPeriod:
    admission = since - timedelta(days=rng.randint(0, 400)) if rng.random() < 0.97 else None
    temporary = status in TEMPORARY and rng.random() < 0.8
    expires = since + timedelta(days=rng.randint(2 * 365, 6 * 365)) if temporary else None
    return StatusPeriod(status, since, admission_date=admission, expires_on=expires)


def _person(rng: random.Random) -> PersonFacts:
    since = FIRST_DAY - timedelta(days=rng.randint(0, 3 * 365))
    periods = [_period(rng, _pick(rng, STATUSES), since)]
    if rng.random() < 0.15:  # a status change: claimant → protected, PR → citizen, …
        periods.append(_period(rng, _pick(rng, STATUSES), since + timedelta(days=rng.randint(30, 900))))
    birth = date(rng.randint(1950, 2015), rng.randint(1, 12), rng.randint(1, 28))
    region = None if rng.random() < 0.03 else f"{rng.randint(1, 17):02d}"
    return PersonFacts(birth, tuple(periods), region, possible_duplicate=rng.random() < 0.02)


def _call(rng: random.Random, persons: list[PersonFacts]) -> Call:
    facts = rng.choice(persons)
    volet = _pick(rng, VOLETS)
    own = OWN_VOLET.get(facts.statuses[-1].status)
    if own is not None and rng.random() < 0.6:
        volet = own
    return facts, FIRST_DAY + timedelta(days=rng.randrange(DAYS)), volet, _pick(rng, CODES)


def workload(size: int, seed: int = 2027) -> list[Call]:
    rng = random.Random(seed)
    persons = [_person(rng) for _ in range(max(1, size // 10))]
    return [_call(rng, persons) for _ in range(size)]


def _rate(label: str, count: int, run: Callable[[], object], repeat: int = 3) -> float:
    """The best of ``repeat`` runs (the first one also warms the caches up)."""
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - started)
    per_second = count / best
    print(f"{label:<46} {per_second:>10,.0f} /s")
    return per_second


def _book() -> RuleBook:
    """The default PASI rules plus a 2027.1 version (journey 4: PR limit 5 → 4 years)."""
    book = load_default_rulebook()
    document = book.for_date("PASI", FIRST_DAY).to_document()
    document.update(version="2027.1", effective_from="2027-04-01")
    document["rules"]["E4"]["max_years"]["permanent_resident"]["years"] = 4
    return book.publish(RuleSet.from_document(document))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--evaluations", type=int, default=200_000)
    args = parser.parse_args()
    calls = workload(args.evaluations)
    book = _book()
    rules = book.for_date("PASI", FIRST_DAY)
    results = [evaluate(facts, day, volet, rules, code) for facts, day, volet, code in calls[:20_000]]
    eligible = sum(e.eligible for e in results) / len(results)
    print(f"mix: {len(calls):,} evaluations, {eligible:.0%} eligible, rule sets: {[r.version for r in book]}")

    _rate(
        "evaluate (one rule set)", len(calls), lambda: [evaluate(f, d, v, rules, c) for f, d, v, c in calls]
    )
    _rate(
        "for_date + evaluate (rule set in force)",
        len(calls),
        lambda: [evaluate(f, d, v, book.for_date("PASI", d), c) for f, d, v, c in calls],
    )
    persons = calls[: len(calls) // 5]
    _rate(
        "evaluate_all_volets (evaluations, 5 per call)",
        5 * len(persons),
        lambda: [evaluate_all_volets(f, d, book.for_date("PASI", d), c) for f, d, _, c in persons],
    )


if __name__ == "__main__":
    main()
