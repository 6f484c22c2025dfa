"""HTTP resource: the reporting calendar of a fiscal year — read it (anyone signed in), set it
(admins): each quarter's deadline and early submission window, the control and resubmission
windows, the holidays. Until an admin sets it, the shipped default applies."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import Path
from pydantic import BaseModel, ConfigDict, Field

from gsi_kernel.fields import Line, Name, label
from gsi_kernel.http.context import context_for
from gsi_kernel.http.security import Admin, Reader, authenticated_router
from gsi_kernel.http.threads import run_short
from reporting.calendar import domain as calendar
from reporting.calendar.app import CalendarInfo
from reporting.calendar.domain import FiscalYearCalendar, Holiday, QuarterDeadline
from reporting.deps import CalendarsDep
from reporting.reports import period as report_period

router = authenticated_router(prefix="/calendar", tags=["calendrier / calendar"])

FiscalYear = Annotated[
    Line, Path(examples=["2026-2027"], description="Exercice financier (1er avril – 31 mars) / Fiscal year")
]


class HolidayBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    date: date
    name_fr: Name = Field(
        min_length=1, max_length=100, json_schema_extra=label("Nom français", "French name")
    )
    name_en: Name = Field(
        min_length=1, max_length=100, json_schema_extra=label("Nom anglais", "English name")
    )


class SubmissionDueBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    q1: date = Field(json_schema_extra=label("Échéance du T1", "Q1 deadline"))
    q2: date = Field(json_schema_extra=label("Échéance du T2", "Q2 deadline"))
    q3: date = Field(json_schema_extra=label("Échéance du T3", "Q3 deadline"))
    q4: date = Field(json_schema_extra=label("Échéance du T4", "Q4 deadline"))


EarlyDays = Annotated[int, Field(ge=0, le=calendar.MAX_EARLY_SUBMISSION_DAYS)]


class EarlySubmissionBody(BaseModel):
    """The early submission window of each quarter (days before its end)."""

    model_config = ConfigDict(extra="forbid")

    q1: EarlyDays = Field(
        default=0, json_schema_extra=label("Soumission anticipée du T1 (jours)", "Q1 early days")
    )
    q2: EarlyDays = Field(
        default=0, json_schema_extra=label("Soumission anticipée du T2 (jours)", "Q2 early days")
    )
    q3: EarlyDays = Field(
        default=0, json_schema_extra=label("Soumission anticipée du T3 (jours)", "Q3 early days")
    )
    q4: EarlyDays = Field(
        default=0, json_schema_extra=label("Soumission anticipée du T4 (jours)", "Q4 early days")
    )


class CalendarBody(BaseModel):
    """The whole calendar of the fiscal year; ``holidays`` omitted: Québec's statutory holidays;
    ``early_submission_days`` omitted: 0 (submission opens once the quarter has ended)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "submission_due": {
                        "q1": "2026-07-30",
                        "q2": "2026-10-30",
                        "q3": "2027-02-05",
                        "q4": "2027-04-30",
                    },
                    "early_submission_days": 0,
                    "control_window_days": 30,
                    "resubmission_business_days": 10,
                },
                {
                    "submission_due": {
                        "q1": "2026-07-30",
                        "q2": "2026-10-30",
                        "q3": "2027-02-05",
                        "q4": "2027-04-30",
                    },
                    "early_submission_days": {"q4": 10},
                    "control_window_days": 30,
                    "resubmission_business_days": 10,
                },
            ]
        },
    )

    submission_due: SubmissionDueBody = Field(
        description="Échéance de chaque trimestre / Each quarter's deadline",
        json_schema_extra=label("Échéances de soumission", "Submission deadlines"),
    )
    early_submission_days: EarlyDays | EarlySubmissionBody = Field(
        default=0,
        description=(
            "Soumission anticipée : jours avant la fin du trimestre où la soumission ouvre, pour "
            "l'année ou par trimestre (0 : à la fin du trimestre) / Early submission: days before "
            "the quarter's end submission opens, for the year or per quarter (0: once it has ended)"
        ),
        json_schema_extra=label("Soumission anticipée (jours)", "Early submission (days)"),
    )
    control_window_days: int = Field(
        ge=1,
        le=calendar.MAX_WINDOW_DAYS,
        description="Délai de contrôle (jours)",
        json_schema_extra=label("Délai de contrôle (jours)", "Control window (days)"),
    )
    resubmission_business_days: int = Field(
        ge=1,
        le=calendar.MAX_BUSINESS_DAYS,
        description="Délai de resoumission (jours ouvrables)",
        json_schema_extra=label(
            "Délai de resoumission (jours ouvrables)", "Resubmission window (business days)"
        ),
    )
    holidays: list[HolidayBody] | None = Field(
        default=None, max_length=60, json_schema_extra=label("Jours fériés", "Holidays")
    )

    def to_calendar(self, fiscal_year: str) -> FiscalYearCalendar:
        start_year = calendar.parse_fiscal_year(fiscal_year)
        dues = (
            self.submission_due.q1,
            self.submission_due.q2,
            self.submission_due.q3,
            self.submission_due.q4,
        )
        early = self.early_submission_days
        earlies = (
            (early.q1, early.q2, early.q3, early.q4)
            if isinstance(early, EarlySubmissionBody)
            else (early,) * 4
        )
        holidays = (
            calendar.holidays_of(start_year, calendar.load_defaults().holidays)
            if self.holidays is None
            else tuple(Holiday(day=h.date, name_fr=h.name_fr, name_en=h.name_en) for h in self.holidays)
        )
        return FiscalYearCalendar(
            fiscal_year=fiscal_year,
            quarters=tuple(
                QuarterDeadline(quarter=str(q), submission_due=due, early_submission_days=days)
                for q, due, days in zip(calendar.quarters_of(start_year), dues, earlies, strict=True)
            ),
            control_window_days=self.control_window_days,
            resubmission_business_days=self.resubmission_business_days,
            holidays=tuple(sorted(holidays, key=lambda h: h.day)),
        )


