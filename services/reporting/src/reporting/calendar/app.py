"""The fiscal-year calendars: the one an admin set, else the shipped default; and the deadlines
of a report's steps computed from it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import cache

from sqlalchemy import Connection, select

from gsi_kernel.envelope import CommandContext
from gsi_kernel.fiscal import FiscalQuarter
from gsi_kernel.store.database import Database
from gsi_kernel.writer import StreamWriter
from reporting.calendar import domain as calendar
from reporting.calendar.domain import FiscalYearCalendar
from reporting.reports import resubmission
from reporting.reports.domain import Deadlines
from reporting.reports.resubmission import ResubmissionWindow
from reporting.tables import fiscal_calendars


@dataclass(frozen=True, slots=True)
class CalendarInfo:
    calendar: FiscalYearCalendar
    source: str  # default | set
    set_at: datetime | None
    set_by: str | None


class Calendars:
    def __init__(self, *, writer: StreamWriter, db: Database) -> None:
        self._writer = writer
        self._db = db

    def get(self, fiscal_year: str) -> CalendarInfo:
        start_year = calendar.parse_fiscal_year(fiscal_year)
        with self._db.transaction() as connection:
            return info(connection, start_year)

    def set(self, new: FiscalYearCalendar, *, context: CommandContext) -> CalendarInfo:
        """Set the fiscal year's calendar (the same calendar again records nothing)."""
        calendar.refuse_invalid(new)
        self._writer.execute(
            calendar.stream_id(new.fiscal_year), lambda history: calendar.set_calendar(history, new), context
        )
        return self.get(new.fiscal_year)


def info(connection: Connection, start_year: int) -> CalendarInfo:
    label = calendar.fiscal_year_label(start_year)
    row = connection.execute(select(fiscal_calendars).where(fiscal_calendars.c.fiscal_year == label)).first()
    if row is None:
        return CalendarInfo(
            calendar.default_calendar(start_year, calendar.load_defaults()), "default", None, None
        )
    return CalendarInfo(FiscalYearCalendar.model_validate(row.calendar), "set", row.set_at, row.set_by)


def calendar_of(connection: Connection, start_year: int) -> FiscalYearCalendar:
    return info(connection, start_year).calendar


def holidays_between(connection: Connection, first: date, last: date) -> frozenset[date]:
    """The holidays of the fiscal-year calendars (set, else default) from ``first`` to ``last``:
    one read of the calendars set, the others computed."""
    years = range(FiscalQuarter.of(first).start_year, FiscalQuarter.of(last).start_year + 1)
    labels = [calendar.fiscal_year_label(y) for y in years]
    c = fiscal_calendars.c
    rows = connection.execute(select(c.fiscal_year, c.calendar).where(c.fiscal_year.in_(labels))).all()
    set_ = {label: FiscalYearCalendar.model_validate(document).holiday_dates() for label, document in rows}
    days: set[date] = set()
    for year, label in zip(years, labels, strict=True):
        days |= set_[label] if label in set_ else _default_holidays(year)
    return frozenset(days)


@cache
def _default_holidays(start_year: int) -> frozenset[date]:
    return calendar.default_calendar(start_year, calendar.load_defaults()).holiday_dates()


def deadlines(connection: Connection, quarter: FiscalQuarter, today: date) -> Deadlines:
    """A submission of ``quarter`` made ``today``: its deadline, and the ministry's for control."""
    year = calendar_of(connection, quarter.start_year)
    return Deadlines(
        today=today,
        submission_due=year.submission_due(quarter),
        control_due=calendar.control_due(year, today),
    )


def resubmission_window(connection: Connection, quarter: FiscalQuarter, today: date) -> ResubmissionWindow:
    """A rejection of ``quarter``'s report made ``today``: its default deadline (business days,
    counting the holidays of the fiscal year of ``today`` and of the next one) and the days a
    reviewer may choose instead."""
    year = calendar_of(connection, quarter.start_year)
    now = FiscalQuarter.of(today).start_year
    holidays = calendar_of(connection, now).holiday_dates() | calendar_of(connection, now + 1).holiday_dates()
    return resubmission.window(year, today, holidays)
