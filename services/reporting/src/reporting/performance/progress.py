"""Performance against targets: an actual count against its target, and the targets of an
organization's agreements summed by period, measure and code; the median of counted values.
Pure arithmetic."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Progress:
    """An actual count against its target: ``pct`` is None where there is no (or a zero) target."""

    actual: int
    target: int | None
    pct: float | None


def progress(actual: int, target: int | None) -> Progress:
    pct = round(100 * actual / target, 1) if target else None
    return Progress(actual, target, pct)


def targets_by_key(rows: Sequence[Mapping[str, object]]) -> dict[tuple[str, str, str], int]:
    """``(period, measure, code) -> value`` from target rows, summed: where a fiscal year spans two
    agreements (one ending, the next starting), each sets the targets of its own part."""
    totals: dict[tuple[str, str, str], int] = {}
    for row in rows:
        key = (str(row["period"]), str(row["measure"]), str(row["code"]))
        value = row["value"]
        assert isinstance(value, int)
        totals[key] = totals.get(key, 0) + value
    return totals


def median_of(histogram: Counter[int]) -> float:
    """The median of the values a histogram counts (``{value: how many}``, at least one), as
    :func:`statistics.median` gives it: the middle value, or the mean of the two middle ones."""
    values, total = sorted(histogram), histogram.total()

    def at(position: int) -> int:
        seen = 0
        for value in values:
            seen += histogram[value]
            if position < seen:
                return value
        raise ValueError("an empty histogram has no median")

    if total % 2:
        return at(total // 2)
    return (at(total // 2 - 1) + at(total // 2)) / 2
