# Temperature sites: oral +0.5, axillary +1.0, and the rule that sends non-rectal extremes to rectal.
from vectors_support import VECTORS, check_all, observation, raised

import tobs_core
import tobs_labels


def test_each_site_is_corrected_and_scored_or_sent_to_rectal():
    def check(case):
        args = observation(temp=case["temp"], temp_site=case["site"])
        error = raised(tobs_core.score, **args)
        if case.get("rectal_required"):
            return None if isinstance(error, tobs_core.RectalRequired) and error.field == "temp" else "got %r" % error
        if case.get("implausible"):
            ok = type(error) is tobs_core.VitalError and error.field == "temp"
            return None if ok else "got %r" % error
        if error is not None:
            return "raised %r" % error
        result = tobs_core.score(**args)
        if result.points["temp"] != case["points"]:
            return "points %d" % result.points["temp"]
        if result.temp_scored_tenths != round(case["scored"] * 10) or abs(result.temp_scored - case["scored"]) > 1e-9:
            return "scored %r" % result.temp_scored
        return None

    check_all(VECTORS["sites"], check)


def test_rectal_required_is_a_vital_error_for_callers_that_only_catch_that():
    error = raised(tobs_core.score, **observation(temp=35.0, temp_site="oral"))
    assert isinstance(error, tobs_core.VitalError)
    assert isinstance(error, ValueError)
    assert "36" in tobs_labels.message(error, "da") and "rektalt" in tobs_labels.message(error, "da")


def test_temperatures_compare_exactly_in_tenths():
    # 0.1 steps that are not exact in binary floating point must still land in the right band.
    assert tobs_core.temp_tenths(37.9) == 379
    assert tobs_core.temp_tenths(38.0) == 380
    assert tobs_core.temp_tenths(35.9) == 359
    assert tobs_core.temp_tenths(36.0) == 360
    assert tobs_core.temp_tenths(37.4 + 0.5) == 379
    assert tobs_core.temp_tenths(38) == 380
