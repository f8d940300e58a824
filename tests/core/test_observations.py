# Whole observation sets: every parameter's points, the total and the rectal-equivalent temperature.
from vectors_support import VECTORS, check_all, score

import tobs_core


def test_observation_sets_give_the_charted_points_and_total():
    def check(case):
        args = dict((k, case[k]) for k in ("pulse", "resp", "temp", "temp_site", "sys_bp", "awareness"))
        result = tobs_core.score(**args)
        if result.points != case["points"] or result.total != case["total"]:
            return "got %r total %d" % (result.points, result.total)
        return None

    assert check_all(VECTORS["observations"], check) >= 13


def test_total_is_the_sum_of_the_points_and_stays_within_0_to_15():
    lowest = score()
    highest = tobs_core.score(135, 30, 41.0, 60, "unresponsive")
    assert lowest.total == 0
    assert highest.total == tobs_core.MAX_TOTAL == 15
    assert highest.any_three and not lowest.any_three


def test_positional_arguments_follow_the_documented_order():
    result = tobs_core.score(92, 19, 38.7, 147, "pain")
    assert result.total == 4
    assert sorted(result.points) == sorted(tobs_core.PARAMETERS)


def test_whole_numbers_given_as_floats_are_accepted():
    def check(case):
        result = score(**case["args"])
        return None if result.total == case["total"] else "total %d" % result.total

    check_all(VECTORS["whole_floats"], check)


def test_points_for_validates_one_field_as_the_ui_enters_it():
    assert tobs_core.points_for("pulse", 130) == 3
    assert tobs_core.points_for("temp", 37.5, "oral") == 1
    assert tobs_core.points_for("awareness", "pain") == 2
