"""The eligibility engine: rules E1–E8 as data, one table of cases per rule, rule-set versions
picked by date, rule-set validation, publishing rules and bilingual explanations."""

from __future__ import annotations

import json
import string
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from gsi_eligibility import (
    NoRuleSet,
    PersonFacts,
    PublishRefused,
    RuleBook,
    RuleSet,
    StatusPeriod,
    evaluate,
    evaluate_all_volets,
    load_default_rulebook,
)
from gsi_kernel.fiscal import FiscalQuarter

PASI = load_default_rulebook().for_date("PASI", date(2020, 4, 1))
DAY = date(2025, 1, 15)


def period(status: str, since: date = date(2023, 1, 1), **dates: date | None) -> StatusPeriod:
    return StatusPeriod(status, since, **dates)


def person(
    *statuses: StatusPeriod,
    region: str | None = "06",
    birth: date = date(1990, 5, 20),
    duplicate: bool = False,
) -> PersonFacts:
    return PersonFacts(birth, statuses, region, duplicate)


def pr(admission: date | None = date(2023, 1, 1), **kw: Any) -> PersonFacts:
    return person(period("permanent_resident", admission or date(2023, 1, 1), admission_date=admission), **kw)


def revised(change: Callable[[dict[str, Any]], None], rule_set: RuleSet = PASI) -> RuleSet:
    document = rule_set.to_document()
    change(document)
    return RuleSet.from_document(document)


@dataclass(frozen=True)
class Case:
    facts: PersonFacts
    failed: tuple[str, ...]
    volet: str
    on: date
    code: str | None
    eligible: bool

    def check(self) -> None:
        evaluation = evaluate(self.facts, self.on, self.volet, PASI, self.code)
        assert (evaluation.eligible, evaluation.failed_rules) == (self.eligible, self.failed), (
            evaluation.failures
        )


def case(
    id: str,
    facts: PersonFacts,
    failed: tuple[str, ...] = (),
    *,
    volet: str = "V1",
    on: date = DAY,
    code: str | None = None,
    eligible: bool | None = None,
) -> Any:
    """One row: expected eligible unless a rule other than E8 (review only) fails."""
    expected = not any(rule != "E8" for rule in failed) if eligible is None else eligible
    return pytest.param(Case(facts, failed, volet, on, code, expected), id=id)


# The tables keep one case per line.
# fmt: off
E1 = [
    case("E1 address in region 06: eligible", pr()),
    case("E1 address in region 17: eligible", pr(region="17")),
    case("E1 no address in Québec: not eligible", pr(region=None), ("E1",)),
    case("E1 region 18 is not Québec: not eligible", pr(region="18"), ("E1",)),
    case("E1 CSQ holder without address in V1: exempt", person(period("csq_holder"), region=None)),
    case("E1 CSQ holder without address in V2: not eligible", person(period("csq_holder"), region=None), ("E1",), volet="V2"),
    case("E1 refugee without address in V3: not eligible", person(period("government_assisted_refugee", admission_date=date(2024, 6, 1)), region=None), ("E1",), volet="V3"),
]

E2 = [
    *(case(f"E2 {s} is served", person(period(s, date(2024, 12, 1), admission_date=date(2024, 12, 1)))) for s in ("permanent_resident", "csq_holder", "government_assisted_refugee", "privately_sponsored_refugee", "protected_person", "temporary_worker", "international_student", "citizen")),
    case("E2 asylum_claimant is served (in V4)", person(period("asylum_claimant")), volet="V4"),
    case("E2 unknown status: not eligible, no crash", person(period("tourist")), ("E2",)),
    case("E2 no status yet on the day: not eligible", person(period("permanent_resident", date(2025, 2, 1), admission_date=date(2025, 2, 1))), ("E2",)),
    case("E2 no status at all: not eligible", person(), ("E2",)),
]

