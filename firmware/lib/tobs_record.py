# One saved TOBS observation as a fixed-size binary record: what the handheld's store keeps on flash and
# what the sync sends to the register. Pure Python, the same file on the device and the PC (`tobs_record`).
#
# Byte layout (little-endian, no padding), RECORD_SIZE = 75:
#
#   off size field          type   meaning
#     0    2 magic          2s     b"TR"
#     2    1 version        u8     FORMAT_VERSION; a new layout gets a new number
#     3    1 flags          u8     bit 0: the clock was valid when measured_at was taken; bit 1: the site's guidance
#                                  wanted the action documented and none was (FLAG_ACTION_MISSING); bit 2: a
#                                  follow-up record (FLAG_FOLLOW_UP, below); other bits 0
#     4    4 seq            u32    per-device sequence number, filled by the store, strictly increasing
#     8    4 measured_at    u32    Unix seconds (meaningless when the clock flag is clear)
#    12    2 boot_count     u16    power-ups of the device; with ms_since_boot orders records without a clock
#    14    4 ms_since_boot  u32
#    18    8 device_id      8s     the Pico's unique id
#    26    4 staff          u32    who measured
#    30    4 patient        u32    local patient number
#    34    1 pulse          u8     /min
#    35    1 resp           u8     /min
#    36    2 temp_raw       u16    tenths of °C as read, before the site correction
#    38    1 temp_site      u8     index into tobs_core.TEMP_SITES
#    39    2 sys_bp         u16    mmHg
#    41    1 awareness      u8     index into tobs_core.AWARENESS
#    42    2 points         u16    2 bits per parameter in tobs_core.PARAMETERS order, pulse in bits 0-1
#    44    1 total          u8     the score shown to the nurse
#    45    4 core_id        4s     tobs_core.CORE_ID (8 hex digits) the score was computed with
#    49    4 config_id      4s     site configuration id (8 hex digits)
#    53    1 action         u8     site action-taken code, 0 = none
#    54    1 reason         u8     reason code, 0 = none
#    55   16 tag            16s    truncated HMAC-SHA256 over bytes 0..54 (signed_part); zeros until signed
#    71    4 crc            u32    binascii.crc32 over bytes 0..70
#
# A follow-up record (flag bit 2) is not an observation: it records the action (and reason) taken for an earlier
# observation of the same device that was saved without it; the log stays append-only, the earlier record is never
# changed. Its bytes 34..37 hold that observation's seq (`follow_up`, u32, where pulse, resp and temp_raw would be)
# and bytes 38..44 are zero; staff is who recorded the action, measured_at when.
#
# The CRC detects torn writes and flash corruption; it is not security (the tag is). Values are stored as
# the app scored them: this module never re-scores.
import binascii
import struct

try:
    from . import tobs_core  # on the PC, where the shared modules are the package tobs.shared
except ImportError:
    import tobs_core  # on the handheld, a top-level module in /lib

MAGIC = b"TR"
FORMAT_VERSION = 1
FLAG_CLOCK_VALID = 0x01
FLAG_ACTION_MISSING = 0x02
FLAG_FOLLOW_UP = 0x04
_KNOWN_FLAGS = FLAG_CLOCK_VALID | FLAG_ACTION_MISSING | FLAG_FOLLOW_UP
# An observation's fields that a follow-up record does not have.
_VALUES = ("pulse", "resp", "temp_raw", "temp_site", "sys_bp", "awareness", "points", "total", "action_missing")

_BODY = "<2sBBIIHI8sIIBBHBHBHB4s4sBB16s"
_BODY_SIZE = struct.calcsize(_BODY)
RECORD_SIZE = _BODY_SIZE + 4
SIGNED_SIZE = _BODY_SIZE - 16
TAG_SIZE = 16
NO_TAG = b"\0" * TAG_SIZE

# binascii.crc32 of a whole record, its little-endian CRC included, is this constant exactly when the CRC
# matches: the check needs no slice and no unpacking (the store walks thousands of records at power-up).
_CRC_RESIDUE = 0x2144DF1C

