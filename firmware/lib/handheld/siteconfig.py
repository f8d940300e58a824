# The site's own configuration (TOBS-SPEC section 4, local variation): guidance per score, who to call,
# re-measure intervals, actions taken and reasons, staff with PIN hashes, language and idle logout. Never the chart.
#
# This module is what stays in the heap: a SiteConfig holding only the texts of the site's own language, and the
# limits the checks use. Reading a file (siteconfig_load) and checking it (siteconfig_check) are separate modules
# that import this one, never the other way round, and leave the heap again after use (handheld.once).
import os
from binascii import hexlify

try:
    from hashlib import sha256
except ImportError:  # pragma: no cover - very small MicroPython builds name it uhashlib
    from uhashlib import sha256  # type: ignore

SITE_FILE = "site.json"
DEFAULT_FILE = "site_default.json"
LANGUAGES = ("da", "en")
LABEL_MAX = 14  # a menu row is "1 " + label on 16 columns
GUIDANCE_MAX_LINES = 4
MAX_CHOICES = 6  # menu rows between the title row and the hint row
MAX_FILE_BYTES = 16384  # far above a real table; refuses a file that would exhaust the heap
STAFF_MAX = 99999999  # eight keypad digits
PHONE_MAX = 10  # "Phone " + number on one row


class ConfigError(ValueError):
    """The configuration is not usable; the message names the part that is wrong (English, for the log)."""


def _firmware_folder():
    # This file is <fw>/lib/handheld/siteconfig.py (on the Pico /lib/handheld/siteconfig.mpy): the default
    # configuration sits in <fw>, next to main.py. Made absolute now in case the board changes folder later.
    path = __file__
    if not path.startswith("/"):
        path = os.getcwd().rstrip("/") + "/" + path
    for _ in range(3):
        path = path[: path.rfind("/")]
    return path or "/"


DEFAULT_PATH = _firmware_folder().rstrip("/") + "/" + DEFAULT_FILE


def pin_hash(salt, staff, pin):
    """Hex SHA-256 of '<salt>:<staff>:<pin>'; the staff number in the text keeps equal PINs from matching."""
    return hexlify(sha256(("%s:%d:%s" % (salt, staff, pin)).encode()).digest()).decode()


def config_id(data):
    """Eight hex digits of SHA-256 over the file's bytes: the record says which configuration guided it."""
    return hexlify(sha256(data).digest()[:4]).decode()


class SiteConfig:
    """A validated configuration in its own language. .config_id, .path, .example, .warning (why site.json was
    not used, or None), .language, .site_id, .site_name, .idle_logout_min; .guidance (dicts, in rising urgency:
    "id", "total" or "any_three", "text", "call" None or {"who", "number"}, "remeasure_min", "document",
    "escalate"); .actions and .reasons as (code, label, observe) tuples. Built by siteconfig_load."""

    def __init__(self, data, cid, path, warning=None):
        self.config_id = cid
        self.path = path
        self.warning = warning
        self.example = data.get("example", False)
        self.site_id = data["site_id"]
        self.site_name = data["site_name"]
        self.language = data["language"]
        self.idle_logout_min = data["idle_logout_min"]
        self.guidance = data["guidance"]
        self.actions = data["actions"]
        self.reasons = data["reasons"]
        self._salt = data["pin_salt"]
        self._staff = data["staff"]  # (number, pin_sha256) pairs

    @property
    def idle_ms(self):
        return self.idle_logout_min * 60000

    def guidance_for(self, total, any_three):
        """The last (most urgent) level that matches the total or, with a parameter at 3, the any_three rule."""
        found = None
        for level in self.guidance:
            if level.get("any_three"):
                if any_three:
                    found = level
            else:
                lo, hi = level["total"]
                if total >= lo and (hi is None or total <= hi):
                    found = level
        if found is None:
            raise ConfigError("no level for total %d" % total)
        return found

    def guidance_for_score(self, score):
        """The action level for a tobs_core.Score."""
        return self.guidance_for(score.total, score.any_three)

    def has_staff(self, number):
        for known, _ in self._staff:
            if known == number:
                return True
        return False

    def check_pin(self, number, pin):
        expected = None
        for known, digest in self._staff:
            if known == number:
                expected = digest
        if expected is None or not isinstance(pin, str) or not pin:
            return False
        given = pin_hash(self._salt, number, pin)
        if len(given) != len(expected):
            return False
        # Compared in full every time so the time taken says nothing about how many digits matched.
        diff = 0
        for i in range(len(expected)):
            diff |= ord(expected[i]) ^ ord(given[i])
        return diff == 0

    def action(self, code):
        """The (code, label, observe) of an action code, or None."""
        for item in self.actions:
            if item[0] == code:
                return item
        return None
