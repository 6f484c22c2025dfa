"""The conformity checks C1–C8: one table of cases per check (each finding code passes and
fails), then what every finding carries (bilingual text, JSON-safe details), the order of
findings, ``others``, catalogue versions by date and the summary."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

import pytest

from gsi_conformity import (
    TEMPLATES,
    Catalogue,
    CatalogueBook,
    CheckContext,
    Finding,
    Item,
    PersonRecord,
    check,
    load_default_catalogue,
    summarize,
)
from gsi_eligibility import PersonFacts, RuleBook, StatusPeriod, evaluate, load_default_rulebook
from gsi_kernel.fiscal import FiscalQuarter

QUARTER = FiscalQuarter.parse("2026-2027-Q1")  # 2026-04-01 .. 2026-06-30
DAY = date(2026, 5, 12)
TODAY = date(2026, 7, 10)  # verify runs after the quarter
ARRIVED = date(2025, 1, 6)
PLAN = ((date(2025, 1, 20), None),)
ALL = frozenset({"V1", "V2", "V3", "V4"})
CONTEXT = CheckContext(
    load_default_catalogue(),
    load_default_rulebook(),
    TODAY,
    {"org-a": ALL, "org-b": ALL, "org-v1": frozenset({"V1"})},
    quarter=QUARTER,
)
VOLET = {"SIC": "V2", "PPA": "V2", "OBI": "V2", "RPC": "V3", "DAS": "V4"}
GROUP = {"SIC", "PPA", "OBI"}


def pi(
    person_id: str = "p1",
    status: str = "permanent_resident",
    *,
    region: str | None = "05",
    birth: date = date(1990, 1, 1),
    since: date = ARRIVED,
    registered: date = date(2025, 1, 10),
    plans: tuple[tuple[date, date | None], ...] = PLAN,
    history: tuple[StatusPeriod, ...] = (),
    duplicate: bool = False,
) -> PersonRecord:
    periods = history or (StatusPeriod(status, since, admission_date=since),)
    return PersonRecord(person_id, PersonFacts(birth, periods, region, duplicate), registered, plans)


def it(
    intervention_id: str = "i1",
    code: str = "PDI",
    day: date = DAY,
    *,
    volet: str | None = None,
    org: str = "org-a",
    person: str = "p1",
    staff: str | None = "s1",
    duration: int | None = 60,
) -> Item:
    """A complete intervention: the code's usual volet and mode, REF's target and reason."""
    referral = ("org-z", "emploi") if code == "REF" else (None, None)
    mode = "group" if code in GROUP else "in_person"
    return Item(
        intervention_id,
        org,
        person,
        code,
        day,
        volet or VOLET.get(code, "V1"),
        mode,
        duration,
        staff,
        *referral,
    )


def revised_catalogue(change: Callable[[dict[str, Any]], None]) -> CheckContext:
    document = load_default_catalogue().for_date("PASI", DAY).to_document()
    change(document)
    return replace(CONTEXT, catalogues=CatalogueBook([Catalogue.from_document(document)]))


@dataclass(frozen=True)
class Case:
    items: tuple[Item, ...]
    expected: tuple[tuple[str, str], ...]  # (intervention id, finding code)
    persons: tuple[PersonRecord, ...]
    others: tuple[Item, ...]
    context: CheckContext

    def run(self) -> list[Finding]:
        persons = {p.person_id: p for p in self.persons}
        return check(self.items, persons, self.context, others=self.others)

    def check(self) -> None:
        findings = self.run()
        assert sorted((f.intervention_id, f.code) for f in findings) == sorted(self.expected), findings


def case(
    id: str,
    items: Item | Sequence[Item],
    *expected: str | tuple[str, str],
    persons: Sequence[PersonRecord] = (pi(),),
    others: Sequence[Item] = (),
    context: CheckContext = CONTEXT,
) -> Any:
    """One row; an expected code alone is a finding on "i1"."""
    items = (items,) if isinstance(items, Item) else tuple(items)
    pairs = tuple(("i1", e) if isinstance(e, str) else e for e in expected)
    return pytest.param(Case(items, pairs, tuple(persons), tuple(others), context), id=id)


DECLARATION = replace(CONTEXT, quarter=None)
NO_RULES = replace(CONTEXT, rules=RuleBook())
NO_CATALOGUE = replace(CONTEXT, catalogues=CatalogueBook())
CLAIMANT = pi(status="asylum_claimant")
GAR = pi(status="government_assisted_refugee")
PSR = pi(status="privately_sponsored_refugee")
BECAME_PROTECTED = pi(
    history=(
        StatusPeriod("asylum_claimant", date(2025, 3, 1)),
        StatusPeriod("protected_person", date(2026, 5, 1), admission_date=date(2026, 5, 1)),
    )
)

# The tables keep one case per line.
# fmt: off
C1 = [
    case("C1 eligible person, code in volet, volet in agreement", it()),
    case("C1 more than 5 years since admission: E4", it(), "C1.E4", persons=[pi(since=date(2020, 1, 1))]),
    case("C1 asylum claimant declared under V1: E3 (journey 2)", it(), "C1.E3", persons=[CLAIMANT]),
    case("C1 no address in Québec and too long: E1 and E4", it(), "C1.E1", "C1.E4", persons=[pi(region=None, since=date(2020, 1, 1))]),
    case("C1 possible duplicate (E8, review only): no error", it(), persons=[pi(duplicate=True)]),
    case("C1 unknown person: nothing else about the person", it(code="SUI"), "C1.unknown_person", persons=[]),
    case("C1 EVB is not offered in V2", it(code="EVB", volet="V2"), "C1.code_not_in_volet"),
    case("C1 EVB is offered in V1", it(code="EVB", volet="V1")),
    case("C1 V5 has no individual services and no codes", it(volet="V5", org="org-new"), "C1.E3", "C1.code_not_in_volet"),
    case("C1 V5 and an agreement without it", it(volet="V5"), "C1.E3", "C1.code_not_in_volet", "C1.volet_not_in_agreement"),
    case("C1 volet V2 outside a V1-only agreement", it(volet="V2", org="org-v1"), "C1.volet_not_in_agreement"),
    case("C1 volet V1 inside a V1-only agreement", it(volet="V1", org="org-v1")),
    case("C1 organization without a known agreement: no restriction", it(volet="V2", org="org-new")),
    case("C1 no eligibility rules in force", it(), "C1.no_rule_set", context=NO_RULES),
]

C2 = [
    case("C2 first day of the quarter", it(day=QUARTER.first_day)),
    case("C2 last day of the quarter", it(day=QUARTER.last_day)),
    case("C2 day before the quarter", it(day=date(2026, 3, 31)), "C2.outside_quarter"),
    case("C2 day after the quarter", it(day=date(2026, 7, 1)), "C2.outside_quarter"),
    case("C2 after the quarter and in the future", it(day=TODAY + timedelta(days=1)), "C2.outside_quarter", "C2.future"),
    case("C2 no quarter given (declaration): any past day", it(day=date(2026, 3, 31)), context=DECLARATION),
    case("C2 today", it(day=TODAY), context=DECLARATION),
    case("C2 tomorrow", it(day=TODAY + timedelta(days=1)), "C2.future", context=DECLARATION),
    case("C2 the day of registration", it(), persons=[pi(registered=DAY)]),
    case("C2 the day before registration", it(), "C2.before_registration", persons=[pi(registered=DAY + timedelta(days=1))]),
]

C3 = [
    case("C3 complete", it()),
    case("C3 no duration", it(duration=None), "C3.duration_minutes"),
    case("C3 zero duration", it(duration=0), "C3.duration_minutes"),
    case("C3 no staff member", it(staff=None), "C3.staff_member"),
    case("C3 blank staff member", it(staff="  "), "C3.staff_member"),
    case("C3 REF with target and reason", it(code="REF")),
    case("C3 REF without target organization", replace(it(code="REF"), target_organization=None), "C3.target_organization"),
    case("C3 REF without reason", replace(it(code="REF"), referral_reason=" "), "C3.referral_reason"),
    case("C3 SIC in a group", it(code="SIC")),
    case("C3 SIC in person: a group session", replace(it(code="SIC"), mode="in_person"), "C3.mode"),
    case("C3 PPA remote: a group activity", replace(it(code="PPA"), mode="remote"), "C3.mode"),
    case("C3 PDI in a group is fine", replace(it(), mode="group")),
    case("C3 unknown mode", replace(it(), mode="phone"), "C3.mode"),
    case("C3 unknown code: reported, nothing crashes", it(code="XYZ"), "C3.unknown_code"),
    case("C3 no catalogue in force", it(), "C3.no_catalogue", context=NO_CATALOGUE),
]

C4 = [
    case("C4 same person and code, another day", [it("i1"), it("i2", day=DAY - timedelta(days=1))]),
    case("C4 same person and day, another code", [it("i1"), it("i2", code="ADM")]),
    case("C4 another person", [it("i1"), it("i2", person="p2")], persons=[pi(), pi("p2")]),
    case("C4 exact duplicate: the second is reported", [it("i1"), it("i2")], ("i2", "C4.duplicate")),
    case("C4 three of a kind: all but the first", [it("i3"), it("i1"), it("i2")], ("i2", "C4.duplicate"), ("i3", "C4.duplicate")),
    case("C4 repeating an existing intervention: always reported", it("i1"), "C4.duplicate", others=[it("z9")]),
    case("C4 an existing intervention is never reported", it("i1", day=DAY - timedelta(days=1)), others=[it("z8"), it("z9")]),
    case("C4 same day at another organization: warning on both", [it("i1"), it("i2", org="org-b")], ("i1", "C4.same_day_elsewhere"), ("i2", "C4.same_day_elsewhere")),
    case("C4 same day elsewhere, known from others", it("i1"), "C4.same_day_elsewhere", others=[it("x1", org="org-b")]),
]

C5 = [
    case("C5 SUI with an open plan", it(code="SUI")),
    case("C5 SUI without a plan", it(code="SUI"), "C5.no_active_plan", persons=[pi(plans=())]),
    case("C5 SUI after the plan closed", it(code="SUI"), "C5.no_active_plan", persons=[pi(plans=((date(2025, 2, 1), DAY - timedelta(days=1)),))]),
    case("C5 SUI on the day the plan closes", it(code="SUI"), persons=[pi(plans=((date(2025, 2, 1), DAY),))]),
    case("C5 SUI on the day the plan opens", it(code="SUI"), persons=[pi(plans=((DAY, None),))]),
    case("C5 SUI the day before the plan opens", it(code="SUI"), "C5.no_active_plan", persons=[pi(plans=((DAY + timedelta(days=1), None),))]),
    case("C5 SUI with an older closed plan and a new open one", it(code="SUI"), persons=[pi(plans=((date(2025, 2, 1), date(2025, 6, 1)), (date(2026, 1, 5), None)))]),
    case("C5 REG without a plan", it(code="REG"), "C5.no_active_plan", persons=[pi(plans=())]),
    case("C5 REF without a plan", it(code="REF"), "C5.no_active_plan", persons=[pi(plans=())]),
    case("C5 PDI needs no plan", it(), persons=[pi(plans=())]),
]

MIN_AGE_16 = revised_catalogue(lambda doc: doc["codes"]["PDI"].update(min_age=16))
C6 = [
    case("C6 OBI at 18 on the day", it(code="OBI"), persons=[pi(birth=date(2008, 5, 12))]),
    case("C6 OBI at 17: said once, by the eligibility rule E5", it(code="OBI"), "C1.E5", persons=[pi(birth=date(2008, 5, 13))]),
    case("C6 catalogue minimum age without an eligibility rule", it(), "C6.min_age", persons=[pi(birth=date(2011, 1, 1))], context=MIN_AGE_16),
    case("C6 catalogue minimum age reached", it(), persons=[pi(birth=date(2010, 5, 12))], context=MIN_AGE_16),
    case("C6 ACC once", it(code="ACC")),
    case("C6 ACC a second time: the later one", [it("i1", code="ACC"), it("i2", code="ACC", day=DAY + timedelta(days=3))], ("i2", "C6.once_per_person")),
    case("C6 ACC given earlier at another organization", it(code="ACC"), "C6.once_per_person", others=[it("x1", code="ACC", org="org-b", day=date(2025, 2, 1))]),
    case("C6 ACC given later: the existing one is the later", it(code="ACC"), others=[it("x1", code="ACC", day=DAY + timedelta(days=1))]),
    case("C6 OBI a second time", it(code="OBI"), "C6.once_per_person", others=[it("x1", code="OBI", day=date(2025, 9, 1))]),
    case("C6 EVB 364 days after the previous", it(code="EVB"), "C6.once_per_year", others=[it("x1", code="EVB", day=DAY - timedelta(days=364))]),
    case("C6 EVB 365 days after the previous", it(code="EVB"), others=[it("x1", code="EVB", day=DAY - timedelta(days=365))]),
    case("C6 EVB twice in the batch", [it("i1", code="EVB", day=date(2026, 4, 2)), it("i2", code="EVB")], ("i2", "C6.once_per_year")),
    case("C6 PDI has no once-only constraint", it(), others=[it("x1", day=DAY - timedelta(days=7))]),
    case("C6 RPC for a government-assisted refugee", it(code="RPC"), persons=[GAR]),
    case("C6 RPC for a privately sponsored refugee (V3, not RPCE)", it(code="RPC"), "C6.status_not_allowed", persons=[PSR]),
    case("C6 DAS for an asylum claimant", it(code="DAS"), persons=[CLAIMANT]),
    case("C6 DAS for a permanent resident: E3 and status", it(code="DAS"), "C1.E3", "C6.status_not_allowed"),
    case("C6 DAS while still a claimant", it(code="DAS", day=date(2026, 4, 20)), persons=[BECAME_PROTECTED]),
    case("C6 DAS after becoming a protected person", it(code="DAS"), "C1.E3", "C6.status_not_allowed", persons=[BECAME_PROTECTED]),
    case("C6 DAS without rules in force still checks the status", it(code="DAS"), "C1.no_rule_set", "C6.status_not_allowed", context=NO_RULES),
    case("C6 REG for a person settled in Estrie (05)", it(code="REG")),
    case("C6 REG for a person settled in Montréal (06)", it(code="REG"), "C6.region_excluded", persons=[pi(region="06")]),
    case("C6 REG for a person settled in Laval (13)", it(code="REG"), "C6.region_excluded", persons=[pi(region="13")]),
]

LOCKED_A = replace(CONTEXT, locked=lambda org, quarter: org == "org-a" and quarter == QUARTER)
C7 = [
    case("C7 quarter open", it()),
    case("C7 quarter locked for the organization", it(), "C7.locked_quarter", context=LOCKED_A),
    case("C7 quarter locked for another organization", it(org="org-b"), context=LOCKED_A),
    case("C7 another quarter locked", it(day=date(2026, 3, 31)), context=replace(LOCKED_A, quarter=None)),
]

LOW = revised_catalogue(lambda doc: doc["outliers"].update(max_per_person_per_day=2))
LOW_STAFF = revised_catalogue(lambda doc: doc["outliers"].update(max_per_staff_per_day=2))
THREE = [it("i1"), it("i2", code="ADM"), it("i3", code="SUI")]
C8 = [
    case("C8 two a day for a person: at the threshold", THREE[:2], context=LOW),
    case("C8 three a day for a person: every one flagged", THREE, *((i, "C8.person_day_volume") for i in ("i1", "i2", "i3")), context=LOW),
    case("C8 a person's day counts the others", it(), "C8.person_day_volume", others=THREE[1:], context=LOW),
    case("C8 a person's day counts one organization", THREE[:2], others=[it("x1", org="org-b", code="SUI")], context=LOW),
    case("C8 default threshold: 6 a day", it(), others=[it(f"x{n}", code=c) for n, c in enumerate(["ADM", "SUI", "REF", "EVB", "ACC"])]),
    case("C8 default threshold: 7 a day", it(), "C8.person_day_volume", others=[it(f"x{n}", code=c) for n, c in enumerate(["ADM", "SUI", "REF", "EVB", "ACC", "REG"])]),
    case("C8 three a day for a staff member", [it("i1"), it("i2", person="p2")], ("i1", "C8.staff_day_volume"), ("i2", "C8.staff_day_volume"), persons=[pi(), pi("p2")], others=[it("x1", person="p3")], context=LOW_STAFF),
    case("C8 three for a staff member over two days", [it("i1"), it("i2", person="p2")], persons=[pi(), pi("p2")], others=[it("x1", person="p3", day=DAY - timedelta(days=1))], context=LOW_STAFF),
    case("C8 the same staff member's name at another organization does not count", [it("i1"), it("i2", person="p2")], persons=[pi(), pi("p2")], others=[it("x1", person="p3", org="org-b")], context=LOW_STAFF),
    case("C8 a staff member's day at two organizations: neither over", [it("i1"), it("i2", person="p2", org="org-b")], persons=[pi(), pi("p2")], others=[it("x1", person="p3")], context=LOW_STAFF),
    case("C8 480 minutes", it(duration=480)),
    case("C8 481 minutes", it(duration=481), "C8.long_duration"),
]
# fmt: on
TABLES = {"C1": C1, "C2": C2, "C3": C3, "C4": C4, "C5": C5, "C6": C6, "C7": C7, "C8": C8}
EVERY_CASE = [c for table in TABLES.values() for c in table]


@pytest.mark.parametrize("case", C1)
def test_c1_eligibility_volet_and_agreement(case: Case) -> None:
    case.check()


@pytest.mark.parametrize("case", C2)
def test_c2_dates(case: Case) -> None:
    case.check()


@pytest.mark.parametrize("case", C3)
def test_c3_required_fields(case: Case) -> None:
    case.check()


@pytest.mark.parametrize("case", C4)
def test_c4_duplicates(case: Case) -> None:
    case.check()


@pytest.mark.parametrize("case", C5)
def test_c5_active_action_plan(case: Case) -> None:
    case.check()


@pytest.mark.parametrize("case", C6)
def test_c6_catalogue_constraints(case: Case) -> None:
    case.check()


@pytest.mark.parametrize("case", C7)
def test_c7_locked_quarter(case: Case) -> None:
    case.check()


@pytest.mark.parametrize("case", C8)
def test_c8_outlier_volumes(case: Case) -> None:
    case.check()


def test_every_finding_code_is_exercised_by_a_table() -> None:
    produced = {code for c in EVERY_CASE for _, code in c.values[0].expected}
    assert set(TEMPLATES) - produced == set()
    assert {code.split(".")[0] for code in produced} == set(TABLES)


# ---- what a finding carries -------------------------------------------------------------------


def all_findings() -> list[Finding]:
    return [f for c in EVERY_CASE for f in c.values[0].run()]


def test_every_finding_is_filled_in_french_and_english_and_json_safe() -> None:
    findings = all_findings()
    assert len(findings) > 60
    for finding in findings:
        assert finding.check == finding.code[:2]
        assert finding.check in TABLES
        assert "" not in (finding.fr, finding.en), finding
        assert finding.fr != finding.en, finding
        assert not re.search(r"[{}]", finding.fr + finding.en), finding
        assert {"code", "service_date"} <= finding.details.keys(), finding
        assert json.loads(json.dumps(finding.to_dict())) == finding.to_dict()


@pytest.mark.parametrize(
    ("code", "severity"),
    [
        (code, "warning")
        for code in (
            "C4.same_day_elsewhere",
            "C7.locked_quarter",
            "C8.person_day_volume",
            "C8.staff_day_volume",
            "C8.long_duration",
        )
    ]
    + [
        (code, "error")
        for code in ("C1.E4", "C2.future", "C3.mode", "C4.duplicate", "C5.no_active_plan", "C6.once_per_year")
    ],
)
def test_severities(code: str, severity: str) -> None:
    assert {f.severity for f in all_findings() if f.code == code} == {severity}


def test_the_follow_up_without_a_plan_message() -> None:
    [finding] = check([it(code="SUI")], {"p1": pi(plans=())}, CONTEXT)
    assert finding.fr == "Suivi (SUI) sans plan d'action actif le 2026-05-12"
    assert finding.en == "Follow-up (SUI) without an active action plan on 2026-05-12"
    assert finding.to_dict() == {
        "intervention_id": "i1",
        "check": "C5",
        "severity": "error",
        "code": "C5.no_active_plan",
        "fr": finding.fr,
        "en": finding.en,
        "details": {"code": "SUI", "service_date": "2026-05-12"},
    }


def test_c1_carries_the_eligibility_engine_text_and_rule_set_version() -> None:
    person = pi(since=date(2020, 1, 1))
    [finding] = check([it()], {"p1": person}, CONTEXT)
    rules = load_default_rulebook().for_date("PASI", DAY)
    [failure] = evaluate(person.facts, DAY, "V1", rules, code="PDI").failures
    assert (finding.code, finding.fr, finding.en) == ("C1.E4", failure.fr, failure.en)
    assert finding.details["rule_set_version"] == "2020.1"
    assert finding.details["last_eligible_day"] == "2025-01-01"


@pytest.mark.parametrize(
    ("items", "others", "expected"),
    [
        pytest.param([it("i1"), it("i2"), it("i3")], [], {"i2": ("i1", ["i1", "i3"]), "i3": ("i1", ["i1", "i2"])}, id="within the batch"),
        pytest.param([it("i1")], [it("z9"), it("z1")], {"i1": ("z1", ["z1", "z9"])}, id="against existing ones"),
    ],
)  # fmt: skip
def test_c4_names_the_first_and_every_related_intervention(
    items: list[Item], others: list[Item], expected: dict[str, tuple[str, list[str]]]
) -> None:
    findings = [f for f in check(items, {"p1": pi()}, CONTEXT, others=others) if f.code == "C4.duplicate"]
    found = {f.intervention_id: (f.details["duplicate_of"], sorted(f.details["related"])) for f in findings}
    assert found == expected
    assert all(f.details["duplicate_of"] in f.fr and f.details["duplicate_of"] in f.en for f in findings)


def test_c6_names_the_organizations_own_related_interventions_and_c4_elsewhere_none() -> None:
    others = [
        it("x1", org="org-b"),
        it("x2", code="ACC", day=date(2025, 3, 3)),
        it("x3", code="EVB", day=date(2026, 1, 5)),
    ]
    items = [it("i1"), it("i2", code="ACC"), it("i3", code="EVB")]
    findings = {f.code: f for f in check(items, {"p1": pi()}, CONTEXT, others=others)}
    elsewhere = findings["C4.same_day_elsewhere"]
    assert elsewhere.details == {"code": "PDI", "service_date": "2026-05-12"}  # neither x1 nor org-b
    assert not {"x1", "org-b"} & set(re.findall(r"[\w-]+", elsewhere.fr + elsewhere.en))
    assert findings["C6.once_per_person"].details | {"fr": findings["C6.once_per_person"].fr} == {
        "code": "ACC", "service_date": "2026-05-12", "first": "x2", "first_day": "2025-03-03",
        "fr": "Accueil (ACC) ne peut être offert qu'une fois par personne : déjà offert le 2025-03-03 (intervention x2)",
    }  # fmt: skip
    assert findings["C6.once_per_year"].details["days"] == 127
    assert findings["C6.once_per_year"].details["previous"] == "x3"


@pytest.mark.parametrize(
    ("code", "earlier_day", "key"),
    [("ACC", date(2025, 2, 1), "first"), ("EVB", date(2026, 1, 5), "previous")],
)
def test_c6_never_names_another_organizations_intervention(code: str, earlier_day: date, key: str) -> None:
    """Once-only codes count at every organization, but the error says "another organization"
    and the day, never the other intervention's id nor the organization."""
    [finding] = check(
        [it(code=code)],
        {"p1": pi()},
        CONTEXT,
        others=[it("x-theirs", code=code, org="org-b", day=earlier_day)],
    )
    assert finding.details[key] is None
    assert finding.details["elsewhere"] is True
    assert f"{key}_day" in finding.details
    text = json.dumps(finding.to_dict(), ensure_ascii=False)
    assert "x-theirs" not in text
    assert "org-b" not in text
    assert "par un autre organisme" in finding.fr
    assert "by another organization" in finding.en


