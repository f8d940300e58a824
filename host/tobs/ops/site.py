"""Site configuration (local variation: guidance, contacts, actions, staff) written to a handheld, and the PIN
hashes that go into its staff list."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re

from tobs.device.link import Link

# What the handheld's PIN field takes (screen_entry.MAX_DIGITS) and its staff numbers (siteconfig.STAFF_MAX: eight
# keypad digits); four digits is the least a PIN should have.
PIN_DIGITS_MIN, PIN_DIGITS_MAX = 4, 8
STAFF_MAX = 99_999_999

_CHUNK = 384  # bytes of the file per DATA line: its base64 stays well inside the handheld's line limit


class SiteFileError(ValueError):
    """The file cannot be a site configuration; str() is one sentence for the user."""


def config_id(data: bytes) -> str:
    """How the handheld names a configuration: the first 8 hex digits of the file's SHA-256."""
    return hashlib.sha256(data).hexdigest()[:8]


def push_site(link: Link, data: bytes) -> str:
    """Write site.json to the handheld (streamed to a part file, renamed over the old one on COMMIT) and return
    its config id. Raises SiteFileError before anything is sent if the bytes are not JSON, LinkError after."""
    try:
        json.loads(data)
    except ValueError as e:
        raise SiteFileError(f"the file is not JSON ({e})") from None
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
