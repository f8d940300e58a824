# The handheld's strings and text helpers: every string fits the 16-column screen in both languages and every
# sentence wraps at word boundaries into the rows it has, every key the firmware asks for exists in both tables,
# only the language in use stays loaded, and the helpers wrap, format spans of time, use the decimal comma and tell
# Danish local time with its summer time. Runs on CPython and MicroPython.
import json
import os
import sys

from flow_support import DEFAULT_CONFIG, REPO, read

import tobs_core
from handheld import localtime, text, ui

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
    made += [("screen_home.py", key) for key in ("due_in", "due_over")]
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


# Sentences the flow wraps, with the rows the screen that shows them has for them; every other string is one row.
SENTENCES = {"disclaimer": 3, "need_staff": 3, "no_staff": 3, "enter_pin": 3, "wrong_pin": 3, "pin_locked": 3,
             "none_due": 3, "need_pt": 3, "pt_zero": 3, "need_value": 3, "rectal_now": 3, "remeasure": 2,
             "store_full": 5, "save_fail": 5, "no_memory": 5, "no_config": 8, "sync_keep": 2, "resume_q": 4,
             "read_all": 5}
# The widest value each placeholder takes on the device.
WIDEST = {"staff_head": 99999999, "pt_head": 99999999, "more": 99, "hint_menu": 6, "hint_opt": 6, "choose": 6,
          "hint_pick": 6, "unsynced": 99999, "sync_prog": (99999, 99999), "free": 9999, "core": "ffffffff",
          "config": "ffffffff", "temp_label": "aksillær", "minutes": 999, "hours": 168, "phone": "0123456789",
          "rel_min": 99, "rel_hours": 47, "rel_days": 99, "full": 8, "due_in": "99m", "due_over": "99m",
          "rectal_now": "35,5", "pin_locked": "15 min", "remeasure": "999 min", "resume_q": 99999999,
          # These two fall back to a shorter row when the value does not fit (screen_review, screen_action).
          "call": "læge", "fu_title": 999}


def filled(key, s):
    return s % WIDEST[key] if key in WIDEST else s


def cut_words(sentence, lines):
    """The words of sentence that lines break other than at a space or at one of its soft hyphens."""
    tokens = [(i, t) for i, line in enumerate(lines) for t in line.split(" ") if t]
    cut = []
    at = 0
    for word in sentence.split():
        pieces = word.split(text.SHY)
        k = 0
        while at < len(tokens):
            i, token = tokens[at]
            at += 1
            if token == "".join(pieces[k:]):
                break
            # A soft-hyphen break: the token ends its line with "-" and the word goes on in the next line.
            last = at == len(tokens) or tokens[at][0] != i
            for j in range(k + 1, len(pieces)):
                if last and token == "".join(pieces[k:j]) + "-":
                    k = j
                    break
            else:
                cut.append(text.plain(word))
                break
        else:
            cut.append(text.plain(word))
    return cut


def test_cut_words_finds_a_word_broken_anywhere_but_at_a_soft_hyphen():
    assert cut_words("Ukendt medarbejdernummer.", ["Ukendt", "medarbejdernumme", "r."]) == ["medarbejdernummer."]
    assert cut_words("Ukendt medarbejder\xadnummer.", ["Ukendt medarbejder-", "nummer."]) == []
    assert cut_words("Beslutnings\xadstøtte – ikke", text.wrap("Beslutnings\xadstøtte – ikke")) == []
    # What wrap() did with the staff number sentence before it had a soft hyphen: the test that would have caught it.
    assert cut_words("Ukendt medarbejdernummer.", text.wrap("Ukendt medarbejdernummer.")) == ["medarbejdernummer."]


def test_every_string_of_both_languages_renders_without_a_cut_word_or_overflow():
    for lang in ("da", "en"):
        strings = text.strings(lang)
        assert sorted(strings) == sorted(text.strings("da")), lang
        for key, s in strings.items():
            shown = filled(key, s)
            assert "%" not in shown, (lang, key, shown)
            if key in SENTENCES:
                lines = text.wrap(shown)
                assert max(len(line) for line in lines) <= 16, (lang, key, lines)
                assert len(lines) <= SENTENCES[key], (lang, key, lines)
                assert cut_words(shown, lines) == [], (lang, key, lines)
            else:
                assert text.SHY not in s and len(shown) <= 16, (lang, key, shown)
        for code, _ in tobs_core.AWARENESS:
            assert len("5 " + text.awareness(lang, code)) <= 16


