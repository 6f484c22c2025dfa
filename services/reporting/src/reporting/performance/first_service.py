"""Time from arrival to first service in business days (docs/adr/0014-business-days.md): how
many persons took how many business days, over the persons whose first service of all falls in
a fiscal year and whose arrival (admission) day is known and not after it.

On PostgreSQL the delays are counted in the database — weekdays by arithmetic on day numbers,
holidays by ``width_bucket`` over the span's sorted holidays — and only their distribution (a
few hundred rows) comes back: a year has tens of thousands of such persons, and building as many
rows in Python costs more than the count itself (and the garbage collections they trigger make
the slow requests slower still). Elsewhere (SQLite) :class:`BusinessDayCount` counts them; both
give the same (tested on random years)."""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

from sqlalchemy import Connection, func, select, text

from gsi_kernel.store.backend import backend_of
from reporting.calendar.app import holidays_between
from reporting.calendar.business_days import BusinessDayCount
from reporting.performance_tables import perf_first_services

# Day numbers count from a Monday, so a day's weekday is its number modulo 7 (0: Monday): the
# weekdays after day 0 up to day n are 5 a week, plus those of the last partial week (at most 4).
_EPOCH = date(1900, 1, 1)
_IN_DATABASE = text(
    """
    SELECT delay, count(*) FROM (
      SELECT (5 * (f / 7) + least(f % 7, 4)) - (5 * (a / 7) + least(a % 7, 4))
             - (width_bucket(first_on, CAST(:holidays AS date[]))
                - width_bucket(arrived_on, CAST(:holidays AS date[]))) AS delay
      FROM (SELECT arrived_on, first_on, arrived_on - CAST(:epoch AS date) AS a,
                   first_on - CAST(:epoch AS date) AS f
            FROM perf_first_services
            WHERE fiscal_year = :fiscal_year AND arrived_on IS NOT NULL AND arrived_on <= first_on) AS pairs
    ) AS delays
    GROUP BY delay
    """
)


def first_service_delays(connection: Connection, fiscal_year: str, last_day: date) -> Counter[int]:
    """``{business days: persons}`` (``last_day``: the fiscal year's)."""
    f = perf_first_services.c
    earliest = connection.execute(select(func.min(f.arrived_on)).where(*_counted(fiscal_year))).scalar()
    if earliest is None:
        return Counter()
    holidays = holidays_between(connection, earliest, last_day)
    if backend_of(connection).date_arrays:
        return delays_in_database(connection, fiscal_year, holidays)
    return delays_in_python(connection, fiscal_year, BusinessDayCount(earliest, last_day, holidays))


def delays_in_database(connection: Connection, fiscal_year: str, holidays: frozenset[date]) -> Counter[int]:
    """PostgreSQL only. The epoch leads the thresholds: ``width_bucket`` wants at least one, and
    a threshold every day passes changes no difference. Weekend holidays are not subtracted twice."""
    thresholds = [_EPOCH, *sorted(d for d in holidays if d.weekday() < 5 and d > _EPOCH)]
    rows = connection.execute(
        _IN_DATABASE, {"holidays": thresholds, "epoch": _EPOCH, "fiscal_year": fiscal_year}
    )
    return Counter({int(delay): int(n) for delay, n in rows})


def delays_in_python(connection: Connection, fiscal_year: str, count: BusinessDayCount) -> Counter[int]:
    f = perf_first_services.c
    pairs = connection.execute(select(f.arrived_on, f.first_on).where(*_counted(fiscal_year)))
    return count.histogram((arrived, first, 1) for arrived, first in pairs)


def _counted(fiscal_year: str) -> tuple[Any, ...]:
    f = perf_first_services.c
    return (f.fiscal_year == fiscal_year, f.arrived_on.is_not(None), f.arrived_on <= f.first_on)
