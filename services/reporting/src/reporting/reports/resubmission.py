"""The deadline a rejection gives the organization to resubmit: the calendar's rule by default
(``resubmission_business_days`` after the rejection), or a day the reviewer chooses — a business
day after today (the organization needs at least one working day to correct), and no later than
the longest window the calendar itself allows (``MAX_BUSINESS_DAYS``): a later day would leave
the quarter open for months, past the next quarter's own report. Pure date arithmetic.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from gsi_kernel.errors import InvalidInput
from reporting.calendar.business_days import add_business_days, is_business_day
from reporting.calendar.domain import MAX_BUSINESS_DAYS, FiscalYearCalendar, resubmission_due


@dataclass(frozen=True, slots=True)
class ResubmissionWindow:
    """A rejection made ``today``: the default deadline and the days a reviewer may choose."""

    today: date
    default: date
    earliest: date
    latest: date
    holidays: frozenset[date]

    def deadline(self, chosen: date | None) -> date:
        """The deadline: ``chosen`` once checked, else the default."""
        if chosen is None:
            return self.default
        if chosen <= self.today:
            self._refuse(
                chosen,
                f"Le délai de resoumission doit être postérieur à aujourd'hui ({self.today}) : "
                f"au plus tôt le {self.earliest}.",
                f"The resubmission deadline must be after today ({self.today}): "
                f"{self.earliest} at the earliest.",
            )
        if chosen > self.latest:
            self._refuse(
                chosen,
                f"Le délai de resoumission ne peut dépasser {MAX_BUSINESS_DAYS} jours ouvrables : "
                f"au plus tard le {self.latest}.",
                f"The resubmission deadline cannot be more than {MAX_BUSINESS_DAYS} business days "
                f"away: {self.latest} at the latest.",
            )
        if not is_business_day(chosen, self.holidays):
            self._refuse(
                chosen,
                f"Le {chosen} n'est pas un jour ouvrable (fin de semaine ou jour férié) : "
                "choisissez un jour ouvrable.",
                f"{chosen} is not a business day (a weekend or a statutory holiday): choose a business day.",
            )
        return chosen

    def _refuse(self, chosen: date, fr: str, en: str) -> None:
        raise InvalidInput(
            "report.invalid_resubmission_due",
            fr,
            en,
            details={
                "field": "resubmission_due",
                "value": chosen.isoformat(),
                "earliest": self.earliest.isoformat(),
                "latest": self.latest.isoformat(),
            },
        )


def window(calendar: FiscalYearCalendar, today: date, holidays: frozenset[date]) -> ResubmissionWindow:
    """The rejected quarter's calendar gives the default window; ``holidays`` are those of the
    days ahead of ``today``."""
    return ResubmissionWindow(
        today=today,
        default=resubmission_due(calendar, today, holidays),
        earliest=add_business_days(today, 1, holidays),
        latest=add_business_days(today, MAX_BUSINESS_DAYS, holidays),
        holidays=holidays,
    )
