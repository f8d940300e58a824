"""Anhøj's run chart rules against the limits qicharts2 publishes, and the signals on series made to have them."""

import math
from fractions import Fraction

import pytest

from tobs.reports.anhoej import crossings_limit, longest_run_limit, runs_analysis

# (useful points, upper limit for the longest run, lower limit for the number of crossings) for n = 10..100, as
# printed in qicharts2's vignette, appendix "Critical values for longest run and number of crossings" (generated
# there by round(log2(n) + 3) and qbinom(0.05, n - 1, 0.5); the package's runs.analysis() uses the same two
# expressions). Typed in from that table and checked below against two computations of our own.
QICHARTS2_LIMITS = [
    (10, 6, 2), (11, 6, 2), (12, 7, 3), (13, 7, 3), (14, 7, 4), (15, 7, 4), (16, 7, 4), (17, 7, 5), (18, 7, 5),
    (19, 7, 6), (20, 7, 6), (21, 7, 6), (22, 7, 7), (23, 8, 7), (24, 8, 8), (25, 8, 8), (26, 8, 8), (27, 8, 9),
    (28, 8, 9), (29, 8, 10), (30, 8, 10), (31, 8, 11), (32, 8, 11), (33, 8, 11), (34, 8, 12), (35, 8, 12),
    (36, 8, 13), (37, 8, 13), (38, 8, 14), (39, 8, 14), (40, 8, 14), (41, 8, 15), (42, 8, 15), (43, 8, 16),
    (44, 8, 16), (45, 8, 17), (46, 9, 17), (47, 9, 17), (48, 9, 18), (49, 9, 18), (50, 9, 19), (51, 9, 19),
    (52, 9, 20), (53, 9, 20), (54, 9, 21), (55, 9, 21), (56, 9, 21), (57, 9, 22), (58, 9, 22), (59, 9, 23),
    (60, 9, 23), (61, 9, 24), (62, 9, 24), (63, 9, 25), (64, 9, 25), (65, 9, 25), (66, 9, 26), (67, 9, 26),
    (68, 9, 27), (69, 9, 27), (70, 9, 28), (71, 9, 28), (72, 9, 29), (73, 9, 29), (74, 9, 29), (75, 9, 30),
    (76, 9, 30), (77, 9, 31), (78, 9, 31), (79, 9, 32), (80, 9, 32), (81, 9, 33), (82, 9, 33), (83, 9, 34),
    (84, 9, 34), (85, 9, 34), (86, 9, 35), (87, 9, 35), (88, 9, 36), (89, 9, 36), (90, 9, 37), (91, 10, 37),
    (92, 10, 38), (93, 10, 38), (94, 10, 39), (95, 10, 39), (96, 10, 39), (97, 10, 40), (98, 10, 40), (99, 10, 41),
    (100, 10, 41),
]


def _qbinom_05(trials: int) -> int:
    """R's qbinom(0.05, trials, 0.5) from the binomial CDF in exact fractions: the smallest k with CDF >= 0.05."""
    cdf = Fraction(0)
    for k in range(trials + 1):
        cdf += Fraction(math.comb(trials, k), 2**trials)
        if cdf >= Fraction(1, 20):
            return k
    return trials


def test_the_table_covers_every_n_from_10_to_100_once():
    assert [n for n, _, _ in QICHARTS2_LIMITS] == list(range(10, 101))


def test_the_typed_table_agrees_with_its_formulas():
    for n, run_max, crossings_min in QICHARTS2_LIMITS:
        assert round(math.log2(n) + 3) == run_max, n
        assert _qbinom_05(n - 1) == crossings_min, n


@pytest.mark.parametrize(("n", "run_max", "crossings_min"), QICHARTS2_LIMITS)
def test_limits_match_qicharts2(n, run_max, crossings_min):
    assert longest_run_limit(n) == run_max
    assert crossings_limit(n) == crossings_min


def test_limits_beyond_the_table_follow_the_same_formulas():
    for n in list(range(1, 10)) + [101, 181, 182, 362, 500, 1000]:
        assert longest_run_limit(n) == round(math.log2(n)) + 3, n
        assert crossings_limit(n) == _qbinom_05(n - 1), n
    with pytest.raises(ValueError):
        longest_run_limit(0)
    with pytest.raises(ValueError):
        crossings_limit(0)


def test_a_random_looking_series_has_no_signal():
    values = [5, 7, 4, 8, 6, 3, 9, 5, 7, 4, 8, 6, 2, 9, 5, 7, 3, 8, 4, 7]
    result = runs_analysis(values)
    assert result.centre == 6
    assert result.useful == 18  # the two 6s sit on the median
    assert not result.signal


def test_a_shift_gives_a_long_run_signal_and_marks_its_points():
    values = [5, 9, 4, 8, 6, 9, 5, 8, 4, 9, 6, 9, 9, 8, 9, 8, 9, 9, 8, 9, 9]
    result = runs_analysis(values, centre=7)
    assert result.useful == 21 and result.longest_run_max == 7
    assert result.longest_run == 10 and result.long_run_signal
    assert result.long_run_points == tuple(range(11, 21))
    assert result.signal


def test_too_few_crossings_is_a_signal_without_a_long_run():
    # 20 points in runs of 5: longest run 5 (limit 7) but 3 crossings (limit 6).
    values = ([1] * 5 + [9] * 5) * 2
    result = runs_analysis(values)
    assert result.centre == 5 and result.useful == 20
    assert result.crossings == 3 and result.crossings_min == 6
    assert result.crossings_signal and not result.long_run_signal


def test_points_on_the_centre_line_and_missing_periods_neither_break_nor_extend_a_run():
    values = [1, 1, None, 5, 1, 9, 9, 5, 9]
    result = runs_analysis(values, centre=5)
    assert result.points == 8 and result.useful == 6
    assert result.longest_run == 3 and result.crossings == 1


def test_an_empty_series_has_no_limits_and_no_signal():
    result = runs_analysis([None, None])
    assert result.centre is None and result.useful == 0 and not result.signal