E3 = [
    case("E3 government-assisted refugee in V3", person(period("government_assisted_refugee", admission_date=date(2024, 6, 1))), volet="V3"),
    case("E3 privately sponsored refugee in V3", person(period("privately_sponsored_refugee", admission_date=date(2024, 6, 1))), volet="V3"),
    case("E3 protected person (in Canada) not in V3", person(period("protected_person", admission_date=date(2024, 6, 1))), ("E3",), volet="V3"),
    case("E3 permanent resident not in V3", pr(), ("E3",), volet="V3"),
    case("E3 asylum claimant in V4", person(period("asylum_claimant")), volet="V4"),
    case("E3 permanent resident not in V4", pr(), ("E3",), volet="V4"),
    case("E3 asylum claimant not in V1 (V4 only)", person(period("asylum_claimant")), ("E3",), volet="V1"),
    case("E3 asylum claimant not in V2 (V4 only)", person(period("asylum_claimant")), ("E3",), volet="V2"),
    case("E3 V5 has no individual services", pr(), ("E3",), volet="V5"),
    case("E3 unknown volet", pr(), ("E3",), volet="V9"),
    case("E3 unknown status in V3: E2 and E3", person(period("tourist")), ("E2", "E3"), volet="V3"),
]

E4 = [
    case("E4 PR admitted 2020-06-01, day of the 5th anniversary: eligible", pr(date(2020, 6, 1)), on=date(2025, 6, 1)),
    case("E4 PR admitted 2020-06-01, day after the 5th anniversary: not eligible", pr(date(2020, 6, 1)), ("E4",), on=date(2025, 6, 2)),
    case("E4 PR admitted 2020-02-29: anniversary on Mar 1 is eligible", pr(date(2020, 2, 29)), on=date(2025, 3, 1)),
    case("E4 PR admitted 2020-02-29: Mar 2 is not", pr(date(2020, 2, 29)), ("E4",), on=date(2025, 3, 2)),
    case("E4 PR without admission date: not eligible", pr(None), ("E4",)),
    case("E4 refugee admitted 6 years ago: not eligible", person(period("government_assisted_refugee", date(2019, 1, 1), admission_date=date(2019, 1, 1))), ("E4",)),
    case("E4 protected person within 5 years: eligible", person(period("protected_person", date(2021, 1, 1), admission_date=date(2020, 3, 1))), on=date(2025, 3, 1)),
    case("E4 temporary worker has no limit", person(period("temporary_worker", date(2010, 1, 1), admission_date=date(2010, 1, 1)))),
]

MINOR = date(2007, 1, 15)  # 18 on 2025-01-15
E5 = [
    case("E5 OBI on the 18th birthday: eligible", pr(birth=MINOR), volet="V2", code="OBI"),
    case("E5 OBI the day before the 18th birthday: not eligible", pr(birth=MINOR), ("E5",), volet="V2", code="OBI", on=date(2025, 1, 14)),
    case("E5 OBI, born Feb 29: Feb 28 is too early", pr(date(2021, 6, 1), birth=date(2004, 2, 29)), ("E5",), volet="V2", code="OBI", on=date(2022, 2, 28)),
    case("E5 OBI, born Feb 29: 18 on Mar 1", pr(date(2021, 6, 1), birth=date(2004, 2, 29)), volet="V2", code="OBI", on=date(2022, 3, 1)),
    case("E5 minor, no intervention code: no age rule", pr(birth=date(2015, 1, 1))),
    case("E5 minor, SIC has no age rule", pr(birth=date(2015, 1, 1)), volet="V2", code="SIC"),
]

E6 = [
    case("E6 work permit expiring on the day: eligible", person(period("temporary_worker", expires_on=DAY))),
    case("E6 work permit expired the day before: not eligible", person(period("temporary_worker", expires_on=DAY - timedelta(days=1))), ("E6",)),
    case("E6 study permit expired: not eligible", person(period("international_student", expires_on=date(2024, 8, 31))), ("E6",)),
    case("E6 asylum claimant document expired: not eligible", person(period("asylum_claimant", expires_on=date(2024, 12, 31))), ("E6",), volet="V4"),
    case("E6 temporary worker without expiry date: not checked", person(period("temporary_worker"))),
    case("E6 PR card date is not a temporary status", person(period("permanent_resident", admission_date=date(2023, 1, 1), expires_on=date(2024, 1, 1)))),
]