# (field, largest value) for the plain unsigned integers, in the order encode checks them.
_WIDTHS = (
    ("measured_at", 0xFFFFFFFF), ("boot_count", 0xFFFF), ("ms_since_boot", 0xFFFFFFFF), ("staff", 0xFFFFFFFF),
    ("patient", 0xFFFFFFFF), ("pulse", 0xFF), ("resp", 0xFF), ("temp_raw", 0xFFFF), ("sys_bp", 0xFFFF),
    ("total", 0xFF), ("action", 0xFF), ("reason", 0xFF),
)


def _unsigned(name, value, largest):
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError("%s: %r is not a whole number" % (name, value))
    if not 0 <= value <= largest:
        raise ValueError("%s: %d does not fit (0..%d)" % (name, value, largest))
    return value


def _index(name, table, code):
    i = 0
    for entry in table:
        if entry[0] == code:
            return i
        i += 1
    raise ValueError("%s: unknown code %r" % (name, code))


def _hex_id(name, text):
    if not isinstance(text, str) or len(text) != 8:
        raise ValueError("%s: %r is not 8 hex digits" % (name, text))
    try:
        return binascii.unhexlify(text)
    except ValueError:
        raise ValueError("%s: %r is not 8 hex digits" % (name, text)) from None


def _pack_points(points):
    if not isinstance(points, dict):
        raise ValueError("points: %r is not a dict" % (points,))
    packed = 0
    shift = 0
    for name in tobs_core.PARAMETERS:
        if name not in points:
            raise ValueError("points: %s is missing" % name)
        packed |= _unsigned("points." + name, points[name], 3) << shift
        shift += 2
    if len(points) != len(tobs_core.PARAMETERS):
        raise ValueError("points: unexpected keys in %r" % (points,))
    return packed


def _bytes(name, value, size):
    if not isinstance(value, (bytes, bytearray)) or len(value) != size:
        raise ValueError("%s: must be %d bytes" % (name, size))
    return bytes(value)


def _flag(fields, name, bit):
    value = fields.get(name, False)
    if not isinstance(value, bool):
        raise ValueError("%s: %r is not True/False" % (name, value))
    return bit if value else 0


def encode(fields, seq, tag=NO_TAG):
    """The RECORD_SIZE bytes for one observation, or for a follow-up record when fields has "follow_up" (the seq of
    the observation whose action it records); raises ValueError naming a field that does not fit."""
    flags = _flag(fields, "action_missing", FLAG_ACTION_MISSING)
    follow_up = fields.get("follow_up")
    if follow_up is not None:
        _unsigned("follow_up", follow_up, 0xFFFFFFFF)
        fields = dict(fields)
        fields.update({"pulse": follow_up & 0xFF, "resp": follow_up >> 8 & 0xFF, "temp_raw": follow_up >> 16,
                       "temp_site": "rectal", "sys_bp": 0, "awareness": "habitual", "total": 0,
                       "points": {"pulse": 0, "resp": 0, "temp": 0, "sys_bp": 0, "awareness": 0}})
        flags = FLAG_FOLLOW_UP
    for name, largest in _WIDTHS:
        if name not in fields:
            raise ValueError("%s: missing" % name)
        _unsigned(name, fields[name], largest)
    _unsigned("seq", seq, 0xFFFFFFFF)
    clock_valid = fields.get("clock_valid")
    if not isinstance(clock_valid, bool):
        raise ValueError("clock_valid: %r is not True/False" % (clock_valid,))
    body = struct.pack(
        _BODY,
        MAGIC,
        FORMAT_VERSION,
        flags | (FLAG_CLOCK_VALID if clock_valid else 0),
        seq,
        fields["measured_at"],
        fields["boot_count"],
        fields["ms_since_boot"],
        _bytes("device_id", fields.get("device_id"), 8),
        fields["staff"],
        fields["patient"],
        fields["pulse"],
        fields["resp"],
        fields["temp_raw"],
        _index("temp_site", tobs_core.TEMP_SITES, fields.get("temp_site")),
        fields["sys_bp"],
        _index("awareness", tobs_core.AWARENESS, fields.get("awareness")),
        _pack_points(fields.get("points")),
        fields["total"],
        _hex_id("core_id", fields.get("core_id")),
        _hex_id("config_id", fields.get("config_id")),
        fields["action"],
        fields["reason"],
        _bytes("tag", tag, TAG_SIZE),
    )
    return body + struct.pack("<I", binascii.crc32(body))


