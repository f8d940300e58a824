# The site's own configuration (TOBS-SPEC section 4, local variation): guidance per score, who to call,
# re-measure intervals, actions taken and reasons, staff with PIN hashes, language and idle logout. Never the chart.
#
# site.json in the storage folder wins; a missing or broken one falls back to the example default shipped with
# the firmware, so a bad file can never brick the device (the status screen then shows the warning).
import json
import os
from binascii import hexlify

import tobs_core
from handheld import text

try:
    from hashlib import sha256
except ImportError:  # pragma: no cover - very small MicroPython builds name it uhashlib
    from uhashlib import sha256  # type: ignore

SITE_FILE = "site.json"
DEFAULT_FILE = "site_default.json"
LANGUAGES = ("da", "en")
LABEL_MAX = text.WIDTH - 2  # a menu row is "1 " + label
GUIDANCE_MAX_LINES = 4
MAX_CHOICES = 6  # menu rows between the title row and the hint row
MAX_FILE_BYTES = 16384  # far above a real table; refuses a file that would exhaust the heap
STAFF_MAX = 99999999  # eight keypad digits
PHONE_MAX = 10  # "Phone " + number on one row


class ConfigError(ValueError):
    """The configuration is not usable; the message names the part that is wrong (English, for the log)."""


def _join(root, name):
    return root.rstrip("/") + "/" + name


def _firmware_folder():
    # This file is <fw>/lib/handheld/siteconfig.py (on the Pico /lib/handheld/siteconfig.mpy): the default
    # configuration sits in <fw>, next to main.py. Made absolute now in case the board changes folder later.
    path = __file__
    if not path.startswith("/"):
        path = os.getcwd().rstrip("/") + "/" + path
    for _ in range(3):
        path = path[: path.rfind("/")]
    return path or "/"


DEFAULT_PATH = _join(_firmware_folder(), DEFAULT_FILE)


def config_id(data):
    """Eight hex digits of SHA-256 over the file's bytes: the record says which configuration guided it."""
    return hexlify(sha256(data).digest()[:4]).decode()


def pin_hash(salt, staff, pin):
    """Hex SHA-256 of '<salt>:<staff>:<pin>'; the staff number in the text keeps equal PINs from matching."""
    return hexlify(sha256(("%s:%d:%s" % (salt, staff, pin)).encode()).digest()).decode()


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


def _check_band(band, i):
    where = "bands[%d]" % i
    _need(isinstance(band, dict), where, "not an object")
    _need(isinstance(band.get("id"), str), where, "id missing")
    _check_texts(band.get("text"), where + ".text")
    for lang in LANGUAGES:
        _need(len(text.wrap(band["text"][lang])) <= GUIDANCE_MAX_LINES, where, "%s text over 4 lines" % lang)
    call = band.get("call")
    if call is not None:
        _need(isinstance(call, dict), where, "call must be an object or null")
        _check_texts(call.get("who"), where + ".call.who", LABEL_MAX)
        number = call.get("number")
        _need(isinstance(number, str) and 0 < len(number) <= PHONE_MAX, where, "call.number: 1-10 characters")
    minutes = band.get("remeasure_min")
    _need(_is_int(minutes) and 0 <= minutes <= 7 * 24 * 60, where, "remeasure_min must be 0-10080")
    for flag in ("document", "escalate"):
        _need(isinstance(band.get(flag), bool), where, "%s must be true or false" % flag)


def _check_totals(bands):
    # Total ranges in list order must tile 0..MAX_TOTAL exactly: every score has exactly one band.
    expected = 0
    any_three = 0
    for i, band in enumerate(bands):
        where = "bands[%d]" % i
        if band.get("any_three") is True:
            _need("total" not in band, where, "a band is either any_three or a total range")
            any_three += 1
            continue
        total = band.get("total")
        _need(isinstance(total, list) and len(total) == 2, where, "total must be [from, to]")
        lo, hi = total
        _need(expected <= tobs_core.MAX_TOTAL, where, "no score is left for this band")
        _need(lo == expected, where, "total must start at %d" % expected)
        _need(hi is None or (_is_int(hi) and lo <= hi <= tobs_core.MAX_TOTAL), where, "bad end of total")
        expected = tobs_core.MAX_TOTAL + 1 if hi is None else hi + 1
    _need(expected == tobs_core.MAX_TOTAL + 1, "bands", "totals must reach %d" % tobs_core.MAX_TOTAL)
    _need(any_three <= 1, "bands", "at most one any_three band")


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
    bands = data.get("bands")
    _need(isinstance(bands, list) and len(bands) > 0, "bands", "needs at least one band")
    for i, band in enumerate(bands):
        _check_band(band, i)
    _check_totals(bands)
    _check_choices(data.get("actions"), "actions", 1)
    reasons = data.get("reasons", [])
    needs_reason = any(b["escalate"] for b in bands) and any(a.get("observe") for a in data["actions"])
    _check_choices(reasons, "reasons", 1 if needs_reason else 0)
    _check_staff(data.get("staff"))


