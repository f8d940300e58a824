# Both edges of every band of every parameter, and the plausibility limits on both sides.
from vectors_support import VECTORS, check_all, observation, raised, score

import tobs_core


def test_every_band_edge_scores_as_charted():
    def check(case):
        field, value, expected = case
        result = score(**{field: value})
        if result.points[field] != expected:
            return "got %d points" % result.points[field]
        if result.total != expected:
            return "total %d, other fields should score 0" % result.total
        return None

    assert check_all(VECTORS["edges"], check) >= 49


def test_values_just_outside_plausibility_are_refused_naming_the_field():
    def check(case):
        field, value = case
        error = raised(tobs_core.score, **observation(**{field: value}))
        if error is None:
            return "was accepted"
        if error.field != field or type(error) is not tobs_core.VitalError:
            return "raised %r for field %s" % (error, error.field)
        return None

    check_all(VECTORS["implausible"], check)


def test_every_value_in_the_plausible_range_falls_in_exactly_one_band():
    # Guards the table itself: no gap (a value nobody scores) and no overlap (two answers).
    for name, bands in tobs_core.BANDS:
        lo, hi = [(lo, hi) for n, lo, hi in tobs_core.PLAUSIBLE if n == name][0]
        for value in range(lo, hi + 1):
            hits = [p for b_lo, b_hi, p in bands if (b_lo is None or value >= b_lo) and (b_hi is None or value <= b_hi)]
            assert len(hits) == 1, "%s %d falls in %d bands" % (name, value, len(hits))


def test_bp_of_200_and_more_scores_two_not_three():
    assert score(sys_bp=200).points["sys_bp"] == 2
    assert score(sys_bp=300).points["sys_bp"] == 2


def test_the_charts_gaps_are_closed_as_the_specification_resolves_them():
    assert score(pulse=39).points["pulse"] == 2
    assert score(resp=25).points["resp"] == 3
