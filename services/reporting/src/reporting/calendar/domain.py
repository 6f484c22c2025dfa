"""The reporting calendar as data, per fiscal year (April 1 – March 31): each quarter's
submission deadline and early submission window (how many days before the quarter's end its
report may already be submitted; 0: once it has ended), the ministry's control window (calendar
days after a submission), the resubmission window after a rejection (business days: weekends and
the year's statutory holidays skipped) and those holidays.

The defaults are data (``reporting/data/calendar.json``: 30 days after the quarter ends, no early
window, 30 days of control, 10 business days to resubmit, Québec's statutory holidays as rules);
an admin may set a fiscal year's calendar, recorded as an event. Pure date arithmetic; no I/O but
reading the shipped defaults.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from functools import cache
from importlib import resources

from pydantic import BaseModel, ConfigDict, Field

from gsi_kernel.errors import InvalidInput
from gsi_kernel.events import DomainEvent
from gsi_kernel.fiscal import FiscalQuarter
from reporting.calendar import business_days

# The business-day arithmetic under this module's name too (its callers import it from here).
HolidayRule = business_days.HolidayRule
add_business_days = business_days.add_business_days
easter_sunday = business_days.easter_sunday
is_business_day = business_days.is_business_day

_FISCAL_YEAR = re.compile(r"([0-9]{4})-([0-9]{4})")
MAX_WINDOW_DAYS = 180
MAX_BUSINESS_DAYS = 60
MAX_DEADLINE_DAYS = 366  # a deadline later than a year after its quarter is surely a typo
# An early window opens submission in the quarter's last weeks, never over the whole quarter: a
# report submitted with a month still to run would leave that month's services out of it.
MAX_EARLY_SUBMISSION_DAYS = 30


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CalendarDefaults(_Frozen):
    basis: str = ""
    submission_days_after_quarter_end: int = Field(ge=1, le=MAX_DEADLINE_DAYS)
    early_submission_days: int = Field(default=0, ge=0, le=MAX_EARLY_SUBMISSION_DAYS)
    control_window_days: int = Field(ge=1, le=MAX_WINDOW_DAYS)
    resubmission_business_days: int = Field(ge=1, le=MAX_BUSINESS_DAYS)
    holidays: tuple[HolidayRule, ...] = ()


class Holiday(_Frozen):
    day: date
    name_fr: str = Field(min_length=1, max_length=100)
    name_en: str = Field(min_length=1, max_length=100)


class QuarterDeadline(_Frozen):
    quarter: str  # e.g. 2026-2027-Q1
    submission_due: date
    early_submission_days: int = 0  # submission opens this many days before the quarter ends


class FiscalYearCalendar(_Frozen):
    fiscal_year: str  # e.g. 2026-2027
    quarters: tuple[QuarterDeadline, ...]
    control_window_days: int
    resubmission_business_days: int
    holidays: tuple[Holiday, ...] = ()

    def submission_due(self, quarter: FiscalQuarter) -> date:
        return self.deadline(quarter).submission_due

    def early_submission_days(self, quarter: FiscalQuarter) -> int:
        return self.deadline(quarter).early_submission_days

    def deadline(self, quarter: FiscalQuarter) -> QuarterDeadline:
        for deadline in self.quarters:
            if deadline.quarter == str(quarter):
                return deadline
        raise KeyError(str(quarter))

    def holiday_dates(self) -> frozenset[date]:
        return frozenset(h.day for h in self.holidays)


class FiscalYearCalendarSet(DomainEvent):
    """An admin set the fiscal year's calendar (the whole of it: it replaces the default)."""

    event_type = "FiscalYearCalendarSet"

    fiscal_year: str
    calendar: FiscalYearCalendar


EVENTS = (FiscalYearCalendarSet,)


def stream_id(fiscal_year: str) -> str:
    return f"calendar-{fiscal_year}"


# ---- arithmetic --------------------------------------------------------------------------------


def control_due(calendar: FiscalYearCalendar, submitted_on: date) -> date:
    return submitted_on + timedelta(days=calendar.control_window_days)


def resubmission_due(calendar: FiscalYearCalendar, rejected_on: date, holidays: frozenset[date]) -> date:
    return add_business_days(rejected_on, calendar.resubmission_business_days, holidays)


# ---- fiscal years and defaults -----------------------------------------------------------------


def parse_fiscal_year(text: str) -> int:
    """The start year of a fiscal year written ``2026-2027``."""
    match = _FISCAL_YEAR.fullmatch(text)
    if not match or int(match[2]) != int(match[1]) + 1:
        raise InvalidInput(
            "calendar.invalid_fiscal_year",
            f"Exercice financier invalide : {text} (ex. 2026-2027).",
            f"Invalid fiscal year: {text} (e.g. 2026-2027).",
            details={"field": "fiscal_year"},
        )
    return int(match[1])


def fiscal_year_label(start_year: int) -> str:
    return f"{start_year}-{start_year + 1}"


def quarters_of(start_year: int) -> list[FiscalQuarter]:
    return [FiscalQuarter(start_year, n) for n in range(1, 5)]


def holidays_of(start_year: int, rules: Iterable[HolidayRule]) -> tuple[Holiday, ...]:
    """The holidays the rules give between April 1 of ``start_year`` and March 31 after."""
    first, last = date(start_year, 4, 1), date(start_year + 1, 3, 31)
    found = {
        day: Holiday(day=day, name_fr=rule.name_fr, name_en=rule.name_en)
        for rule in rules
        for year in (start_year, start_year + 1)
        if first <= (day := rule.in_year(year)) <= last
    }
    return tuple(found[day] for day in sorted(found))