def test_c8_staff_member_volume_counts_only_the_organizations_own_interventions() -> None:
    """Two organizations each with a staff member called "s1": 2 + 2 interventions on the day,
    threshold 2: no warning at either (before: 4 counted, and the count told one organization the
    other's volume)."""
    mine = [it("i1"), it("i2", person="p2")]
    theirs = [it("x1", person="p3", org="org-b"), it("x2", person="p4", org="org-b")]
    persons = {p: pi(p) for p in ("p1", "p2")}
    assert check(mine, persons, LOW_STAFF, others=theirs) == []
    flagged = check(mine, persons, LOW_STAFF, others=[*theirs, it("x3", person="p5")])
    assert {(f.code, f.details["count"]) for f in flagged} == {("C8.staff_day_volume", 3)}


def test_status_messages_use_the_status_labels_of_each_language() -> None:
    [finding] = check([it(code="RPC")], {"p1": PSR}, CONTEXT)
    assert finding.details["status"] == "privately_sponsored_refugee"
    assert finding.details["allowed"] == ["government_assisted_refugee"]
    assert "réfugié·e pris·e en charge par l'État (RPCE)" in finding.fr
    assert "réfugié·e parrainé·e par le secteur privé" in finding.fr
    assert "government-assisted refugee" in finding.en
    assert "privately sponsored refugee" in finding.en


