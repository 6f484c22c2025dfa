"""A measure against its peer, in rounds (issue 23): A B, B A, A B… so that whatever else the
machine does weighs on both alike, then the medians. Each run gives its rate and what it cost
per operation — this process's CPU (or the server's) and, apart, PostgreSQL's backends' — and
the ratio of A to B is taken in each round (the two ran back to back), then its median.

Pure but for :func:`compare`, which runs the two callables it is given.
"""

from __future__ import annotations

import os
import statistics
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

LABEL = 52  # the label's column: bench.revisions reads "label  figure" lines


@dataclass(frozen=True)
class Figures:
    """One run: operations per second, CPU milliseconds per operation of the client (or the
    server's processes) and of PostgreSQL's backends (None where no database is involved)."""

    rate: float
    cpu_ms: float
    pg_ms: float | None = None


@dataclass
class Comparison:
    """A measure (A) against its baseline or peer (B), run after run."""

    a: str
    b: str
    runs_a: list[Figures] = field(default_factory=list)
    runs_b: list[Figures] = field(default_factory=list)

    def ratios(self) -> list[float]:
        """A's rate over B's in each round (the two measured back to back)."""
        return [x.rate / y.rate for x, y in zip(self.runs_a, self.runs_b, strict=False) if y.rate]


def order(rounds: int) -> Iterator[tuple[int, str]]:
    """(round, "A" or "B"): A B, B A, A B…"""
    for number in range(1, rounds + 1):
        yield from ((number, side) for side in (("A", "B") if number % 2 else ("B", "A")))


def median(runs: Sequence[Figures]) -> Figures:
    """Each figure's median over the runs (PostgreSQL's only when every run has one)."""
    pg = [r.pg_ms for r in runs if r.pg_ms is not None]
    return Figures(
        rate=statistics.median(r.rate for r in runs),
        cpu_ms=statistics.median(r.cpu_ms for r in runs),
        pg_ms=statistics.median(pg) if pg and len(pg) == len(runs) else None,
    )


def line(label: str, figures: Figures, ratio: str = "") -> str:
    """``label  rate/s  cpu … ms/op  pg … ms/op  ratio``."""
    pg = f"pg {figures.pg_ms:5.2f} ms/op" if figures.pg_ms is not None else " " * 16
    return (
        f"{label:<{LABEL}}  {figures.rate:>10,.0f}/s  cpu {figures.cpu_ms:6.3f} ms/op  {pg}  {ratio}".rstrip()
    )


def cost(figures: Figures) -> float:
    """CPU milliseconds per operation, the client's (or server's) and PostgreSQL's together."""
    return figures.cpu_ms + (figures.pg_ms or 0.0)


def summary(comparison: Comparison) -> list[str]:
    """The medians of both sides; A's line carries the median of the rounds' rate ratios
    (min–max) and how much more CPU (its own and PostgreSQL's) A spent per operation than B."""
    a, b, ratios = median(comparison.runs_a), median(comparison.runs_b), comparison.ratios()
    spread = f" ({min(ratios):.2f}–{max(ratios):.2f})" if len(ratios) > 1 else ""
    ratio = f"{statistics.median(ratios):.2f}×{spread} the rate below" if ratios else ""
    if ratios and cost(b):
        ratio += f", {cost(a) / cost(b):.2f}× its CPU per op"
    return [line(comparison.a, a, ratio), line(comparison.b, b, "1.00")]


def compare(
    a: tuple[str, Callable[[], Figures]],
    b: tuple[str, Callable[[], Figures]],
    rounds: int,
    show: Callable[[str], None] = lambda text: print(text, flush=True),
) -> Comparison:
    """Run A and B in turns for ``rounds`` rounds; show each run as it ends (with the load
    average: the machine is shared), then the medians."""
    comparison = Comparison(a[0], b[0])
    for number, side in order(rounds):
        label, run = a if side == "A" else b
        figures = run()
        (comparison.runs_a if side == "A" else comparison.runs_b).append(figures)
        show(f"  {line(f'{number}{side} {label}'[: LABEL - 2], figures, f'load {os.getloadavg()[0]:.1f}')}")
    for text in summary(comparison):
        show(text)
    return comparison