def default_calendar(start_year: int, defaults: CalendarDefaults) -> FiscalYearCalendar:
    after = timedelta(days=defaults.submission_days_after_quarter_end)
    return FiscalYearCalendar(
        fiscal_year=fiscal_year_label(start_year),
        quarters=tuple(
            QuarterDeadline(
                quarter=str(q),
                submission_due=q.last_day + after,
                early_submission_days=defaults.early_submission_days,
            )
            for q in quarters_of(start_year)
        ),
        control_window_days=defaults.control_window_days,
        resubmission_business_days=defaults.resubmission_business_days,
        holidays=holidays_of(start_year, defaults.holidays),
    )


@cache
def load_defaults() -> CalendarDefaults:
    """The shipped defaults (``reporting/data/calendar.json``)."""
    text = resources.files("reporting").joinpath("data", "calendar.json").read_text(encoding="utf-8")
    return CalendarDefaults.model_validate(json.loads(text))


# ---- decision ----------------------------------------------------------------------------------


def set_calendar(history: Sequence[DomainEvent], calendar: FiscalYearCalendar) -> list[DomainEvent]:
    """Record the fiscal year's calendar; setting the calendar already in force records nothing."""
    refuse_invalid(calendar)
    current = next((e.calendar for e in reversed(history) if isinstance(e, FiscalYearCalendarSet)), None)
    if current == calendar:
        return []
    return [FiscalYearCalendarSet(fiscal_year=calendar.fiscal_year, calendar=calendar)]


def refuse_invalid(calendar: FiscalYearCalendar) -> None:
    start_year = parse_fiscal_year(calendar.fiscal_year)
    expected = [str(q) for q in quarters_of(start_year)]
    if [d.quarter for d in calendar.quarters] != expected:
        raise _invalid(
            "calendar.quarters_incomplete",
            "Le calendrier doit donner l'échéance de chacun des quatre trimestres, dans l'ordre.",
            "The calendar must give the deadline of each of the four quarters, in order.",
            field="quarters",
        )
    for quarter, deadline in zip(quarters_of(start_year), calendar.quarters, strict=True):
        _refuse_bad_deadline(quarter, deadline.submission_due)
        _refuse_bad_early_window(quarter, deadline.early_submission_days)
    _refuse_bad_windows(calendar)
    _refuse_bad_holidays(calendar, date(start_year, 4, 1), date(start_year + 1, 3, 31))


def _refuse_bad_deadline(quarter: FiscalQuarter, due: date) -> None:
    if due <= quarter.last_day:
        raise _invalid(
            "calendar.deadline_before_quarter_end",
            f"L'échéance du trimestre {quarter} doit suivre sa fin ({quarter.last_day.isoformat()}).",
            f"Quarter {quarter}'s deadline must come after its end ({quarter.last_day.isoformat()}).",
            field="submission_due",
            quarter=str(quarter),
        )
    if (due - quarter.last_day).days > MAX_DEADLINE_DAYS:
        raise _invalid(
            "calendar.deadline_too_late",
            f"L'échéance du trimestre {quarter} est plus d'un an après sa fin.",
            f"Quarter {quarter}'s deadline is more than a year after its end.",
            field="submission_due",
            quarter=str(quarter),
        )


def _refuse_bad_early_window(quarter: FiscalQuarter, days: int) -> None:
    if not 0 <= days <= MAX_EARLY_SUBMISSION_DAYS:
        raise _invalid(
            "calendar.invalid_early_window",
            f"La soumission anticipée du trimestre {quarter} doit ouvrir de 0 à "
            f"{MAX_EARLY_SUBMISSION_DAYS} jours avant sa fin.",
            f"Quarter {quarter}'s early submission must open 0 to {MAX_EARLY_SUBMISSION_DAYS} days "
            "before its end.",
            field="early_submission_days",
            quarter=str(quarter),
        )


def _refuse_bad_windows(calendar: FiscalYearCalendar) -> None:
    if not 1 <= calendar.control_window_days <= MAX_WINDOW_DAYS:
        raise _invalid(
            "calendar.invalid_window",
            f"Le délai de contrôle doit être de 1 à {MAX_WINDOW_DAYS} jours.",
            f"The control window must be 1 to {MAX_WINDOW_DAYS} days.",
            field="control_window_days",
        )
    if not 1 <= calendar.resubmission_business_days <= MAX_BUSINESS_DAYS:
        raise _invalid(
            "calendar.invalid_window",
            f"Le délai de resoumission doit être de 1 à {MAX_BUSINESS_DAYS} jours ouvrables.",
            f"The resubmission window must be 1 to {MAX_BUSINESS_DAYS} business days.",
            field="resubmission_business_days",
        )


def _refuse_bad_holidays(calendar: FiscalYearCalendar, first: date, last: date) -> None:
    days = [h.day for h in calendar.holidays]
    if len(set(days)) != len(days):
        raise _invalid(
            "calendar.duplicate_holiday",
            "Un jour férié est donné deux fois.",
            "A holiday is listed twice.",
            field="holidays",
        )
    outside = sorted(d.isoformat() for d in days if not first <= d <= last)
    if outside:
        raise _invalid(
            "calendar.holiday_outside_year",
            f"Jours fériés hors de l'exercice {calendar.fiscal_year} : {', '.join(outside)}.",
            f"Holidays outside fiscal year {calendar.fiscal_year}: {', '.join(outside)}.",
            field="holidays",
            days=outside,
        )


def _invalid(code: str, fr: str, en: str, **details: object) -> InvalidInput:
    return InvalidInput(code, fr, en, details=details)
