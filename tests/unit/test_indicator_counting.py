"""What an intervention's change moves in the counting tables (pure rules), and the 12-month
regional retention of a cohort's recorded outcomes."""

from __future__ import annotations

import statistics
from collections import Counter
from datetime import date

import pytest

from reporting.counting import domain as counting
from reporting.counting.domain import Served, change
from reporting.performance.progress import median_of
from reporting.retention.domain import Retention, retention

FY = "2026-2027"
A = Served("p-a", "org-a", "ACC", date(2026, 5, 4))  # Q1


@pytest.mark.parametrize(
    ("day", "fiscal_year", "quarter"),
    [
        (date(2026, 4, 1), "2026-2027", 1),
        (date(2026, 6, 30), "2026-2027", 1),
        (date(2026, 7, 1), "2026-2027", 2),
        (date(2026, 12, 31), "2026-2027", 3),
        (date(2027, 1, 1), "2026-2027", 4),
        (date(2027, 3, 31), "2026-2027", 4),
        (date(2027, 4, 1), "2027-2028", 1),
    ],
)
def test_fiscal_year_and_quarter_of_a_day(day: date, fiscal_year: str, quarter: int) -> None:
    assert (counting.fiscal_year_of(day), counting.quarter_number_of(day)) == (fiscal_year, quarter)


def test_a_declaration_puts_the_person_in_four_cells() -> None:
    moved = change(None, A)
    assert moved.presence == {
        ("p-a", FY, 1, "org-a"): 1,
        ("p-a", FY, 0, "org-a"): 1,
        ("p-a", FY, 1, ""): 1,
        ("p-a", FY, 0, ""): 1,
    }
    assert moved.interventions == {(FY, 1, "org-a", "interventions", "ACC"): 1}
    assert moved.persons == {"p-a"}


def test_a_cancellation_takes_back_what_the_declaration_put() -> None:
    declared, cancelled = change(None, A), change(A, None)
    assert cancelled.presence == {key: -n for key, n in declared.presence.items()}
    assert cancelled.interventions == {(FY, 1, "org-a", "interventions", "ACC"): -1}


@pytest.mark.parametrize(
    ("after", "presence", "interventions"),
    [
        # another code only: the person stays where they were
        (Served("p-a", "org-a", "SUI", date(2026, 5, 20)), {},
         {(FY, 1, "org-a", "interventions", "ACC"): -1, (FY, 1, "org-a", "interventions", "SUI"): 1}),
        # another quarter of the same year: out of Q1, into Q3; the year's cells do not move
        (Served("p-a", "org-a", "ACC", date(2026, 11, 2)),
         {("p-a", FY, 1, "org-a"): -1, ("p-a", FY, 3, "org-a"): 1, ("p-a", FY, 1, ""): -1, ("p-a", FY, 3, ""): 1},
         {(FY, 1, "org-a", "interventions", "ACC"): -1, (FY, 3, "org-a", "interventions", "ACC"): 1}),
        # another organization, same quarter: the program's cells do not move
        (Served("p-a", "org-b", "ACC", date(2026, 5, 4)),
         {("p-a", FY, 1, "org-a"): -1, ("p-a", FY, 0, "org-a"): -1, ("p-a", FY, 1, "org-b"): 1,
          ("p-a", FY, 0, "org-b"): 1},
         {(FY, 1, "org-a", "interventions", "ACC"): -1, (FY, 1, "org-b", "interventions", "ACC"): 1}),
    ],
)  # fmt: skip
def test_a_correction_moves_only_what_changed(
    after: Served, presence: dict[tuple[str, str, int, str], int], interventions: dict[tuple[str, ...], int]
) -> None:
    moved = change(A, after)
    assert moved.presence == presence
    assert moved.interventions == interventions
    assert moved.persons == {"p-a"}


def test_a_correction_to_another_person_concerns_both() -> None:
    moved = change(A, Served("p-b", "org-a", "ACC", date(2026, 5, 4)))
    assert moved.persons == {"p-a", "p-b"}
    assert moved.interventions == {}
    assert len(moved.presence) == 8
    assert sum(moved.presence.values()) == 0


def test_retention_per_region_and_program_wide() -> None:
    program, regions = retention(
        [
            ("05", "p1", "stayed"),
            ("05", "p2", "moved"),
            ("05", "p3", "unknown"),
            ("05", "p4", "stayed"),
            ("03", "p5", "stayed"),
            ("03", "p1", "moved"),  # p1 again, followed up to another region
        ]
    )
    assert regions == [Retention("03", 2, 1, 1, 0), Retention("05", 4, 2, 1, 1)]
    assert program == Retention(None, 5, 3, 1, 1)  # p1 once, as stayed
    assert (program.retention_pct, regions[0].retention_pct, regions[1].retention_pct) == (60.0, 50.0, 50.0)


def test_no_outcome_recorded_has_no_retention_rate() -> None:
    program, regions = retention([])
    assert (program, regions) == (Retention(None, 0, 0, 0, 0), [])
    assert program.retention_pct is None


@pytest.mark.parametrize(
    "values",
    [[5], [3, 5], [1, 1, 1, 9], [4, 0, 30, 2, 2], [7, 7, 8, 8, 8, 100], list(range(0, 41, 3))],
)
def test_the_median_of_a_histogram_is_the_median_of_its_values(values: list[int]) -> None:
    assert median_of(Counter(values)) == statistics.median(values)


def test_an_empty_histogram_has_no_median() -> None:
    with pytest.raises(ValueError, match="empty"):
        median_of(Counter())