CITIZEN = person(period("permanent_resident", date(2020, 1, 1), admission_date=date(2020, 1, 1)), period("citizen", date(2024, 10, 1)))
E7 = [
    case("E7 citizen on day 0: eligible", CITIZEN, on=date(2024, 10, 1)),
    case("E7 citizen on day 90: eligible", CITIZEN, on=date(2024, 10, 1) + timedelta(days=90)),
    case("E7 citizen on day 91: not eligible", CITIZEN, ("E7",), on=date(2024, 10, 1) + timedelta(days=91)),
    case("E7 the day before naturalization the PR period applies", CITIZEN, on=date(2024, 9, 30)),
]

E8 = [
    case("E8 possible duplicate: reported, still eligible", pr(duplicate=True), ("E8",), eligible=True),
    case("E8 with another failure: not eligible, both reported", pr(region=None, duplicate=True), ("E1", "E8"), eligible=False),
]

MANY = [
    case(
        "every failing rule at once: E1 E3 E5 E6 E8",
        person(period("asylum_claimant", expires_on=date(2024, 1, 1)), region=None, birth=date(2010, 1, 1), duplicate=True),
        ("E1", "E3", "E5", "E6", "E8"),
        volet="V3",
        code="OBI",
    ),
    case("E4 and E1 together", pr(date(2015, 1, 1), region=None), ("E1", "E4")),
]

HISTORY = (period("asylum_claimant", date(2023, 5, 1)), period("protected_person", date(2025, 3, 1), admission_date=date(2025, 3, 1)))
STATUS_HISTORY = [
    case("history: asylum claimant in V4 the day before", person(*HISTORY), volet="V4", on=date(2025, 2, 28)),
    case("history: protected person no longer in V4 from the change", person(*HISTORY), ("E3",), volet="V4", on=date(2025, 3, 1)),
    case("history: protected person in V1 from the change", person(*HISTORY), on=date(2025, 3, 1)),
    case("history: asylum claimant not in V1 before the change", person(*HISTORY), ("E3",), on=date(2025, 2, 28)),
    case("history: order of the periods does not matter", person(*reversed(HISTORY)), on=date(2025, 3, 1)),
    case("history: nothing before the first period", person(*HISTORY), ("E2",), on=date(2023, 4, 30)),
]
# fmt: on


@pytest.mark.parametrize("case", E1)
def test_e1_lives_in_quebec(case: Case) -> None:
    case.check()


@pytest.mark.parametrize("case", E2)
def test_e2_served_status(case: Case) -> None:
    case.check()


@pytest.mark.parametrize("case", E3)
def test_e3_volet_constraints(case: Case) -> None:
    case.check()


@pytest.mark.parametrize("case", E4)
def test_e4_years_since_admission(case: Case) -> None:
    case.check()


@pytest.mark.parametrize("case", E5)
def test_e5_minimum_age(case: Case) -> None:
    case.check()


@pytest.mark.parametrize("case", E6)
def test_e6_temporary_status_expiry(case: Case) -> None:
    case.check()


@pytest.mark.parametrize("case", E7)
def test_e7_citizen_transition_window(case: Case) -> None:
    case.check()


@pytest.mark.parametrize("case", E8)
def test_e8_possible_duplicate_is_review_only(case: Case) -> None:
    case.check()


@pytest.mark.parametrize("case", MANY)
def test_every_failing_rule_is_reported(case: Case) -> None:
    case.check()


@pytest.mark.parametrize("case", STATUS_HISTORY)
def test_the_status_valid_on_the_day_is_used(case: Case) -> None:
    case.check()


def test_evaluation_records_the_status_rule_set_and_severities() -> None:
    evaluation = evaluate(person(*HISTORY, duplicate=True), date(2025, 3, 1), "V4", PASI, "DAS")
    assert (evaluation.status, evaluation.program, evaluation.rule_set_version) == (
        "protected_person",
        "PASI",
        "2020.1",
    )
    assert [(f.rule, f.severity) for f in evaluation.failures] == [("E3", "blocking"), ("E8", "review")]
    assert [f.rule for f in evaluation.blocking] == ["E3"]
    assert [f.rule for f in evaluation.review] == ["E8"]
    assert (
        json.loads(json.dumps(evaluation.to_dict()))["failures"][0]["details"]["status"] == "protected_person"
    )


