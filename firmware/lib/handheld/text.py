# Every string the handheld shows, planned for a 16x8-character screen, looked up by key in the language in use
# (Danish, the default, or English); plus the helpers that shape text for the screen: word wrap, durations, spans
# of time. The clock in Danish time is localtime.py's.
import handheld
import tobs_labels

WIDTH = 16
# Soft hyphen: wrap() may break a long word here and then shows "-"; elsewhere it is dropped.
SHY = "\xad"

# The string tables live in text_da.py and text_en.py as "key=text" lines. Only the language in use is held in
# the heap (the module that holds it is unloaded again, keeping just its one string). Keys are at most 10
# characters, so that the firmware's own modules hold them as cheap interned strings, not as objects. Strings used
# as one screen row are at most 16 characters (tests check it); the "wrapped" ones are sentences that wrap() breaks
# into rows. "%" placeholders are filled with small numbers or short names.
_table = None  # (language, its STRINGS)


def _strings_of(lang):
    global _table
    lang = "en" if lang == "en" else "da"
    table = _table
    if table is None or table[0] != lang:
        table = _table = None  # the old table can go before the new one is loaded
        if lang == "en":
            from handheld import text_en as module
        else:
            from handheld import text_da as module
        table = _table = (lang, module.STRINGS)
        handheld.unload("text_" + lang)
    return table[1]


def get(lang, key):
    """The string for key in lang; an unknown language falls back to Danish. KeyError for an unknown key."""
    table = _strings_of(lang)
    start = table.find("\n" + key + "=")
    if start < 0:
        raise KeyError(key)
    start += len(key) + 2
    return table[start : table.find("\n", start)]


def strings(lang):
    """The whole string table of a language as a dict (for checks; the device looks strings up one by one)."""
    found = {}
    for line in _strings_of(lang).split("\n"):
        if line:
            key, _, value = line.partition("=")
            found[key] = value
    return found


def label(lang, code):
    """The chart's label for a field or code (Puls, rektal, ...)."""
    return tobs_labels.label(lang, code)


def unit(field):
    """The unit shown after a value: /min, °C, mmHg."""
    return tobs_labels.UNITS[field]


def refusal(lang, error):
    """The one sentence naming the field for a value the chart cannot score (a tobs_core.VitalError)."""
    return tobs_labels.message(error, lang)


def awareness(lang, code):
    """The awareness menu's short label for a tobs_core awareness code ("5 Ingen reaktion" is the widest row:
    tobs_core's own labels are longer than a menu row)."""
    return get(lang, "aw_" + code)


def temp(tenths, lang):
    """Danish decimal comma: 375 -> '37,5'."""
    return tobs_labels.format_tenths(tenths, lang)


def plain(s):
    """s without soft hyphens (for logs and comparisons)."""
    return s.replace(SHY, "")


def _split_word(word, width, out):
    # A word longer than the line: break at its last soft hyphen that fits, else hard at the width.
    while len(word) > width:
        cut = word.rfind(SHY, 0, width)
        if cut > 0:
            out.append(word[:cut] + "-")
            word = word[cut + 1:]
        else:
            out.append(word[:width])
            word = word[width:]
    return word


def wrap(s, width=WIDTH):
    """s broken into lines of at most width characters, at spaces (and soft hyphens inside long words)."""
    lines = []
    line = ""
    for word in s.split():
        if len(plain(word)) > width:
            if line:
                lines.append(line)
            line = _split_word(word, width, lines)
            line = plain(line)
            continue
        word = plain(word)
        if not line:
            line = word
        elif len(line) + 1 + len(word) <= width:
            line = line + " " + word
        else:
            lines.append(line)
            line = word
    if line:
        lines.append(line)
    return lines


def duration(minutes, lang):
    """A re-measure interval: '45 min', '2 t' (whole hours), '90 min'."""
    if minutes >= 60 and minutes % 60 == 0:
        return get(lang, "hours") % (minutes // 60)
    return get(lang, "minutes") % minutes


def relative(seconds, lang):
    """A short span of time, at most 3 characters: '25m', '3t', '2d' (the sign is for the caller's words)."""
    minutes = abs(seconds) // 60
    if minutes < 100:
        return get(lang, "rel_min") % minutes
    if minutes < 48 * 60:
        return get(lang, "rel_hours") % (minutes // 60)
    return get(lang, "rel_days") % min(99, minutes // (24 * 60))
