# The handheld's link command handler (handheld.commands.SerialCommands) on a stand-in board and serial port, with a
# real RecordStore in a scratch folder, for the plain-assert tests and the link fuzzer on both runtimes.
import io

import tobs_core
import tobs_protocol
from handheld import commands
from handheld.store import RecordStore

DEVICE_ID = b"\xe6\x60\x54\x81\xdb\x12\x34\x56"
KEY = bytes(range(32))
SITE = "test"
START_CLOCK = 1609459200  # where a Pico's RTC starts after power-up (2021-01-01), not yet valid
_POLL = 3  # MicroPython's MP_STREAM_POLL ioctl request
_POLLIN = 1
PLENTY = 1 << 30


class SerialIn(io.IOBase):
    """What the PC has sent and the handheld has not read yet. On MicroPython, select.poll() asks a Python stream
    through ioctl() whether it is readable, as it asks the USB serial port."""

    def __init__(self):
        self.data = bytearray()
        self.at = 0

    def feed(self, data):
        if self.at:
            self.data = self.data[self.at :]
            self.at = 0
        self.data.extend(data)

    def waiting(self):
        return len(self.data) - self.at

    def read(self, n=-1):
        end = len(self.data) if n < 0 else min(len(self.data), self.at + n)
        got = bytes(self.data[self.at : end])
        self.at = end
        return got

    def ioctl(self, request, arg):
        if request == _POLL:
            return arg & _POLLIN if self.waiting() else 0
        return -1  # no other request applies to a serial line in these tests


class SerialOut:
    """What the handheld has written to the PC."""

    def __init__(self):
        self.data = bytearray()

    def write(self, data):
        self.data.extend(data)
        return len(data)

    def take(self):
        data = bytes(self.data)
        self.data = bytearray()
        return data


class _Poll:
    # CPython's select.poll() needs a file descriptor; this asks the stand-in port directly, as MicroPython's does.
    def __init__(self):
        self.streams = []

    def register(self, stream, events):
        self.streams.append(stream)

    def ipoll(self, timeout):
        return [(s, _POLLIN) for s in self.streams if s.waiting()]


class _Select:
    POLLIN = _POLLIN

    @staticmethod
    def poll():
        return _Poll()


# On both runtimes: CPython's poll() needs a file descriptor, and the unix port's, given a stream without one,
# waits a millisecond in every call (a byte at a time, the fuzzer's millions of bytes). The handheld's own select
# on a real port (the virtual Pico's pty, the Pico's USB) is exercised by the firmware tests on a virtual Pico.
commands.select = _Select


class Board:
    """The board calls SerialCommands makes: identity, storage root, clock, serial port and log."""

    NAME = "test"

    def __init__(self, root, clock=START_CLOCK):
        self.root = root
        self.clock = clock
        self.valid = False
        self.logged = []
        self.port_in = SerialIn()
        self.port_out = SerialOut()

    def storage_root(self):
        return self.root

    def serial(self):
        return self.port_in, self.port_out

    def unique_id(self):
        return DEVICE_ID

    def ticks_ms(self):
        return 5000

    def now(self):
        return self.clock

    def clock_valid(self):
        return self.valid

    def set_clock(self, unix_s):
        self.clock = unix_s
        self.valid = True

    def log(self, message):
        self.logged.append(message)


def observation(i):
    return {
        "measured_at": 1790000000 + 60 * i, "clock_valid": True, "boot_count": 1,
        "ms_since_boot": 1000 * i, "device_id": DEVICE_ID, "staff": 7, "patient": 100 + i,
        "pulse": 60 + i % 100, "resp": 12, "temp_raw": 370, "temp_site": "rectal", "sys_bp": 120,
        "awareness": "habitual", "points": {"pulse": 0, "resp": 0, "temp": 0, "sys_bp": 0, "awareness": 0},
        "total": 0, "core_id": tobs_core.CORE_ID, "config_id": "00c0ffee", "action": 0, "reason": 0,
        "action_missing": False,
    }


def enrol(root, key=KEY, site=SITE):
    with open(root + "/link.json", "w") as f:
        f.write('{"site": "%s", "key": "%s"}' % (site, tobs_protocol.to_hex(key)))


def handheld(root, records=3, enrolled=True, status=None):
    """(SerialCommands, board, store) on a store in `root` holding `records` unsynced observations."""
    board = Board(root)
    store = RecordStore(root, free_bytes=lambda: PLENTY)
    for i in range(records):
        store.append(observation(i))
    if enrolled:
        enrol(root)
    return commands.SerialCommands(board, store, status=status), board, store


def line(body):
    """A command line with a correct CRC around any body (bytes or text), garbage included."""
    if isinstance(body, str):
        body = body.encode()
    from binascii import crc32

    return body + (" *%08x\n" % (crc32(body) & 0xFFFFFFFF)).encode()


def frames(data):
    """Every frame in `data`, which must be frames and nothing else: [(kind, payload)]."""
    reader = tobs_protocol.FrameReader()
    reader.feed(data)
    out = []
    while True:
        got = reader.next_frame()
        if got is None:
            break
        out.append((got[0], bytes(got[1])))
    assert reader.skipped == 0 and not reader._buf, "bytes outside frames: %r" % (data[:80],)
    return out


def talk(link, board, data):
    """Send `data` to the handheld, let it poll until it has read everything, and return the frames it answered."""
    board.port_in.feed(data)
    for _ in range(len(data) + 2):
        if not board.port_in.waiting():
            break
        link.poll()
    return frames(board.port_out.take())