def test_journey_1_refugees_are_eligible_for_v1_v2_v3() -> None:
    amina = person(
        period("government_assisted_refugee", date(2025, 1, 6), admission_date=date(2025, 1, 6)), region="05"
    )
    results = evaluate_all_volets(amina, date(2025, 1, 13), PASI)
    assert {volet: e.eligible for volet, e in results.items()} == {
        "V1": True,
        "V2": True,
        "V3": True,
        "V4": False,
        "V5": False,
    }


def test_rules_are_data_a_status_can_be_dropped_a_rule_disabled_or_made_blocking() -> None:
    def tighten(doc: dict[str, Any]) -> None:
        doc["rules"]["E2"]["served"].remove("temporary_worker")
        doc["rules"]["E1"]["enabled"] = False
        doc["rules"]["E8"]["severity"] = "blocking"

    rules = revised(tighten)
    worker = person(period("temporary_worker"), region=None, duplicate=True)
    evaluation = evaluate(worker, DAY, "V1", rules)
    assert (evaluation.eligible, evaluation.failed_rules) == (False, ("E2", "E8"))


# ---- rule-set versions (journey 4) ------------------------------------------------------------


def version_2027(doc: dict[str, Any]) -> None:
    doc["version"] = "2027.1"
    doc["effective_from"] = "2027-04-01"
    doc["rules"]["E4"]["max_years"]["permanent_resident"]["years"] = 4


PASI_2027 = revised(version_2027)


@pytest.mark.parametrize(
    ("quarter", "day", "version", "eligible"),
    [
        pytest.param(
            "2026-2027-Q4", date(2027, 3, 31), "2020.1", True, id="Q4 2026-2027 last day: 2020.1, 5 years"
        ),
        pytest.param(
            "2027-2028-Q1", date(2027, 4, 1), "2027.1", False, id="Q1 2027-2028 first day: 2027.1, 4 years"
        ),
    ],
)
def test_journey_4_the_rule_set_in_force_on_the_day_is_used(
    quarter: str, day: date, version: str, eligible: bool
) -> None:
    book = load_default_rulebook().publish(PASI_2027, today=date(2027, 2, 1))
    assert FiscalQuarter.of(day) == FiscalQuarter.parse(quarter)
    rules = book.for_date("PASI", day)
    evaluation = evaluate(pr(date(2022, 6, 1)), day, "V1", rules)
    assert (rules.version, evaluation.rule_set_version, evaluation.eligible) == (version, version, eligible)
    assert evaluation.failed_rules == (() if eligible else ("E4",))


def test_for_date_refuses_a_day_before_any_version_or_an_unknown_program() -> None:
    book = load_default_rulebook()
    assert book.for_date("PASI", date(2020, 4, 1)).version == "2020.1"
    with pytest.raises(NoRuleSet) as before:
        book.for_date("PASI", date(2020, 3, 31))
    assert before.value.code == "rules.none_in_force"
    with pytest.raises(NoRuleSet):
        book.for_date("OTHER", date(2025, 1, 1))


# ---- publishing -------------------------------------------------------------------------------


def with_version(version: str, effective_from: str, program: str = "PASI") -> RuleSet:
    def change(doc: dict[str, Any]) -> None:
        doc.update(version=version, effective_from=effective_from, program=program)

    return revised(change)


@pytest.mark.parametrize(
    ("rule_set", "today", "code"),
    [
        pytest.param(
            with_version("2020.1", "2028-04-01"), None, "rules.duplicate_version", id="same version"
        ),
        pytest.param(
            with_version("2027.2", "2027-04-01"),
            None,
            "rules.duplicate_effective_date",
            id="same date as latest",
        ),
        pytest.param(
            with_version("2026.1", "2026-04-01"), None, "rules.not_after_latest", id="before latest"
        ),
        pytest.param(
            with_version("2028.1", "2028-04-01"),
            date(2028, 4, 1),
            "rules.retroactive",
            id="takes effect today",
        ),
        pytest.param(
            with_version("2028.1", "2028-04-01"),
            date(2028, 5, 1),
            "rules.retroactive",
            id="takes effect in the past",
        ),
    ],
)
def test_publish_is_append_only_and_never_retroactive(
    rule_set: RuleSet, today: date | None, code: str
) -> None:
    book = load_default_rulebook().publish(PASI_2027)
    with pytest.raises(PublishRefused) as refused:
        book.publish(rule_set, today=today)
    assert refused.value.code == code
    assert refused.value.fr
    assert refused.value.en


