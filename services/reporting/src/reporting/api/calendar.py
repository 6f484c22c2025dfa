"""HTTP resource: the reporting calendar of a fiscal year — read it (anyone signed in), set it
(admins). Until an admin sets it, the shipped default applies."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import Depends, Path
from pydantic import BaseModel, ConfigDict, Field

from gsi_kernel.http.app import from_app_state
from gsi_kernel.http.context import context_for
from gsi_kernel.http.security import Admin, Reader, authenticated_router
from reporting.app.calendar import CalendarInfo, Calendars
from reporting.domain import calendar
from reporting.domain.calendar import FiscalYearCalendar, Holiday, QuarterDeadline

router = authenticated_router(prefix="/calendar", tags=["calendrier / calendar"])

CalendarsDep = Annotated[Calendars, Depends(from_app_state("calendars", Calendars))]
FiscalYear = Annotated[
    str, Path(examples=["2026-2027"], description="Exercice financier (1er avril – 31 mars) / Fiscal year")
]


class HolidayBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    date: date
    name_fr: str = Field(min_length=1, max_length=100)
    name_en: str = Field(min_length=1, max_length=100)


class SubmissionDueBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    q1: date
    q2: date
    q3: date
    q4: date


class CalendarBody(BaseModel):
    """The whole calendar of the fiscal year; ``holidays`` omitted: Québec's statutory holidays."""

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
                    "control_window_days": 30,
                    "resubmission_business_days": 10,
                }
            ]
        },
    )

    submission_due: SubmissionDueBody = Field(
        description="Échéance de chaque trimestre / Each quarter's deadline"
    )
    control_window_days: int = Field(
        ge=1, le=calendar.MAX_WINDOW_DAYS, description="Délai de contrôle (jours)"
    )
    resubmission_business_days: int = Field(
        ge=1, le=calendar.MAX_BUSINESS_DAYS, description="Délai de resoumission (jours ouvrables)"
    )
    holidays: list[HolidayBody] | None = Field(default=None, max_length=60)

    def to_calendar(self, fiscal_year: str) -> FiscalYearCalendar:
        start_year = calendar.parse_fiscal_year(fiscal_year)
        dues = (
            self.submission_due.q1,
            self.submission_due.q2,
            self.submission_due.q3,
            self.submission_due.q4,
        )
        holidays = (
            calendar.holidays_of(start_year, calendar.load_defaults().holidays)
            if self.holidays is None
            else tuple(Holiday(day=h.date, name_fr=h.name_fr, name_en=h.name_en) for h in self.holidays)
        )
        return FiscalYearCalendar(
            fiscal_year=fiscal_year,
            quarters=tuple(
                QuarterDeadline(quarter=str(q), submission_due=due)
                for q, due in zip(calendar.quarters_of(start_year), dues, strict=True)
            ),
            control_window_days=self.control_window_days,
            resubmission_business_days=self.resubmission_business_days,
            holidays=tuple(sorted(holidays, key=lambda h: h.day)),
        )


class QuarterView(BaseModel):
    quarter: str
    first_day: date
    last_day: date
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
                quarter=str(q), first_day=q.first_day, last_day=q.last_day, submission_due=d.submission_due
            )
            for q, d in zip(calendar.quarters_of(start_year), c.quarters, strict=True)
        ],
        control_window_days=c.control_window_days,
        resubmission_business_days=c.resubmission_business_days,
        holidays=[HolidayView(date=h.day, name_fr=h.name_fr, name_en=h.name_en) for h in c.holidays],
    )


@router.get("/{fiscal_year}", response_model=CalendarView)
def get_calendar(fiscal_year: FiscalYear, principal: Reader, calendars: CalendarsDep) -> CalendarView:
    """Calendrier de l'exercice : échéances, délais, jours fériés / The fiscal year's calendar:
    deadlines, windows, holidays."""
    del principal
    return _view(calendars.get(fiscal_year))


@router.put("/{fiscal_year}", response_model=CalendarView)
def set_calendar(
    fiscal_year: FiscalYear, body: CalendarBody, principal: Admin, calendars: CalendarsDep
) -> CalendarView:
    """Fixer le calendrier de l'exercice (administration) / Set the fiscal year's calendar (admins)."""
    return _view(calendars.set(body.to_calendar(fiscal_year), context=context_for(principal)))