# ---- items, others, order ---------------------------------------------------------------------


def test_findings_come_item_by_item_in_check_order() -> None:
    items = [it("i2", code="SUI", duration=None), it("i1", day=TODAY + timedelta(days=1), staff=None)]
    findings = check(items, {"p1": pi(plans=())}, DECLARATION)
    assert [(f.intervention_id, f.code) for f in findings] == [
        ("i2", "C3.duration_minutes"),
        ("i2", "C5.no_active_plan"),
        ("i1", "C2.future"),
        ("i1", "C3.staff_member"),
    ]


def test_others_count_but_are_never_reported() -> None:
    bad = [it("x1", code="XYZ", staff=None), it("x2", code="SUI", day=TODAY + timedelta(days=9))]
    assert check([it("i1", code="ADM")], {"p1": pi(plans=())}, CONTEXT, others=bad) == []
    assert check([], {"p1": pi()}, CONTEXT, others=bad) == []


def test_an_item_also_given_as_other_and_an_id_given_twice_count_once() -> None:
    assert check([it("i1"), it("i1")], {"p1": pi()}, CONTEXT, others=[it("i1")]) == []


def test_a_new_catalogue_version_applies_from_its_effective_date() -> None:
    document = load_default_catalogue().for_date("PASI", DAY).to_document()
    document.update(version="2026.1", effective_from="2026-05-01")
    document["codes"]["PDI"]["requires_action_plan"] = True
    book = load_default_catalogue().publish(Catalogue.from_document(document), today=date(2026, 4, 15))
    context = replace(CONTEXT, catalogues=book)
    items = [it("i1", day=date(2026, 4, 30)), it("i2", day=date(2026, 5, 1))]
    findings = check(items, {"p1": pi(plans=())}, context)
    assert [(f.intervention_id, f.code) for f in findings] == [("i2", "C5.no_active_plan")]


# ---- summary ----------------------------------------------------------------------------------


def test_summarize_counts_errors_and_warnings_per_check() -> None:
    items = [it("i1", code="SUI", duration=481), it("i2", org="org-b")]
    findings = check(items, {"p1": pi(plans=())}, CONTEXT, others=[it("x1", org="org-b")])
    summary = summarize(findings)
    assert sorted(f.code for f in findings) == ["C4.duplicate", "C5.no_active_plan", "C8.long_duration"]
    assert (summary.errors, summary.warnings, summary.blocking) == (2, 1, True)
    assert summary.by_check == {"C1": 0, "C2": 0, "C3": 0, "C4": 1, "C5": 1, "C6": 0, "C7": 0, "C8": 1}
    assert summary.to_dict()["by_check"] == summary.by_check


def test_warnings_alone_do_not_block() -> None:
    summary = summarize(check([it(duration=600)], {"p1": pi()}, CONTEXT))
    assert (summary.errors, summary.warnings, summary.blocking) == (0, 1, False)
    assert summarize([]) == summarize(check([it()], {"p1": pi()}, CONTEXT))
