"""Anhøj's rules for run charts: an unusually long run on one side of the centre line, or unusually few crossings
of it, says the process has shifted (non-random variation). The limits are the ones qicharts2 uses."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from math import comb


def longest_run_limit(n: int) -> int:
    """Upper prediction limit for the longest run among n useful points: round(log2(n)) + 3 (Schilling).

    Computed in whole numbers: round(log2 n) = k exactly when 2^(2k-1) <= n² < 2^(2k+1), which is
    (n²).bit_length() // 2; log2 of a whole number is never exactly k + 0.5, so there is no tie to break."""
    if n < 1:
        raise ValueError("a run chart needs at least one useful point")
    return (n * n).bit_length() // 2 + 3


def crossings_limit(n: int) -> int:
    """Lower prediction limit for the number of crossings among n useful points: the 5 % quantile of the binomial
    distribution with n - 1 trials and p = 0.5 (R's qbinom(0.05, n - 1, 0.5)), i.e. the smallest k with
    P(X <= k) >= 0.05, in exact integer arithmetic (20 · Σ C(n-1, i) >= 2^(n-1))."""
    if n < 1:
        raise ValueError("a run chart needs at least one useful point")
    trials = n - 1
    total = 1 << trials
    cumulative = 0
    for k in range(trials + 1):
        cumulative += comb(trials, k)
        if 20 * cumulative >= total:
            return k
    return trials


@dataclass(frozen=True)
class RunsAnalysis:
    """The run chart's verdict. `useful` counts the points off the centre line (the only ones counted)."""

    centre: float | None
    points: int
    useful: int
    longest_run: int
    longest_run_max: int | None
    crossings: int
    crossings_min: int | None
    # Indexes (into the series given) of the points in a run longer than the limit: the ones to mark.
    long_run_points: tuple[int, ...] = field(default=())

    @property
    def long_run_signal(self) -> bool:
        return self.longest_run_max is not None and self.longest_run > self.longest_run_max

    @property
    def crossings_signal(self) -> bool:
        return self.crossings_min is not None and self.crossings < self.crossings_min

    @property
    def signal(self) -> bool:
        return self.long_run_signal or self.crossings_signal


def median(values: Sequence[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


def runs_analysis(values: Sequence[float | None], centre: float | None = None) -> RunsAnalysis:
    """Anhøj's rules for a series; None marks a period without data (left out, it neither breaks nor extends a run).

    The centre line is the median of the points unless given. Points on the centre line are left out when runs and
    crossings are counted, as qicharts2 does."""
    if centre is None:
        centre = median(values)
    sides: list[tuple[int, int]] = []  # (index, +1 above / -1 below)
    for index, value in enumerate(values):
        if value is None or centre is None or value == centre:
            continue
        sides.append((index, 1 if value > centre else -1))
    points = sum(v is not None for v in values)
    if not sides:
        return RunsAnalysis(centre, points, 0, 0, None, 0, None)
    runs: list[list[int]] = [[sides[0][0]]]
    for (_, previous), (index, side) in zip(sides, sides[1:], strict=False):
        if side == previous:
            runs[-1].append(index)
        else:
            runs.append([index])
    useful = len(sides)
    run_max = longest_run_limit(useful)
    marked = tuple(i for run in runs if len(run) > run_max for i in run)
    return RunsAnalysis(
        centre=centre, points=points, useful=useful, longest_run=max(len(r) for r in runs), longest_run_max=run_max,
        crossings=len(runs) - 1, crossings_min=crossings_limit(useful), long_run_points=marked,
    )
