# The checks a site configuration must pass before the device uses it (see siteconfig.py). Like siteconfig_load,
# which calls it, it is unloaded after the one validation per start: on the device its code would otherwise stay
# in the heap for nothing.
import tobs_core
from handheld import text
from handheld.siteconfig import (
    GUIDANCE_MAX_LINES,
    LABEL_MAX,
    LANGUAGES,
    MAX_CHOICES,
    PHONE_MAX,
    STAFF_MAX,
    ConfigError,
)


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _need(ok, where, what):
    if not ok:
        raise ConfigError("%s: %s" % (where, what))


def _check_texts(item, where, max_len=None):
    _need(isinstance(item, dict), where, "needs da and en texts")
    for lang in LANGUAGES:
        s = item.get(lang)
        _need(isinstance(s, str) and s.strip() != "", where, "%s text missing" % lang)
        if max_len is not None:
            _need(len(s) <= max_len, where, "%s text longer than %d characters" % (lang, max_len))


def _check_level(level, i):
    where = "guidance[%d]" % i
    _need(isinstance(level, dict), where, "not an object")
    _need(isinstance(level.get("id"), str), where, "id missing")
    _check_texts(level.get("text"), where + ".text")
    for lang in LANGUAGES:
        _need(len(text.wrap(level["text"][lang])) <= GUIDANCE_MAX_LINES, where, "%s text over 4 lines" % lang)
    call = level.get("call")
    if call is not None:
        _need(isinstance(call, dict), where, "call must be an object or null")
        _check_texts(call.get("who"), where + ".call.who", LABEL_MAX)
        number = call.get("number")
        _need(isinstance(number, str) and 0 < len(number) <= PHONE_MAX, where, "call.number: 1-10 characters")
    minutes = level.get("remeasure_min")
    _need(_is_int(minutes) and 0 <= minutes <= 7 * 24 * 60, where, "remeasure_min must be 0-10080")
    for flag in ("document", "escalate"):
        _need(isinstance(level.get(flag), bool), where, "%s must be true or false" % flag)


def _check_totals(levels):
    # Total ranges in list order must tile 0..MAX_TOTAL exactly: every score has exactly one level.
    expected = 0
    any_three = 0
    for i, level in enumerate(levels):
        where = "guidance[%d]" % i
        if level.get("any_three") is True:
            _need("total" not in level, where, "a level is either any_three or a total range")
            any_three += 1
            continue
        total = level.get("total")
        _need(isinstance(total, list) and len(total) == 2, where, "total must be [from, to]")
        lo, hi = total
        _need(expected <= tobs_core.MAX_TOTAL, where, "no score is left for this level")
        _need(lo == expected, where, "total must start at %d" % expected)
        _need(hi is None or (_is_int(hi) and lo <= hi <= tobs_core.MAX_TOTAL), where, "bad end of total")
        expected = tobs_core.MAX_TOTAL + 1 if hi is None else hi + 1
    _need(expected == tobs_core.MAX_TOTAL + 1, "guidance", "totals must reach %d" % tobs_core.MAX_TOTAL)
    _need(any_three <= 1, "guidance", "at most one any_three level")


def _check_choices(items, where, minimum):
    _need(isinstance(items, list) and minimum <= len(items) <= MAX_CHOICES, where,
          "needs %d-%d entries" % (minimum, MAX_CHOICES))
    codes = []
    for i, item in enumerate(items):
        at = "%s[%d]" % (where, i)
        _need(isinstance(item, dict), at, "not an object")
        code = item.get("code")
        # Codes go into the record's one byte; 0 means "none".
        _need(_is_int(code) and 1 <= code <= 255 and code not in codes, at, "code must be a new number 1-255")
        codes.append(code)
        _check_texts(item, at, LABEL_MAX)
        _need(isinstance(item.get("observe", False), bool), at, "observe must be true or false")


def _check_staff(staff):
    _need(isinstance(staff, list) and len(staff) > 0, "staff", "needs at least one entry")
    seen = []
    for i, person in enumerate(staff):
        at = "staff[%d]" % i
        _need(isinstance(person, dict), at, "not an object")
        number = person.get("number")
        _need(_is_int(number) and 0 < number <= STAFF_MAX and number not in seen, at, "number must be new, 1-8 digits")
        seen.append(number)
        digest = person.get("pin_sha256")
        _need(isinstance(digest, str) and len(digest) == 64, at, "pin_sha256 must be 64 hex digits")
        _need(all(c in "0123456789abcdef" for c in digest), at, "pin_sha256 must be lower-case hex")


def validate(data):
    """Raise ConfigError naming the first problem in a parsed configuration."""
    _need(isinstance(data, dict), "file", "not a JSON object")
    for key in ("site_id", "site_name", "pin_salt"):
        _need(isinstance(data.get(key), str) and data[key] != "", key, "must be a non-empty text")
    _need(data.get("language") in LANGUAGES, "language", "must be da or en")
    minutes = data.get("idle_logout_min")
    _need(_is_int(minutes) and 1 <= minutes <= 120, "idle_logout_min", "must be 1-120")
    _need(isinstance(data.get("example", False), bool), "example", "must be true or false")
    levels = data.get("guidance")
    _need(isinstance(levels, list) and len(levels) > 0, "guidance", "needs at least one level")
    for i, level in enumerate(levels):
        _check_level(level, i)
    _check_totals(levels)
    _check_choices(data.get("actions"), "actions", 1)
    reasons = data.get("reasons", [])
    needs_reason = any(b["escalate"] for b in levels) and any(a.get("observe") for a in data["actions"])
    _check_choices(reasons, "reasons", 1 if needs_reason else 0)
    _check_staff(data.get("staff"))
