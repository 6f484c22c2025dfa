"""The reporting calendar's date arithmetic: default deadlines, Québec's holidays, business days,
windows, and the validation of a calendar an admin sets."""

from __future__ import annotations

from datetime import date

import pytest

from gsi_kernel.errors import InvalidInput
from gsi_kernel.fiscal import FiscalQuarter
from reporting.calendar import domain as calendar
from reporting.calendar.domain import (
    FiscalYearCalendar,
    FiscalYearCalendarSet,
    Holiday,
    HolidayRule,
    QuarterDeadline,
)

DEFAULTS = calendar.load_defaults()
FY = calendar.default_calendar(2026, DEFAULTS)


@pytest.mark.parametrize(
    ("quarter", "due"),
    [
        ("2026-2027-Q1", date(2026, 7, 30)),
        ("2026-2027-Q2", date(2026, 10, 30)),
        ("2026-2027-Q3", date(2027, 1, 30)),
        ("2026-2027-Q4", date(2027, 4, 30)),
    ],
)
def test_the_default_deadline_is_30_days_after_the_quarter_ends(quarter: str, due: date) -> None:
    assert FY.submission_due(FiscalQuarter.parse(quarter)) == due


def test_the_default_windows_come_from_the_data_file() -> None:
    assert (FY.control_window_days, FY.resubmission_business_days) == (30, 10)
    assert calendar.control_due(FY, date(2026, 7, 24)) == date(2026, 8, 23)


@pytest.mark.parametrize(
    ("year", "easter"),
    [
        (2024, date(2024, 3, 31)),
        (2025, date(2025, 4, 20)),
        (2026, date(2026, 4, 5)),
        (2027, date(2027, 3, 28)),
        (2038, date(2038, 4, 25)),
        (2285, date(2285, 3, 22)),
    ],
)
def test_easter_sunday(year: int, easter: date) -> None:
    assert calendar.easter_sunday(year) == easter


def test_quebec_statutory_holidays_of_fiscal_year_2026_2027() -> None:
    assert [h.day for h in FY.holidays] == [
        date(2026, 4, 3),  # Good Friday
        date(2026, 4, 6),  # Easter Monday
        date(2026, 5, 18),  # Monday before May 25 (itself a Monday)
        date(2026, 6, 24),
        date(2026, 7, 1),
        date(2026, 9, 7),  # first Monday of September
        date(2026, 10, 12),  # second Monday of October
        date(2026, 12, 25),
        date(2027, 1, 1),
        date(2027, 3, 26),  # Good Friday 2027, still in the fiscal year
        date(2027, 3, 29),
    ]
    assert FY.holidays[3].name_fr == "Fête nationale du Québec"


@pytest.mark.parametrize(
    ("name_en", "year", "day"),
    [
        ("Québec's National Holiday", 2029, date(2029, 6, 25)),  # June 24 is a Sunday
        ("Canada Day", 2029, date(2029, 7, 2)),
        ("Québec's National Holiday", 2028, date(2028, 6, 24)),  # a Saturday stays
        ("National Patriots' Day", 2027, date(2027, 5, 24)),  # May 25 is a Tuesday
        ("National Patriots' Day", 2031, date(2031, 5, 19)),  # May 25 is a Sunday
        ("Labour Day", 2030, date(2030, 9, 2)),
        ("Thanksgiving", 2030, date(2030, 10, 14)),
    ],
)
def test_holiday_rules(name_en: str, year: int, day: date) -> None:
    [rule] = [r for r in DEFAULTS.holidays if r.name_en == name_en]
    assert rule.in_year(year) == day


def test_a_holiday_rule_missing_its_fields_is_refused() -> None:
    with pytest.raises(ValueError, match="needs month, weekday, nth"):
        HolidayRule(name_fr="x", name_en="x", kind="nth_weekday")


HOLIDAYS = FY.holiday_dates()


@pytest.mark.parametrize(
    ("start", "count", "holidays", "due"),
    [
        (date(2026, 11, 20), 10, HOLIDAYS, date(2026, 12, 4)),  # Friday: two weeks of business days
        (date(2026, 11, 21), 1, HOLIDAYS, date(2026, 11, 23)),  # Saturday → Monday
        (date(2026, 11, 20), 0, HOLIDAYS, date(2026, 11, 20)),
        (date(2026, 12, 18), 10, HOLIDAYS, date(2027, 1, 5)),  # Christmas and New Year's Day skipped
        (date(2026, 12, 18), 10, frozenset(), date(2027, 1, 1)),
        (date(2026, 4, 2), 1, HOLIDAYS, date(2026, 4, 7)),  # Good Friday, weekend, Easter Monday
    ],
)
def test_business_days_skip_weekends_and_holidays(
    start: date, count: int, holidays: frozenset[date], due: date
) -> None:
    assert calendar.add_business_days(start, count, holidays) == due


