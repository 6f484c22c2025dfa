"""12-month regional retention (docs/domain.md, "Targets and performance"): among the persons whose
regionalization follow-up has its 12-month checkpoint outcome recorded, the share who stayed —
per destination region and program-wide. Pure arithmetic over the recorded outcomes.

A fiscal year's figure is the cohort whose 12-month checkpoint fell due in that year (a late
recording still counts where the checkpoint belongs). Persons are counted once: a person with two
follow-ups counts once in each of their destination regions and once program-wide, as stayed if
either outcome is. Every recorded outcome counts, ``unknown`` (no contact) included: the share is
of the persons followed up, not only of those reached; the counts of each outcome are given too.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

OUTCOMES = ("stayed", "moved", "unknown")


@dataclass(frozen=True, slots=True)
class Retention:
    """``region`` is None for the program-wide figure."""

    region: str | None
    persons: int  # with a 12-month outcome recorded
    stayed: int
    moved: int
    unknown: int

    @property
    def retention_pct(self) -> float | None:
        return round(100 * self.stayed / self.persons, 1) if self.persons else None


def retention(outcomes: Iterable[tuple[str, str, str]]) -> tuple[Retention, list[Retention]]:
    """From ``(destination region, person, outcome)`` of the cohort: the program-wide figure and
    one per destination region, by region code."""
    rows = list(outcomes)
    regions = sorted({region for region, _, _ in rows})
    per_region = [_figure(region, [(p, o) for r, p, o in rows if r == region]) for region in regions]
    return _figure(None, [(p, o) for _, p, o in rows]), per_region


def _figure(region: str | None, outcomes: list[tuple[str, str]]) -> Retention:
    by_outcome = {outcome: {p for p, o in outcomes if o == outcome} for outcome in OUTCOMES}
    stayed = by_outcome["stayed"]
    moved = by_outcome["moved"] - stayed
    unknown = by_outcome["unknown"] - stayed - moved
    return Retention(region, len({p for p, _ in outcomes}), len(stayed), len(moved), len(unknown))
