# Input that cannot be scored: one VitalError naming the field, in English and Danish.
from vectors_support import VECTORS, check_all, observation, raised

import tobs_core
import tobs_labels


def test_invalid_values_raise_vital_error_naming_the_first_bad_field():
    def check(case):
        error = raised(tobs_core.score, **observation(**case["args"]))
        if error is None:
            return "was accepted"
        return None if error.field == case["field"] else "named %s" % error.field

    check_all(VECTORS["invalid"], check)


def test_not_a_number_and_infinity_are_refused():
    nan = float("nan")
    inf = float("inf")
    for field in ("pulse", "resp", "sys_bp", "temp"):
        for value in (nan, inf, -inf):
            error = raised(tobs_core.score, **observation(**{field: value}))
            assert error is not None and error.field == field, (field, value, error)


def test_messages_are_one_sentence_naming_the_field_in_both_languages():
    error = raised(tobs_core.score, **observation(pulse=400))
    # The chart says why in codes; the words are tobs_labels'.
    assert (error.field, error.reason, error.lo, error.hi) == ("pulse", "range", 20, 250)
    assert tobs_labels.message(error, "en") == "Pulse must be between 20 and 250."
    assert tobs_labels.message(error, "da") == "Puls skal være mellem 20 og 250."
    error = raised(tobs_core.score, **observation(temp=45.5))
    assert tobs_labels.message(error, "da") == "Temperatur skal være mellem 25,0 og 45,0."
    assert tobs_labels.message(error, "en") == "Temperature must be between 25.0 and 45.0."


def test_every_field_and_awareness_level_has_danish_and_english_labels():
    for lang in ("da", "en"):
        labels = tobs_labels.LABELS[lang]
        for key in tobs_core.PARAMETERS + ("temp_site",):
            assert labels[key], (lang, key)
        for code, _points in tobs_core.AWARENESS:
            assert labels[code], (lang, code)
        for site, _offset in tobs_core.TEMP_SITES:
            assert labels[site], (lang, site)
    assert tobs_labels.LABELS["da"]["axillary"] == "aksillær"
