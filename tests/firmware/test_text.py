# The handheld's strings and text helpers: every string fits the 16-column screen in both languages, every key
# the firmware asks for exists in both tables, only the language in use stays loaded, and the helpers wrap,
# format times and use the decimal comma. Runs on CPython and MicroPython.
import os
import sys

from flow_support import REPO, read

import tobs_core
from handheld import text, ui

HANDHELD = REPO + "firmware/lib/handheld/"


def quoted_after(source, opener):
    """Every string literal that directly follows opener in source, e.g. the keys in t("..."), where opener
    starts a name (t(" inside get(" does not count)."""
    found = []
    at = source.find(opener)
    while at >= 0:
        start = at + len(opener)
        before = source[at - 1] if at else " "
        if not (before.isalpha() or before.isdigit() or before == "_"):
            found.append(source[start : source.find('"', start)])
        at = source.find(opener, start)
    return found


def keys_asked_for():
    """(file, key) for each string key a firmware module passes to Flow.t() or text.get(), or names as a hint."""
    found = []
    for name in sorted(os.listdir(HANDHELD)):
        if not name.endswith(".py") or name.startswith("text"):
            continue
        source = read(HANDHELD + name).decode()
        keys = quoted_after(source, 't("') + quoted_after(source, 'get(lang, "')
        keys += quoted_after(source, 'get("da", "') + ["hint_" + k for k in quoted_after(source, '"hint_')]
        # t("s_" + field): a prefix, the whole keys are checked from the names they are made of.
        found += [(name, key) for key in keys if not key.endswith("_")]
    return found


def test_every_key_the_firmware_asks_for_is_in_both_tables_and_short():
    asked = keys_asked_for()
    assert len(asked) > 60 and ("screen_entry.py", "hint_temp") in asked and ("app.py", "sync_prog") in asked
    # Keys made up at run time: the review's short names and the awareness menu.
    made = [("screen_review.py", "s_" + field) for field in ui.FIELDS + (ui.AWARENESS,)]
    made += [("text.py", "aw_" + code) for code, _ in tobs_core.AWARENESS]
    for lang in ("da", "en"):
        table = text.strings(lang)
        for source, key in asked + made:
            assert key in table, (lang, source, key)
    for source, key in asked:
        # Longer literals would be string objects in the modules' heap instead of shared interned names.
        assert len(key) <= 10, (source, key)


def test_an_unknown_key_is_an_error_and_an_unknown_language_reads_danish():
    try:
        text.get("da", "no_such")
    except KeyError:
        pass
    else:
        raise AssertionError("an unknown key was answered")
    assert text.get("sv", "saved") == "Gemt" and text.get("en", "saved") == "Saved"


def test_only_the_language_in_use_is_held_and_not_its_module():
    assert text.get("en", "status") == "Status" and text.get("da", "hint_yesno") == "#=ja  *=nej"
    assert "handheld.text_da" not in sys.modules and "handheld.text_en" not in sys.modules
    import handheld

    assert not hasattr(handheld, "text_da") and not hasattr(handheld, "text_en")


def test_every_row_string_fits_sixteen_columns_in_both_languages():
    # Sentences are wrapped by the flow; every other string is one screen row, checked with its widest value.
    sentences = ("disclaimer", "need_staff", "no_staff", "enter_pin", "wrong_pin", "none_due",
                 "need_pt", "pt_zero", "need_value", "rectal_now", "call", "remeasure", "store_full",
                 "save_fail", "no_config", "sync_keep")
    widest = {"staff_head": 99999999, "pt_head": 99999999, "more": 99, "hint_menu": 6, "choose": 6,
              "unsynced": 99999, "sync_prog": (99999, 99999), "free": 9999, "core": "ffffffff", "config": "ffffffff",
              "temp_label": "aksillær", "minutes": 999, "hours": 168, "phone": "0123456789", "rel_min": 99,
              "rel_hours": 47, "rel_days": 99}
    for lang in ("da", "en"):
        strings = text.strings(lang)
        assert sorted(strings) == sorted(text.strings("da")), lang
        for key, s in strings.items():
            if key in sentences:
                for line in text.wrap(s % "35,5" if "%" in s else s):
                    assert len(line) <= 16, (lang, key, line)
                continue
            shown = s % widest[key] if key in widest else s
            assert "%" not in shown and len(shown) <= 16, (lang, key, shown)
        for code, _ in tobs_core.AWARENESS:
            assert len("5 " + text.awareness(lang, code)) <= 16


def test_every_refusal_tobs_core_can_raise_fits_the_three_message_rows():
    lows = {"pulse": 19, "resp": 2, "temp": 249, "sys_bp": 39}
    highs = {"pulse": 251, "resp": 71, "temp": 451, "sys_bp": 301}
    for lang in ("da", "en"):
        for field in ui.FIELDS:
            for value in (lows[field], highs[field]):
                try:
                    tobs_core.points_for(field, value / 10 if field == "temp" else value)
                except tobs_core.VitalError as e:
                    lines = text.wrap(text.refusal(lang, e))
                    assert len(lines) <= 3 and max(len(line) for line in lines) <= 16, lines
                else:
                    raise AssertionError("%s %d was accepted" % (field, value))


def test_text_helpers_wrap_format_times_and_use_the_decimal_comma():
    assert text.wrap("Hukommelse fuld – synkronisér") == ["Hukommelse fuld", "– synkronisér"]
    assert text.wrap("abcdefghijklmnopqrstu") == ["abcdefghijklmnop", "qrstu"]  # no soft hyphen: hard break
    assert text.wrap("") == []
    assert text.temp(375, "da") == "37,5" and text.temp(375, "en") == "37.5"
    assert [text.duration(m, "da") for m in (45, 60, 90, 480)] == ["45 min", "1 t", "90 min", "8 t"]
    assert [text.relative(s, "da") for s in (0, 59, 1500, -60, -6000, 7200, 3 * 86400)] == [
        "0m", "0m", "25m", "-1m", "-1t", "2t", "3d"]
    assert text.relative(-86400 * 500, "en") == "-99d"
    assert text.utc(0) == "1970-01-01 00:00" and text.utc(951782400) == "2000-02-29 00:00"
    assert text.utc(1790000000) == "2026-09-21 14:13" and text.utc(4102444799) == "2099-12-31 23:59"


