"""Funding agreements' decisions: terms checked with a code for each mistake (negative counts
above all), no overlap per organization and program, amendments as new versions; and the
progress arithmetic of the dashboards."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from gsi_kernel.errors import Conflict, InvalidInput, NotFound
from gsi_kernel.events import DomainEvent
from reporting.agreements import domain as agreement
from reporting.agreements.domain import AgreementAmended, AgreementRecorded, Funding, Target, Terms
from reporting.performance import progress

ORG = "org-sherbrooke"
YEAR = Target(
    fiscal_year="2026-2027",
    period="year",
    unique_persons=400,
    action_plans=150,
    interventions={"SUI": 900, "ACC": 400},
)
Q1 = Target(
    fiscal_year="2026-2027", period="Q1", unique_persons=120, action_plans=40, interventions={"ACC": 100}
)
FUNDING = Funding(fiscal_year="2026-2027", amount_cents=85_000_000)


def record(
    history: list[DomainEvent] | None = None,
    *,
    starts_on: date = date(2026, 4, 1),
    ends_on: date = date(2029, 3, 31),
    agreement_id: str = "a-1",
    **terms: Any,
) -> list[DomainEvent]:
    values: dict[str, Any] = {"volets": ("V2", "V1"), "funding": (FUNDING,), "targets": (YEAR, Q1), **terms}
    return agreement.record(
        history or [],
        agreement_id=agreement_id,
        organization_id=ORG,
        program="PASI",
        starts_on=starts_on,
        ends_on=ends_on,
        terms=Terms(**values),
    )


def test_recording_puts_the_terms_in_canonical_order() -> None:
    (event,) = record()
    assert isinstance(event, AgreementRecorded)
    assert event.volets == ("V1", "V2")
    assert [t.period for t in event.targets] == ["Q1", "year"]
    assert list(event.targets[1].interventions) == ["ACC", "SUI"]
    assert agreement.fold([event])["a-1"].terms == Terms(event.volets, event.funding, event.targets)


def negative(field: str) -> Target:
    if field == "interventions":
        return Q1.model_copy(update={"interventions": {"ACC": -1}})
    return Q1.model_copy(update={field: -5})


@pytest.mark.parametrize(
    ("terms", "code"),
    [
        ({"targets": (negative("unique_persons"),)}, "agreement.negative_target"),
        ({"targets": (negative("action_plans"),)}, "agreement.negative_target"),
        ({"targets": (negative("interventions"),)}, "agreement.negative_target"),
        ({"targets": (Q1.model_copy(update={"unique_persons": 10**9}),)}, "agreement.target_too_large"),
        ({"funding": (Funding(fiscal_year="2026-2027", amount_cents=-1),)}, "agreement.negative_amount"),
        ({"funding": (FUNDING, FUNDING)}, "agreement.duplicate_funding"),
        ({"targets": (Q1, Q1)}, "agreement.duplicate_target"),
        ({"targets": (Q1.model_copy(update={"period": "Q5"}),)}, "agreement.invalid_target_period"),
        ({"targets": (Q1.model_copy(update={"fiscal_year": "2026-2028"}),)}, "agreement.invalid_fiscal_year"),
        ({"targets": (Q1.model_copy(update={"fiscal_year": "2025-2026"}),)}, "agreement.outside_period"),
        ({"targets": (Q1.model_copy(update={"interventions": {"acc": 1}}),)}, "agreement.invalid_code"),
        ({"funding": (Funding(fiscal_year="2030-2031", amount_cents=1),)}, "agreement.outside_period"),
        ({"volets": ()}, "agreement.no_volet"),
        ({"volets": ("V6",)}, "agreement.invalid_volet"),
    ],
)
def test_bad_terms_are_refused_with_a_code(terms: dict[str, Any], code: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        record(**terms)
    assert raised.value.code == code
    assert raised.value.fr != raised.value.en


def test_negative_target_names_where_it_is() -> None:
    with pytest.raises(InvalidInput) as raised:
        record(targets=(negative("interventions"),))
    assert raised.value.details == {
        "field": "targets",
        "fiscal_year": "2026-2027",
        "period": "Q1",
        "measure": "interventions",
        "code": "ACC",
    }


def test_a_quarter_before_the_agreement_starts_is_outside_it() -> None:
    with pytest.raises(InvalidInput) as raised:
        record(starts_on=date(2026, 10, 1), targets=(Q1,))
    assert raised.value.code == "agreement.outside_period"
    assert record(starts_on=date(2026, 10, 1), targets=(Q1.model_copy(update={"period": "Q3"}),))


@pytest.mark.parametrize(
    ("starts_on", "ends_on", "overlaps"),
    [
        (date(2029, 4, 1), date(2030, 3, 31), False),  # the day after
        (date(2029, 3, 31), date(2030, 3, 31), True),  # shares one day
        (date(2025, 4, 1), date(2026, 4, 1), True),
        (date(2027, 1, 1), date(2027, 6, 30), True),  # inside
        (date(2024, 4, 1), date(2026, 3, 31), False),  # the day before
    ],
)
def test_agreements_of_one_organization_and_program_never_overlap(
    starts_on: date, ends_on: date, overlaps: bool
) -> None:
    history = record()
    if overlaps:
        with pytest.raises(Conflict) as raised:
            record(history, starts_on=starts_on, ends_on=ends_on, agreement_id="a-2", targets=(), funding=())
        assert raised.value.code == "agreement.overlap"
        assert raised.value.details["agreement_id"] == "a-1"
    else:
        assert record(
            history, starts_on=starts_on, ends_on=ends_on, agreement_id="a-2", targets=(), funding=()
        )


def test_a_period_that_ends_before_it_starts_is_refused() -> None:
    with pytest.raises(InvalidInput) as raised:
        record(starts_on=date(2027, 4, 1), ends_on=date(2027, 3, 31))
    assert raised.value.code == "agreement.invalid_period"


def test_an_amendment_is_a_new_version_with_its_reason_and_the_full_terms() -> None:
    history = record()
    raised = YEAR.model_copy(update={"unique_persons": 450})
    (event,) = agreement.amend(history, agreement_id="a-1", reason="Cibles révisées", targets=[raised, Q1])
    assert isinstance(event, AgreementAmended)
    assert (event.version, event.reason, event.volets, event.funding) == (
        2,
        "Cibles révisées",
        ("V1", "V2"),
        (FUNDING,),
    )
    assert (event.starts_on, event.ends_on) == (date(2026, 4, 1), date(2029, 3, 31))
    state = agreement.fold([*history, event])["a-1"]
    assert state.version == 2
    assert state.terms.targets[1].unique_persons == 450


def test_an_amendment_that_changes_nothing_records_nothing() -> None:
    assert agreement.amend(record(), agreement_id="a-1", reason="Relecture", targets=[Q1, YEAR]) == []


@pytest.mark.parametrize(
    ("changes", "error", "code"),
    [
        ({"agreement_id": "nope", "reason": "x"}, NotFound, "agreement.not_found"),
        ({"reason": " "}, InvalidInput, "agreement.reason_required"),
        ({"reason": "x", "targets": [negative("action_plans")]}, InvalidInput, "agreement.negative_target"),
    ],
)
def test_bad_amendments_are_refused(changes: dict[str, Any], error: type[Exception], code: str) -> None:
    with pytest.raises(error) as raised:
        agreement.amend(record(), **{"agreement_id": "a-1", **changes})
    assert getattr(raised.value, "code", None) == code


@pytest.mark.parametrize(
    ("actual", "target", "pct"),
    [(30, 120, 25.0), (1, 3, 33.3), (150, 100, 150.0), (5, 0, None), (5, None, None), (0, 10, 0.0)],
)
def test_progress_is_a_percentage_of_a_nonzero_target(
    actual: int, target: int | None, pct: float | None
) -> None:
    assert progress.progress(actual, target) == progress.Progress(actual, target, pct)


def test_targets_of_two_agreements_in_one_year_add_up() -> None:
    rows = [
        {"period": "year", "measure": "unique_persons", "code": "", "value": 200},
        {"period": "year", "measure": "unique_persons", "code": "", "value": 150},
        {"period": "Q3", "measure": "interventions", "code": "SUI", "value": 40},
    ]
    assert progress.targets_by_key(rows) == {
        ("year", "unique_persons", ""): 350,
        ("Q3", "interventions", "SUI"): 40,
    }


@pytest.mark.parametrize(
    ("fiscal_year", "bounds"),
    [
        ("2026-2027", (date(2026, 4, 1), date(2027, 3, 31))),
        ("2027-2028", (date(2027, 4, 1), date(2028, 3, 31))),
    ],
)
def test_fiscal_year_bounds(fiscal_year: str, bounds: tuple[date, date]) -> None:
    assert agreement.fiscal_year_bounds(fiscal_year) == bounds


@pytest.mark.parametrize("text", ["2026", "2026-2028", "2026-2027-Q1", "٢٠٢٦-٢٠٢٧"])
def test_what_is_not_a_fiscal_year(text: str) -> None:
    with pytest.raises(ValueError, match="fiscal year"):
        agreement.fiscal_year_bounds(text)