def test_the_resubmission_window_counts_business_days() -> None:
    assert calendar.resubmission_due(FY, date(2026, 12, 18), HOLIDAYS) == date(2027, 1, 5)


@pytest.mark.parametrize(
    ("text", "start"),
    [("2026-2027", 2026), ("1999-2000", 1999)],
)
def test_fiscal_years_parse(text: str, start: int) -> None:
    assert calendar.parse_fiscal_year(text) == start


@pytest.mark.parametrize("text", ["2026-2028", "2026", "2026-2027-Q1", "٢٠٢٦-٢٠٢٧", "abcd-efgh"])
def test_bad_fiscal_years_are_refused(text: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        calendar.parse_fiscal_year(text)
    assert refused.value.code == "calendar.invalid_fiscal_year"


def _changed(**changes: object) -> FiscalYearCalendar:
    return FY.model_copy(update=changes)


def _due(q1: date) -> tuple[QuarterDeadline, ...]:
    return (QuarterDeadline(quarter="2026-2027-Q1", submission_due=q1), *FY.quarters[1:])


def _early(q4_days: int) -> tuple[QuarterDeadline, ...]:
    return (*FY.quarters[:3], FY.quarters[3].model_copy(update={"early_submission_days": q4_days}))


@pytest.mark.parametrize(
    ("calendar_", "code"),
    [
        (_changed(quarters=FY.quarters[:3]), "calendar.quarters_incomplete"),
        (_changed(quarters=tuple(reversed(FY.quarters))), "calendar.quarters_incomplete"),
        (_changed(quarters=_due(date(2026, 6, 30))), "calendar.deadline_before_quarter_end"),
        (_changed(quarters=_due(date(2027, 7, 2))), "calendar.deadline_too_late"),
        (_changed(quarters=_early(-1)), "calendar.invalid_early_window"),
        (_changed(quarters=_early(31)), "calendar.invalid_early_window"),
        (_changed(control_window_days=0), "calendar.invalid_window"),
        (_changed(resubmission_business_days=61), "calendar.invalid_window"),
        (_changed(holidays=(*FY.holidays, FY.holidays[0])), "calendar.duplicate_holiday"),
        (
            _changed(holidays=(Holiday(day=date(2026, 3, 31), name_fr="x", name_en="x"),)),
            "calendar.holiday_outside_year",
        ),
        (_changed(fiscal_year="2026-2026"), "calendar.invalid_fiscal_year"),
    ],
)
def test_an_invalid_calendar_is_refused_with_its_code(calendar_: FiscalYearCalendar, code: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        calendar.set_calendar([], calendar_)
    assert refused.value.code == code


def test_setting_a_calendar_records_it_once() -> None:
    later = _changed(quarters=_due(date(2026, 8, 14)))
    [event] = calendar.set_calendar([], later)
    assert isinstance(event, FiscalYearCalendarSet)
    assert event.calendar.submission_due(FiscalQuarter.parse("2026-2027-Q1")) == date(2026, 8, 14)
    assert calendar.set_calendar([event], later) == []
    assert len(calendar.set_calendar([event], FY)) == 1


def test_submission_opens_once_the_quarter_has_ended_unless_the_calendar_sets_an_early_window() -> None:
    assert DEFAULTS.early_submission_days == 0
    assert {d.early_submission_days for d in FY.quarters} == {0}
    q4 = FiscalQuarter.parse("2026-2027-Q4")
    [event] = calendar.set_calendar([], _changed(quarters=_early(10)))
    assert isinstance(event, FiscalYearCalendarSet)
    assert event.calendar.early_submission_days(q4) == 10
    assert event.calendar.early_submission_days(FiscalQuarter.parse("2026-2027-Q3")) == 0


def test_a_calendar_recorded_before_the_early_window_existed_reads_as_no_early_window() -> None:
    """Events stored before the field: their quarters have no ``early_submission_days``."""
    stored = FY.model_dump(mode="json")
    for quarter in stored["quarters"]:
        del quarter["early_submission_days"]
    event = FiscalYearCalendarSet.model_validate({"fiscal_year": FY.fiscal_year, "calendar": stored})
    assert event.calendar == FY
