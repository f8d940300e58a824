# CORE_ID proves which chart scored a record: derived from the tables, and changed by any change.
from vectors_support import VECTORS

import tobs_core


def test_core_id_is_the_reviewed_chart():
    # If this fails the chart itself changed: that needs clinical review and a new reviewed ID here.
    assert tobs_core.CORE_ID == VECTORS["core_id"]


def test_core_id_is_derived_from_the_tables():
    assert tobs_core.CORE_ID == tobs_core.fingerprint(
        tobs_core.BANDS, tobs_core.AWARENESS, tobs_core.TEMP_SITES, tobs_core.RECTAL_RANGE
    )
    assert len(tobs_core.CORE_ID) == 8
    assert all(c in "0123456789abcdef" for c in tobs_core.CORE_ID)


def test_changing_any_band_edge_changes_the_core_id():
    seen = set([tobs_core.CORE_ID])
    for i, (name, bands) in enumerate(tobs_core.BANDS):
        for j, (lo, hi, points) in enumerate(bands):
            changed = list(tobs_core.BANDS)
            moved = list(bands)
            moved[j] = (lo, (hi or 0) + 1, points)
            changed[i] = (name, tuple(moved))
            ident = tobs_core.fingerprint(
                tuple(changed), tobs_core.AWARENESS, tobs_core.TEMP_SITES, tobs_core.RECTAL_RANGE
            )
            assert ident not in seen, (name, j)
            seen.add(ident)
    other_site = (("rectal", 0), ("oral", 5), ("axillary", 5))
    assert tobs_core.fingerprint(tobs_core.BANDS, tobs_core.AWARENESS, other_site, tobs_core.RECTAL_RANGE) not in seen


def test_the_chart_file_holds_no_words_and_moving_them_kept_the_core_id():
    # Labels and messages moved from tobs_core to tobs_labels, which is not a clinical change: the reviewed ID
    # stays what it was before the move.
    assert tobs_core.CORE_ID == "471dd1d7"
    for name in ("LABELS", "UNITS", "format_tenths", "_MESSAGES"):
        assert not hasattr(tobs_core, name), name
