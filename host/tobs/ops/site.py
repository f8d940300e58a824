"""Site configuration (local variation: guidance, contacts, actions, staff) written to a handheld, and the PIN
hashes that go into its staff list."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import subprocess
import sys

from tobs import firmware
from tobs.device.link import Link

# What the handheld's PIN field takes (screen_entry.MAX_DIGITS) and its staff numbers (siteconfig.STAFF_MAX: eight
# keypad digits); four digits is the least a PIN should have.
PIN_DIGITS_MIN, PIN_DIGITS_MAX = 4, 8
STAFF_MAX = 99_999_999

_CHUNK = 192  # bytes of the file per DATA line: each piece the handheld allocates for a line stays small (its heap
# is in pieces while the app runs; a 528-byte line once found no gap to fit), and well inside its line limit


class SiteFileError(ValueError):
    """The file cannot be a site configuration; str() is one sentence for the user."""


def config_id(data: bytes) -> str:
    """How the handheld names a configuration: the first 8 hex digits of the file's SHA-256."""
    return hashlib.sha256(data).hexdigest()[:8]


# The handheld's own reading of a site file (firmware/lib/handheld/siteconfig_load.py), run in a child CPython with
# the firmware's lib folder on its path: the PC refuses exactly what the device would, with the device's words, and
# the device's top-level module names (handheld, tobs_core) never mix with the PC's.
_DEVICE_CHECK = """
import sys
sys.path.insert(0, sys.argv[1])
from handheld import siteconfig_load
try:
    siteconfig_load.parse(sys.stdin.buffer.read())
except Exception as e:  # the device refuses a file for any error in reading it, and so does this check
    sys.stdout.write(str(e) or type(e).__name__)
    sys.exit(3)
"""


def check_site(data: bytes) -> None:
    """SiteFileError naming the field if the handheld would refuse the file (it would fall back or stop)."""
    try:
        json.loads(data)
    except ValueError as e:
        raise SiteFileError(f"the file is not JSON ({e})") from None
    try:
        done = subprocess.run(
            [sys.executable, "-I", "-c", _DEVICE_CHECK, str(firmware.tree() / "lib")],
            input=data, capture_output=True, timeout=60,
        )
    except (OSError, subprocess.TimeoutExpired) as e:
        raise SiteFileError(f"the handheld's own check of the file could not run here ({e})") from None
    if done.returncode == 3:
        reason = done.stdout.decode("utf-8", "replace").strip()
        raise SiteFileError(f"the handheld would refuse it: {reason}")
    if done.returncode != 0:
        last = (done.stderr.decode("utf-8", "replace").strip().splitlines() or ["no output"])[-1]
        raise SiteFileError(f"the handheld's own check of the file failed to run ({last})")


def push_site(link: Link, data: bytes) -> str:
    """Write site.json to the handheld (streamed to a part file, renamed over the old one on COMMIT) and return
    its config id. Raises SiteFileError before anything is sent if the handheld's own checks refuse the file,
    LinkError after."""
    check_site(data)
    link.request("PUT", "site.json", len(data), expect="A")
    for i in range(0, len(data), _CHUNK):
        link.request("DATA", base64.b64encode(data[i : i + _CHUNK]).decode(), expect="A")
    link.request("COMMIT", "%08x" % (binascii.crc32(data) & 0xFFFFFFFF), expect="A")
    return config_id(data)


def pin_hash(salt: str, staff: int, pin: str) -> str:
    """The hex SHA-256 a staff entry holds for a PIN (the PIN itself is never stored)."""
    # ASCII only: str.isdigit() is also true of "١٢٣٤" and "²³", which no keypad can type, so such a hash would
    # lock the person out.
    if not re.fullmatch(r"[0-9]{%d,%d}" % (PIN_DIGITS_MIN, PIN_DIGITS_MAX), pin):
        raise ValueError(
            f"--pin must be {PIN_DIGITS_MIN}-{PIN_DIGITS_MAX} digits 0-9 (what the handheld's keypad can type)."
        )
    if not 1 <= staff <= STAFF_MAX:
        raise ValueError(f"--staff must be a staff number of 1-8 digits (1-{STAFF_MAX}), not {staff}.")
    if not salt:
        raise ValueError("--salt must be the site's pin_salt, not empty.")
    return hashlib.sha256(f"{salt}:{staff}:{pin}".encode()).hexdigest()