def problem(data):
    """Why these bytes are not a record of this format (a short English sentence), or None if they are."""
    if len(data) != RECORD_SIZE:
        return "record is %d bytes, expected %d" % (len(data), RECORD_SIZE)
    if data[0] != MAGIC[0] or data[1] != MAGIC[1]:
        return "bad magic: not a TOBS record"
    if data[2] != FORMAT_VERSION:
        return "record format version %d, this code reads %d" % (data[2], FORMAT_VERSION)
    if binascii.crc32(data) != _CRC_RESIDUE:
        return "bad CRC: record is torn or corrupt"
    if data[3] & ~_KNOWN_FLAGS:
        return "unknown flags 0x%02x" % data[3]
    return None


def seq_of(data):
    """The sequence number, read without checking or decoding the rest (the store's scan uses it)."""
    return data[4] | data[5] << 8 | data[6] << 16 | data[7] << 24


def boot_count_of(data):
    return data[12] | data[13] << 8


def is_follow_up(data):
    """True for a follow-up record (the action for an earlier observation), read without decoding."""
    return bool(data[3] & FLAG_FOLLOW_UP)


def signed_part(data):
    """The bytes the per-record tag covers: everything before the tag."""
    return memoryview(data)[:SIGNED_SIZE]


def with_tag(data, tag):
    """The same record with its tag slot filled and the CRC renewed (for signing a stored record later)."""
    why = problem(data)
    if why:
        raise ValueError(why)
    body = bytes(signed_part(data)) + _bytes("tag", tag, TAG_SIZE)
    return body + struct.pack("<I", binascii.crc32(body))


def _code(name, table, i):
    if i >= len(table):
        raise ValueError("%s: unknown index %d" % (name, i))
    return table[i][0]


def decode(data):
    """The fields dict of a record (the keys encode takes, plus seq and tag; an observation always has
    action_missing, a follow-up record has follow_up instead of the values); ValueError if it is not one."""
    why = problem(data)
    if why:
        raise ValueError(why)
    (_, _, flags, seq, measured_at, boot_count, ms_since_boot, device_id, staff, patient, pulse, resp, temp_raw,
     temp_site, sys_bp, awareness, packed, total, core_id, config_id, action, reason, tag) = struct.unpack_from(
        _BODY, data, 0)
    points = {}
    for name in tobs_core.PARAMETERS:
        points[name] = packed & 3
        packed >>= 2
    decoded = {
        "seq": seq, "measured_at": measured_at, "clock_valid": bool(flags & FLAG_CLOCK_VALID),
        "boot_count": boot_count, "ms_since_boot": ms_since_boot, "device_id": device_id, "staff": staff,
        "patient": patient, "pulse": pulse, "resp": resp, "temp_raw": temp_raw,
        "temp_site": _code("temp_site", tobs_core.TEMP_SITES, temp_site), "sys_bp": sys_bp,
        "awareness": _code("awareness", tobs_core.AWARENESS, awareness), "points": points, "total": total,
        "core_id": binascii.hexlify(core_id).decode(), "config_id": binascii.hexlify(config_id).decode(),
        "action": action, "reason": reason, "action_missing": bool(flags & FLAG_ACTION_MISSING), "tag": tag,
    }
    if flags & FLAG_FOLLOW_UP:
        fields = decoded
        decoded = {"follow_up": pulse | resp << 8 | temp_raw << 16}
        for name in fields:
            if name not in _VALUES:
                decoded[name] = fields[name]
    return decoded
