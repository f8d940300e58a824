# Framing and authentication of the sync link (docs/protocol.md), shared by the handheld and the PC:
# the same file runs on MicroPython and CPython, so both ends cannot drift apart.
from binascii import crc32, hexlify, unhexlify

try:
    from hashlib import sha256
except ImportError:  # pragma: no cover - very small MicroPython builds name it uhashlib
    from uhashlib import sha256  # type: ignore

PROTOCOL = 1
SYNC = b"\xa5\x5a"
HEADER = 5  # sync pattern, kind, 2-byte length
MAX_PAYLOAD = 4096
TAG_SIZE = 16


def frame(kind, payload=None):
    """A device -> PC frame: sync, kind, big-endian length, payload (any buffer), CRC-32 of kind+length+payload."""
    if payload is None:
        payload = b""
    n = len(payload)
    if n > MAX_PAYLOAD:
        raise ValueError("frame payload too large")
    head = bytes((ord(kind), n >> 8, n & 0xFF))
    crc = crc32(payload, crc32(head)) & 0xFFFFFFFF
    return SYNC + head + payload + crc.to_bytes(4, "big")


class FrameReader:
    """Incremental parser for device -> PC frames: feed bytes, take whole checked frames out.

    Bytes before a sync pattern are skipped (stray output cannot confuse it); a frame whose CRC fails raises
    ValueError, because the caller must then abort rather than guess."""

    def __init__(self):
        self._buf = b""
        self.skipped = 0

    def feed(self, data):
        self._buf += bytes(data)

    def next_frame(self):
        """(kind, payload) of the next complete frame, or None if more bytes are needed."""
        buf = self._buf
        start = buf.find(SYNC)
        if start < 0:
            # Keep a last byte that may be the first half of a sync pattern.
            keep = 1 if buf[-1:] == SYNC[:1] else 0
            self.skipped += len(buf) - keep
            self._buf = buf[len(buf) - keep :]
            return None
        if start:
            self.skipped += start
            buf = self._buf = buf[start:]
        if len(buf) < HEADER:
            return None
        n = (buf[3] << 8) | buf[4]
        if n > MAX_PAYLOAD:
            raise ValueError("frame length %d is larger than the protocol allows" % n)
        end = HEADER + n + 4
        if len(buf) < end:
            return None
        crc = crc32(buf[2 : HEADER + n]) & 0xFFFFFFFF
        if crc != int.from_bytes(buf[HEADER + n : end], "big"):
            raise ValueError("frame failed its CRC check")
        self._buf = buf[end:]
        return chr(buf[2]), buf[HEADER : HEADER + n]


def command(verb, *args):
    """A PC -> device command line: printable ASCII, never byte 0x03, with its own CRC-32."""
    body = " ".join([verb] + [str(a) for a in args])
    for ch in body:
        if not (" " <= ch <= "~"):
            raise ValueError("command text must be printable ASCII")
    return ("%s *%08x\n" % (body, crc32(body.encode()) & 0xFFFFFFFF)).encode()


def parse_command(line):
    """(verb, [args]) from a command line; ValueError if it is damaged or malformed."""
    text = bytes(line).decode().strip()
    cut = text.rfind(" *")
    if cut < 0:
        raise ValueError("command without CRC")
    body = text[:cut]
    if "%08x" % (crc32(body.encode()) & 0xFFFFFFFF) != text[cut + 2 :]:
        raise ValueError("command failed its CRC check")
    parts = body.split(" ")
    return parts[0], parts[1:]


# The argument checks of the device's command handler: small, because on the handheld they share a 128 KB heap
# with the screen flow. A wrong count of arguments is caught there by unpacking (`a, b = args`), a ValueError too.
def number_arg(text, highest, lowest=0):
    """A decimal argument in lowest..highest, written as str() writes it: no sign, spaces, underscores or zeros
    in front, so one number has one spelling."""
    value = int(text)
    if str(value) != text or not lowest <= value <= highest:
        raise ValueError("%s is not %d..%d" % (text, lowest, highest))
    return value


def hex_arg(text, size):
    """`size` bytes from exactly 2 * size lower-case hex digits."""
    data = unhexlify(text)
    if len(data) != size or hexlify(data).decode() != text:
        raise ValueError("%s is not %d lower-case hex digits" % (text, 2 * size))
    return data


_pads = {}  # key -> (inner pad, outer pad): a sync tags thousands of records with one key


def _key_pads(key):
    key = bytes(key)
    pads = _pads.get(key)
    if pads is None:
        block = sha256(key).digest() if len(key) > 64 else key
        block = block + bytes(64 - len(block))
        pads = (bytes(b ^ 0x36 for b in block), bytes(b ^ 0x5C for b in block))
        _pads.clear()  # one key at a time is all either end ever uses
        _pads[key] = pads
    return pads


def hmac_sha256(key, message):
    """HMAC-SHA256 (RFC 2104); written out because MicroPython has hashlib but no hmac module."""
    inner_pad, outer_pad = _key_pads(key)
    inner = sha256(inner_pad)
    inner.update(message)
    outer = sha256(outer_pad)
    outer.update(inner.digest())
    return outer.digest()


def _epoch_bytes(store_epoch):
    # Store epoch 0 is a store made before stores had an identity: its tags stay what they always were, so records
    # and acknowledgements of a handheld that is only updated still verify.
    if not 0 <= store_epoch <= 0xFFFFFFFF:
        raise ValueError("store epoch out of range")
    return store_epoch.to_bytes(4, "big") if store_epoch else b""


def record_tag(key, signed_part, store_epoch=0):
    """The record's tag, bound to the store it was saved in: a record cannot be passed off as one of another store."""
    return hmac_sha256(key, _epoch_bytes(store_epoch) + bytes(signed_part))[:TAG_SIZE]


def ack_tag(key, device_id, seq, store_epoch=0):
    """Authenticates an acknowledgement so only the register holding the key can make a device forget records; bound
    to the store, so an acknowledgement for a store that was since wiped frees nothing in the new one."""
    message = b"ACK" + bytes(device_id) + seq.to_bytes(4, "big") + _epoch_bytes(store_epoch)
    return hmac_sha256(key, message)[:TAG_SIZE]


def to_hex(data):
    return hexlify(data).decode()


def from_hex(text):
    return unhexlify(text)