class QuarterView(BaseModel):
    quarter: str
    first_day: date
    last_day: date
    early_submission_days: int
    submission_opens_on: date = Field(description="Premier jour de soumission / First day to submit")
    submission_due: date


class HolidayView(BaseModel):
    date: date
    name_fr: str
    name_en: str


class CalendarView(BaseModel):
    fiscal_year: str
    source: str = Field(description="default | set")
    set_at: datetime | None
    set_by: str | None
    quarters: list[QuarterView]
    control_window_days: int
    resubmission_business_days: int
    holidays: list[HolidayView]


def _view(found: CalendarInfo) -> CalendarView:
    c = found.calendar
    start_year = calendar.parse_fiscal_year(c.fiscal_year)
    return CalendarView(
        fiscal_year=c.fiscal_year,
        source=found.source,
        set_at=found.set_at,
        set_by=found.set_by,
        quarters=[
            QuarterView(
                quarter=str(q),
                first_day=q.first_day,
                last_day=q.last_day,
                early_submission_days=d.early_submission_days,
                submission_opens_on=report_period.submission_opens_on(q, d.early_submission_days),
                submission_due=d.submission_due,
            )
            for q, d in zip(calendar.quarters_of(start_year), c.quarters, strict=True)
        ],
        control_window_days=c.control_window_days,
        resubmission_business_days=c.resubmission_business_days,
        holidays=[HolidayView(date=h.day, name_fr=h.name_fr, name_en=h.name_en) for h in c.holidays],
    )


@router.get("/{fiscal_year}", response_model=CalendarView)
async def get_calendar(fiscal_year: FiscalYear, principal: Reader, calendars: CalendarsDep) -> CalendarView:
    """Calendrier de l'exercice : échéances, délais, jours fériés / The fiscal year's calendar:
    deadlines, windows, holidays."""
    del principal
    return await run_short(lambda: _view(calendars.get(fiscal_year)))


@router.put("/{fiscal_year}", response_model=CalendarView)
async def set_calendar(
    fiscal_year: FiscalYear, body: CalendarBody, principal: Admin, calendars: CalendarsDep
) -> CalendarView:
    """Fixer le calendrier de l'exercice (administration) / Set the fiscal year's calendar (admins)."""
    return await run_short(
        lambda: _view(calendars.set(body.to_calendar(fiscal_year), context=context_for(principal)))
    )