def test_publish_returns_a_new_book_and_programs_are_independent() -> None:
    book = load_default_rulebook()
    newer = book.publish(PASI_2027, today=date(2027, 3, 1)).publish(
        with_version("1", "2021-01-01", program="PRIME")
    )
    assert len(book) == 1
    assert [r.version for r in newer.versions("PASI")] == ["2020.1", "2027.1"]
    assert newer.programs() == ("PASI", "PRIME")
    assert newer.for_date("PRIME", date(2030, 1, 1)).version == "1"
    assert newer.get("PASI", "2027.1") == PASI_2027


def test_a_version_can_be_withdrawn_only_before_it_is_in_force() -> None:
    book = load_default_rulebook().publish(PASI_2027)
    assert len(book.withdraw("PASI", "2027.1", today=date(2027, 3, 31))) == 1
    with pytest.raises(PublishRefused) as refused:
        book.withdraw("PASI", "2027.1", today=date(2027, 4, 1))
    assert refused.value.code == "rules.already_in_force"
    with pytest.raises(NoRuleSet):
        book.withdraw("PASI", "1999.1", today=date(2020, 1, 1))


def test_a_book_refuses_two_versions_with_the_same_number_or_date() -> None:
    with pytest.raises(PublishRefused):
        RuleBook([PASI, with_version("2020.1", "2021-04-01")])
    with pytest.raises(PublishRefused):
        RuleBook([PASI, with_version("2020.2", "2020-04-01")])


# ---- documents --------------------------------------------------------------------------------


def test_rule_set_and_book_round_trip_through_json() -> None:
    assert RuleSet.from_json(PASI.to_json()) == PASI
    assert RuleSet.from_json(PASI.to_json()).index == PASI.index
    assert RuleSet.from_document(json.loads(json.dumps(PASI.to_document()))) == PASI
    book = load_default_rulebook().publish(PASI_2027)
    again = RuleBook.from_json(book.to_json())
    assert again == book
    assert again.to_json() == book.to_json()


def test_model_copy_revalidates_and_reindexes() -> None:
    copy = PASI.model_copy(update={"version": "2020.2"})
    assert (copy.version, copy.index) == ("2020.2", PASI.index)
    with pytest.raises(ValidationError):
        PASI.model_copy(update={"effective_from": "not a date"})


def test_the_default_file_declares_the_pasi_defaults() -> None:
    rules = PASI.rules
    assert (PASI.program, PASI.version, PASI.effective_from) == ("PASI", "2020.1", date(2020, 4, 1))
    assert rules.E4.max_years["permanent_resident"].years == 5
    assert all("[default]" in limit.comment for limit in rules.E4.max_years.values())
    assert (rules.E5.min_age, rules.E7.window_days, rules.E8.severity) == ({"OBI": 18}, 90, "review")
    assert set(PASI.volets) == {"V1", "V2", "V3", "V4", "V5"}


