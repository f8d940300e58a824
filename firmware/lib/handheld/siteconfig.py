# The site's own configuration (TOBS-SPEC section 4, local variation): guidance per score, who to call,
# re-measure intervals, actions taken and reasons, staff with PIN hashes, language and idle logout. Never the chart.
#
# site.json in the storage folder wins; a missing or broken one falls back to the example default shipped with
# the firmware, so a bad file can never brick the device (the status screen then shows the warning).
import json
import os
import sys
from binascii import hexlify

import handheld
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


def validate(data):
    """Raise ConfigError naming the first problem in a parsed configuration."""
    from handheld import siteconfig_check

    try:
        siteconfig_check.validate(data)
    finally:
        # The checks run once per start: unloaded again so their code does not stay in the heap.
        sys.modules.pop("handheld.siteconfig_check", None)
        if hasattr(handheld, "siteconfig_check"):
            delattr(handheld, "siteconfig_check")


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