class SiteConfig:
    """A validated configuration. .config_id, .path, .example, .warning (why site.json was not used, or None)."""

    def __init__(self, data, cid, path, warning=None):
        self.data = data
        self.config_id = cid
        self.path = path
        self.warning = warning
        self.example = data.get("example", False)
        self.site_id = data["site_id"]
        self.site_name = data["site_name"]
        self.language = data["language"]
        self.idle_logout_min = data["idle_logout_min"]
        self.bands = data["bands"]
        self.actions = data["actions"]
        self.reasons = data.get("reasons", [])
        self._salt = data["pin_salt"]
        self._staff = data["staff"]

    @property
    def idle_ms(self):
        return self.idle_logout_min * 60000

    def band_for(self, total, any_three):
        """The last (most urgent) band that matches the total or, with a parameter at 3, the any_three rule."""
        found = None
        for band in self.bands:
            if band.get("any_three"):
                if any_three:
                    found = band
            else:
                lo, hi = band["total"]
                if total >= lo and (hi is None or total <= hi):
                    found = band
        if found is None:
            raise ConfigError("no band for total %d" % total)
        return found

    def guidance(self, score):
        """The action band for a tobs_core.Score."""
        return self.band_for(score.total, score.any_three)

    def text(self, item, lang=None):
        """The da/en text of a configuration item (band text, call.who, action, reason)."""
        return item.get(lang or self.language) or item["da"]

    def staff(self, number):
        for person in self._staff:
            if person["number"] == number:
                return person
        return None

    def has_staff(self, number):
        return self.staff(number) is not None

    def check_pin(self, number, pin):
        person = self.staff(number)
        if person is None or not isinstance(pin, str) or not pin:
            return False
        expected = person["pin_sha256"]
        given = pin_hash(self._salt, number, pin)
        if len(given) != len(expected):
            return False
        # Compared in full every time so the time taken says nothing about how many digits matched.
        diff = 0
        for i in range(len(expected)):
            diff |= ord(expected[i]) ^ ord(given[i])
        return diff == 0

    def action(self, code):
        for item in self.actions:
            if item["code"] == code:
                return item
        return None


def parse(data, path="site.json", warning=None):
    """A SiteConfig from a file's bytes; ConfigError (or ValueError from JSON) when unusable."""
    if len(data) > MAX_FILE_BYTES:
        raise ConfigError("file is %d bytes, at most %d" % (len(data), MAX_FILE_BYTES))
    return _config(json.loads(data.decode("utf-8")), config_id(data), path, warning)


def _config(parsed, cid, path, warning):
    validate(parsed)
    # The comment is for people editing the file; the device has no use for it in its heap.
    parsed.pop("comment", None)
    return SiteConfig(parsed, cid, path, warning)


def read_file(path, warning=None):
    """parse() for a file, streamed: neither the bytes nor the text of the file is held whole in the heap.
    None when the file does not exist."""
    try:
        size = os.stat(path)[6]
    except OSError as e:
        if e.args and e.args[0] == 2:  # ENOENT
            return None
        raise
    if size > MAX_FILE_BYTES:
        raise ConfigError("%s is %d bytes, at most %d" % (path, size, MAX_FILE_BYTES))
    digest = sha256()
    buf = bytearray(256)
    view = memoryview(buf)
    with open(path, "rb") as f:
        while True:
            n = f.readinto(buf)
            if not n:
                break
            digest.update(view[:n])
        f.seek(0)
        parsed = json.load(f)
    return _config(parsed, hexlify(digest.digest()[:4]).decode(), path, warning)


def load(root, default_path=None):
    """storage_root/site.json if it is usable, else the shipped default with .warning saying why."""
    site_path = _join(root, SITE_FILE)
    warning = None
    try:
        site = read_file(site_path)
        if site is not None:
            return site
    except Exception as e:  # noqa: BLE001 - any fault in the site's file falls back to the default, reported
        warning = "%s not used: %s" % (SITE_FILE, e)
    default_path = default_path or DEFAULT_PATH
    site = read_file(default_path, warning)
    if site is None:
        raise ConfigError("no %s and no default configuration at %s" % (SITE_FILE, default_path))
    return site