def test_the_example_guidance_wraps_whole_words_and_fits_the_reviews_first_page():
    site = json.loads(read(DEFAULT_CONFIG).decode())
    for lang in ("da", "en"):
        for level in site["guidance"]:
            lines = text.wrap(level["text"][lang])
            assert cut_words(level["text"][lang], lines) == [] and max(len(line) for line in lines) <= 16
            rows = len(lines) + (2 if level["call"] else 0)
            assert rows <= 5, (lang, level["id"], lines)  # what to do and who to call, without scrolling
        for item in site["actions"] + site["reasons"]:
            assert len("6 " + item[lang]) <= 16, item


def test_every_refusal_tobs_core_can_raise_fits_the_three_message_rows():
    lows = {"pulse": 19, "resp": 2, "temp": 249, "sys_bp": 39}
    highs = {"pulse": 251, "resp": 71, "temp": 451, "sys_bp": 301}
    for lang in ("da", "en"):
        for field in ui.FIELDS:
            for value in (lows[field], highs[field]):
                try:
                    tobs_core.points_for(field, value / 10 if field == "temp" else value)
                except tobs_core.VitalError as e:
                    sentence = text.refusal(lang, e)
                    lines = text.wrap(sentence)
                    assert len(lines) <= 3 and max(len(line) for line in lines) <= 16, lines
                    assert cut_words(sentence, lines) == [], lines
                else:
                    raise AssertionError("%s %d was accepted" % (field, value))


def test_text_helpers_wrap_format_spans_of_time_and_use_the_decimal_comma():
    assert text.wrap("Hukommelse fuld – synkronisér") == ["Hukommelse fuld", "– synkronisér"]
    assert text.wrap("abcdefghijklmnopqrstu") == ["abcdefghijklmnop", "qrstu"]  # no soft hyphen: hard break
    assert text.wrap("") == []
    assert text.temp(375, "da") == "37,5" and text.temp(375, "en") == "37.5"
    assert [text.duration(m, "da") for m in (45, 60, 90, 480)] == ["45 min", "1 t", "90 min", "8 t"]
    assert [text.relative(s, "da") for s in (0, 59, 1500, -60, -6000, 7200, 3 * 86400)] == [
        "0m", "0m", "25m", "1m", "1t", "2t", "3d"]
    assert text.relative(-86400 * 500, "en") == "99d"


def test_the_clock_is_danish_local_time_with_summer_time():
    assert localtime.utc(0) == "1970-01-01 00:00" and localtime.utc(951782400) == "2000-02-29 00:00"
    assert localtime.utc(1790000000) == "2026-09-21 14:13" and localtime.utc(4102444799) == "2099-12-31 23:59"
    assert localtime.local(1790000000) == "2026-09-21 16:13"  # summer: UTC+2
    assert localtime.local(1795000000) == "2026-11-18 12:06"  # winter: UTC+1
    # 2026: summer time from Sunday 29 March 01:00 UTC (02:00 -> 03:00) to Sunday 25 October 01:00 UTC (03:00 -> 02:00).
    spring, autumn = 1774746000, 1792890000
    assert [localtime.local(t) for t in (spring - 1, spring)] == ["2026-03-29 01:59", "2026-03-29 03:00"]
    assert [localtime.local(t) for t in (autumn - 1, autumn)] == ["2026-10-25 02:59", "2026-10-25 02:00"]
    # A leap year whose last Sunday of March is the 31st, and one whose last Sunday of October is the 25th.
    assert localtime.local(1711846800) == "2024-03-31 03:00" and localtime.local(1711846799) == "2024-03-31 01:59"
    assert localtime.local(1729990800) == "2024-10-27 02:00" and localtime.local(1729990799) == "2024-10-27 02:59"
    assert localtime.copenhagen_offset(1735689600) == 3600 and localtime.clock(1735689600) == "01:00"  # New Year
