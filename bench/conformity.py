"""``uv run python -m bench.conformity``: the conformity checks C1–C8 over a quarter, in-process.

A realistic quarter (2026-2027 Q1): ~4,000 persons across statuses, registered at a dozen
organizations, most with an action plan; 20,000 interventions over the quarter — individual
services in the volet of the person's status, group sessions (SIC, PPA, OBI) of 8–20 attendees,
a few persons also served elsewhere — and a sprinkle of non-conformities (missing fields,
duplicates, follow-ups without a plan, a date in the future). Measured: ``check`` over the whole
quarter (what *verify* does) and ``check`` of one intervention with the person's and the staff
member's other interventions (what a declaration does). Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import random
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta
from typing import TypeVar

from gsi_conformity import CheckContext, Item, PersonRecord, check, load_default_catalogue, summarize
from gsi_eligibility import PersonFacts, StatusPeriod, load_default_rulebook
from gsi_kernel.fiscal import FiscalQuarter

QUARTER = FiscalQuarter.parse("2026-2027-Q1")
TODAY = date(2026, 7, 10)
STATUSES = {  # status → share of persons
    "permanent_resident": 45,
    "asylum_claimant": 18,
    "government_assisted_refugee": 10,
    "temporary_worker": 8,
    "international_student": 7,
    "protected_person": 7,
    "privately_sponsored_refugee": 5,
}
# status → (volet, code → weight) of the individual services such a person usually receives
SERVICES: dict[str, tuple[str, dict[str, int]]] = {
    "asylum_claimant": ("V4", {"DAS": 50, "ADM": 20, "REF": 30}),
    "government_assisted_refugee": ("V3", {"RPC": 40, "ADM": 20, "REF": 40}),
}
DEFAULT_SERVICES = ("V1", {"ADM": 8, "ACC": 8, "EVB": 6, "PDI": 25, "SUI": 35, "REF": 10, "REG": 8})
GROUP_CODES = {"SIC": 50, "PPA": 35, "OBI": 15}
ORGANIZATIONS = [f"org-{n:02d}" for n in range(12)]
ONCE = {"ACC", "EVB", "OBI"}  # given once per person here (EVB: once a year)
T = TypeVar("T")


def _pick(rng: random.Random, weights: dict[T, int]) -> T:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _day(rng: random.Random) -> date:
    return QUARTER.first_day + timedelta(days=rng.randrange((QUARTER.last_day - QUARTER.first_day).days + 1))


def _person(rng: random.Random, number: int) -> tuple[PersonRecord, str]:
    status = _pick(rng, STATUSES)
    arrived = QUARTER.first_day - timedelta(days=rng.randint(0, 4 * 365))
    temporary = status.endswith(("worker", "student", "claimant"))
    expires = QUARTER.last_day + timedelta(days=rng.randint(-30, 3 * 365)) if temporary else None
    period = StatusPeriod(status, arrived, admission_date=arrived, expires_on=expires)
    birth = date(rng.randint(1950, 2012), rng.randint(1, 12), rng.randint(1, 28))
    region = rng.choice(["06", "06", "06", "13", "03", "05", "16"]) if rng.random() > 0.002 else None
    registered = min(arrived + timedelta(days=rng.randint(0, 60)), QUARTER.first_day)
    opened = registered + timedelta(days=rng.randint(0, 14))
    plans = ((opened, None),) if rng.random() < 0.98 else ()
    facts = PersonFacts(birth, (period,), region, possible_duplicate=rng.random() < 0.01)
    return PersonRecord(f"p-{number:05d}", facts, registered, plans), rng.choice(ORGANIZATIONS)


def _individual(
    rng: random.Random, record: PersonRecord, organization: str, number: int, given: set[tuple[str, str]]
) -> Item:
    volet, codes = SERVICES.get(record.facts.statuses[0].status, DEFAULT_SERVICES)
    code = _pick(rng, codes)
    if (record.person_id, code) in given or (code == "REG" and record.facts.region in ("06", "13")):
        code = "PDI" if volet == "V1" else "ADM"  # the once-only codes are given once; REG outside Montréal
    if code in ONCE:
        given.add((record.person_id, code))
    volet = "V2" if volet == "V1" and code != "EVB" and rng.random() < 0.4 else volet
    staff = f"{organization}-staff-{rng.randrange(8)}"
    referral = ("org-other", "emploi") if code == "REF" else (None, None)
    day = max(_day(rng), record.registered_on)
    return Item(
        f"i-{number:06d}", organization, record.person_id, code, day, volet,
        rng.choice(["in_person", "in_person", "remote"]), rng.choice([30, 45, 60, 90, 120]), staff, *referral,
    )  # fmt: skip


def _attendees(
    rng: random.Random,
    members: list[PersonRecord],
    code: str,
    day: date,
    given: set[tuple[str, str]],
    size: int,
) -> list[PersonRecord]:
    """Members who may attend a V2 session: not asylum claimants (V4 only), adults for OBI, once for OBI."""
    chosen: list[PersonRecord] = []
    for record in rng.sample(members, min(len(members), 3 * size)):
        if len(chosen) == size:
            break
        if record.facts.statuses[0].status == "asylum_claimant" or (record.person_id, code) in given:
            continue
        if code == "OBI" and (day - record.facts.birth_date).days < 19 * 365:
            continue
        if code in ONCE:
            given.add((record.person_id, code))
        chosen.append(record)
    return chosen


def _sessions(
    rng: random.Random, members: dict[str, list[PersonRecord]], count: int, given: set[tuple[str, str]]
) -> list[Item]:
    items: list[Item] = []
    while len(items) < count:
        organization = rng.choice(ORGANIZATIONS)
        code, day, staff = _pick(rng, GROUP_CODES), _day(rng), f"{organization}-staff-{rng.randrange(8)}"
        session = f"s-{len(items)}"
        for record in _attendees(
            rng, members[organization], code, day, given, min(rng.randint(8, 20), count - len(items))
        ):
            number = len(items)
            items.append(
                Item(
                    f"i-{number:06d}",
                    organization,
                    record.person_id,
                    code,
                    day,
                    "V2",
                    "group",
                    180,
                    staff,
                    session_id=session,
                )
            )
    return items


def _blemish(rng: random.Random, items: list[Item]) -> list[Item]:
    """About 1 % of items get a non-conformity; a few are repeated (duplicates)."""
    out = []
    for item in items:
        roll = rng.random()
        if roll < 0.003:
            item = replace(item, duration_minutes=None)
        elif roll < 0.006:
            item = replace(item, staff_member=None)
        elif roll < 0.008:
            item = replace(item, service_date=TODAY + timedelta(days=3))
        out.append(item)
        if rng.random() < 0.003:
            out.append(replace(item, intervention_id=item.intervention_id + "-dup"))
    return out


def workload(size: int, persons: int, seed: int = 2026) -> tuple[list[Item], dict[str, PersonRecord]]:
    rng = random.Random(seed)
    people = [_person(rng, n) for n in range(persons)]
    members: dict[str, list[PersonRecord]] = defaultdict(list)
    for record, organization in people:
        members[organization].append(record)
    given: set[tuple[str, str]] = set()
    grouped = _sessions(rng, members, size // 5, given)
    individual = []
    for number in range(len(grouped), size):
        record, organization = rng.choice(people)
        elsewhere = rng.random() < 0.05  # also served by another organization
        individual.append(
            _individual(rng, record, rng.choice(ORGANIZATIONS) if elsewhere else organization, number, given)
        )
    return _blemish(rng, grouped + individual), {record.person_id: record for record, _ in people}


def _previous_quarters_locked(organization_id: str, quarter: FiscalQuarter) -> bool:
    del organization_id
    return quarter < QUARTER


def _time(run: Callable[[], object], repeat: int) -> tuple[float, float]:
    """(first run, best of ``repeat``) in seconds."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return times[0], min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--interventions", type=int, default=20_000)
    parser.add_argument("--persons", type=int, default=4_000)
    parser.add_argument("--declarations", type=int, default=2_000)
    args = parser.parse_args()
    items, persons = workload(args.interventions, args.persons)
    agreements = {org: frozenset({"V1", "V2", "V3", "V4"}) for org in ORGANIZATIONS}
    context = CheckContext(
        load_default_catalogue(), load_default_rulebook(), TODAY, agreements,
        locked=_previous_quarters_locked, quarter=QUARTER,
    )  # fmt: skip
    findings = check(items, persons, context)
    summary = summarize(findings)
    print(
        f"quarter {QUARTER}: {len(items):,} interventions, {len(persons):,} persons, {len(ORGANIZATIONS)} organizations"
    )
    print(f"findings: {summary.errors:,} errors, {summary.warnings:,} warnings, by check {summary.by_check}")
    first, best = _time(lambda: check(items, persons, context), repeat=5)
    print(
        f"{'verify: check(quarter), first run':<46} {first:>8.3f} s  {len(items) / first:>10,.0f} interventions/s"
    )
    print(
        f"{'verify: check(quarter), best of 5':<46} {best:>8.3f} s  {len(items) / best:>10,.0f} interventions/s"
    )
    _declarations(items, persons, context, args.declarations)


def _declarations(
    items: list[Item], persons: dict[str, PersonRecord], context: CheckContext, count: int
) -> None:
    """One item at a time, with the person's interventions and the staff member's of that day."""
    by_person: dict[str, list[Item]] = defaultdict(list)
    by_staff_day: dict[tuple[str | None, date], list[Item]] = defaultdict(list)
    for item in items:
        by_person[item.person_id].append(item)
        by_staff_day[(item.staff_member, item.service_date)].append(item)
    sample = random.Random(7).sample(items, min(count, len(items)))
    calls = [
        (item, by_person[item.person_id] + by_staff_day[(item.staff_member, item.service_date)])
        for item in sample
    ]
    _, best = _time(
        lambda: [check([item], persons, context, others=others) for item, others in calls], repeat=3
    )
    print(
        f"{'declaration: check(1 item, others)':<46} {best / len(calls) * 1e6:>8.0f} µs {len(calls) / best:>10,.0f} calls/s"
    )


if __name__ == "__main__":
    main()
