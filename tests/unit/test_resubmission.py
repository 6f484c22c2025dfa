"""The resubmission deadline a rejection gives (``reporting.reports.resubmission``): the calendar's
by default; a day the reviewer chooses, once it is a business day after today within the longest
window a calendar may set."""

from __future__ import annotations

from datetime import date

import pytest

from gsi_kernel.errors import InvalidInput
from reporting.calendar import domain as calendar
from reporting.reports import resubmission

TUESDAY = date(2026, 10, 20)
YEAR = calendar.default_calendar(2026, calendar.load_defaults())
WINDOW = resubmission.window(YEAR, TUESDAY, YEAR.holiday_dates())


def test_the_window_of_a_rejection_made_today() -> None:
    assert (WINDOW.default, WINDOW.earliest, WINDOW.latest) == (
        date(2026, 11, 3), date(2026, 10, 21), date(2027, 1, 14),  # Christmas and New Year skipped
    )  # fmt: skip
    assert WINDOW.deadline(None) == WINDOW.default
    assert WINDOW.deadline(date(2026, 11, 20)) == date(2026, 11, 20)
    assert WINDOW.deadline(WINDOW.latest) == WINDOW.latest


@pytest.mark.parametrize(
    "chosen", [TUESDAY, date(2026, 10, 24), date(2026, 12, 25), date(2027, 1, 15), date(2026, 1, 5)]
)
def test_a_day_not_allowed_is_refused_with_the_range(chosen: date) -> None:
    with pytest.raises(InvalidInput) as refused:
        WINDOW.deadline(chosen)
    assert refused.value.code == "report.invalid_resubmission_due"
    assert refused.value.details == {
        "field": "resubmission_due",
        "value": chosen.isoformat(),
        "earliest": "2026-10-21",
        "latest": "2027-01-14",
    }