def set_path(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(doc: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        for key in parents:
            doc = doc[key]
        doc[last] = value

    return change


@pytest.mark.parametrize(
    ("change", "error"),
    [
        pytest.param(
            set_path("rules.E4.max_years.permanent_resident.years", -1),
            "greater than or equal",
            id="negative years",
        ),
        pytest.param(set_path("rules.E5.min_age.OBI", -18), "greater than or equal", id="negative age"),
        pytest.param(set_path("rules.E7.window_days", -1), "greater than or equal", id="negative window"),
        pytest.param(
            set_path("rules.E3.restricted.V6", ["asylum_claimant"]),
            "unknown volets",
            id="unknown volet in E3",
        ),
        pytest.param(
            set_path("rules.E1.exemptions", [{"status": "csq_holder", "volets": ["V0"]}]),
            "unknown volets",
            id="unknown volet in E1",
        ),
        pytest.param(
            set_path("rules.E2.served", ["permanent_resident", "tourist"]),
            "unknown statuses",
            id="unknown status served",
        ),
        pytest.param(
            set_path("rules.E6.statuses", ["visitor"]), "unknown statuses", id="unknown status in E6"
        ),
        pytest.param(set_path("volets.v1", {"fr": "x", "en": "y"}), "pattern", id="badly written volet"),
        pytest.param(set_path("rules.E1.regions", ["6"]), "pattern", id="badly written region"),
        pytest.param(set_path("surprise", True), "Extra inputs", id="unknown top-level field"),
        pytest.param(set_path("rules.E7.window", 90), "Extra inputs", id="unknown clause field"),
        pytest.param(set_path("rules.E8.severity", "warning"), "blocking", id="unknown severity"),
        pytest.param(
            set_path("rules.E1.message.fr", "Région {regoin}"),
            "unknown placeholders",
            id="misspelt placeholder",
        ),
        pytest.param(
            set_path("rules.E1.message.en", "Region {region"), "expected '}'", id="unbalanced brace"
        ),
        pytest.param(set_path("rules.E1.message.fr", ""), "at least 1", id="empty message"),
        pytest.param(set_path("effective_from", "2020-13-01"), "date", id="bad effective date"),
        pytest.param(set_path("version", ""), "pattern", id="empty version"),
        pytest.param(set_path("rules.E8", None), "E8", id="missing clause"),
    ],
)
def test_invalid_rule_sets_are_refused(change: Callable[[dict[str, Any]], None], error: str) -> None:
    with pytest.raises(ValidationError, match=error):
        revised(change)


# ---- explanations -----------------------------------------------------------------------------

MESSAGES = [
    pytest.param(pr(region=None), "V1", None, "message", id="E1"),
    pytest.param(person(period("tourist")), "V1", None, "unknown_message", id="E2 unknown"),
    pytest.param(person(), "V1", None, "missing_message", id="E2 missing"),
    pytest.param(pr(), "V3", None, "message", id="E3 restricted volet"),
    pytest.param(
        person(period("asylum_claimant")), "V1", None, "status_volets_message", id="E3 restricted status"
    ),
    pytest.param(pr(), "V5", None, "no_services_message", id="E3 no services"),
    pytest.param(pr(), "V0", None, "unknown_volet_message", id="E3 unknown volet"),
    pytest.param(pr(date(2015, 1, 1)), "V1", None, "message", id="E4"),
    pytest.param(pr(None), "V1", None, "missing_message", id="E4 missing admission"),
    pytest.param(pr(birth=date(2010, 1, 1)), "V2", "OBI", "message", id="E5"),
    pytest.param(
        person(period("temporary_worker", expires_on=date(2024, 1, 1))), "V1", None, "message", id="E6"
    ),
    pytest.param(person(period("citizen", date(2024, 1, 1))), "V1", None, "message", id="E7"),
    pytest.param(pr(duplicate=True), "V1", None, "message", id="E8"),
]


@pytest.mark.parametrize(("facts", "volet", "code", "template"), MESSAGES)
def test_each_explanation_is_filled_in_french_and_english(
    facts: PersonFacts, volet: str, code: str | None, template: str
) -> None:
    (failure,) = evaluate(facts, DAY, volet, PASI, code).failures
    assert failure.fr
    assert failure.en
    assert failure.fr != failure.en
    for text in (failure.fr, failure.en):
        assert "{" not in text
        assert "None" not in text
    source = PASI.rules.by_code()[failure.rule].messages()[template]
    for text, filled in ((source.fr, failure.fr), (source.en, failure.en)):
        assert all(literal in filled for literal, *_ in string.Formatter().parse(text))


def test_explanations_use_the_status_labels_of_each_language() -> None:
    (failure,) = evaluate(pr(date(2015, 1, 1)), DAY, "V1", PASI).failures
    assert "résident·e permanent·e" in failure.fr
    assert "permanent resident" in failure.en
    assert "2020-01-01" in failure.fr
    assert "2020-01-01" in failure.en
    assert failure.details == {
        "status": "permanent_resident",
        "admission_date": "2015-01-01",
        "max_years": 5,
        "last_eligible_day": "2020-01-01",
    }
