"""What the performance counts count, as pure rules (the tables that keep them:
:mod:`reporting.performance_tables`).

An active intervention counts in four cells: its organization's quarter, its organization's
year, the program's quarter and the program's year. Interventions add up, so they are kept at
the finest grain only (organization, quarter, code) and summed when read. Distinct persons do
not: a person is *present* in a cell while at least one active intervention puts them there, and
a cell's persons count is its number of present persons — a presence appearing or vanishing moves
the count by one, so a correction that moves an intervention to another quarter, or a
cancellation, takes the person out of a cell only when nothing else keeps them there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from gsi_kernel.fiscal import FiscalQuarter

PROGRAM = ""  # the organization of a program-wide cell
YEAR = 0  # the quarter number of a whole-year cell
RETENTION_MONTHS = 12  # the regionalization checkpoint that retention reads


class Measure(StrEnum):
    PERSONS = "persons"  # distinct persons of a cell
    INTERVENTIONS = "interventions"  # per code, (organization, quarter) cells only
    ACTION_PLANS = "action_plans"  # plans opened, (organization, quarter) cells only
    PERSONS_WITH_PLAN = "persons_with_plan"  # the program's year: served, a plan opened by its end
    PERSONS_BY_REGION = "persons_by_region"  # the program's year, per region ('' unknown)


Cell = tuple[int, str]  # (quarter number or YEAR, organization or PROGRAM)
PresenceKey = tuple[str, str, int, str]  # (person, fiscal year, quarter number or YEAR, organization)
CountKey = tuple[str, int, str, str, str]  # (fiscal year, quarter, organization, measure, code)


def fiscal_year_of(day: date) -> str:
    """``2026-2027`` for any day from April 1, 2026 to March 31, 2027."""
    start = FiscalQuarter.of(day).start_year
    return f"{start}-{start + 1}"


def quarter_number_of(day: date) -> int:
    """1 for April to June … 4 for January to March."""
    return FiscalQuarter.of(day).number


@dataclass(frozen=True, slots=True)
class Served:
    """One active intervention, as the counts see it."""

    person_id: str
    organization_id: str
    code: str
    service_date: date

    @property
    def fiscal_year(self) -> str:
        return fiscal_year_of(self.service_date)

    @property
    def quarter_number(self) -> int:
        return quarter_number_of(self.service_date)

    def cells(self) -> tuple[Cell, ...]:
        q, org = self.quarter_number, self.organization_id
        return ((q, org), (YEAR, org), (q, PROGRAM), (YEAR, PROGRAM))


@dataclass(frozen=True, slots=True)
class Change:
    """The net effect of an intervention going from ``before`` to ``after`` (either None when
    absent or cancelled): presences and intervention counts to add (negative: to take away),
    the persons concerned (whose first service may have moved), and those of them it takes an
    intervention from without giving one (who may have none left)."""

    presence: dict[PresenceKey, int]
    interventions: dict[CountKey, int]
    persons: frozenset[str]
    losing: frozenset[str] = frozenset()


def change(before: Served | None, after: Served | None) -> Change:
    presence: dict[PresenceKey, int] = {}
    interventions: dict[CountKey, int] = {}
    for served, sign in ((before, -1), (after, 1)):
        if served is None:
            continue
        fy = served.fiscal_year
        for q, org in served.cells():
            key = (served.person_id, fy, q, org)
            presence[key] = presence.get(key, 0) + sign
        count = (fy, served.quarter_number, served.organization_id, Measure.INTERVENTIONS.value, served.code)
        interventions[count] = interventions.get(count, 0) + sign
    return Change(
        {k: v for k, v in presence.items() if v},
        {k: v for k, v in interventions.items() if v},
        frozenset(s.person_id for s in (before, after) if s is not None),
        frozenset({before.person_id} - {after.person_id if after else None}) if before else frozenset(),
    )
