# The handheld's end of the sync link (docs/protocol.md): answers the PC's commands over USB serial while
# the app runs. Records leave the device only as frames; they are forgotten only on an authenticated ACK.
import json
import select
import sys
from binascii import crc32

import handheld
import tobs_core
import tobs_protocol
import tobs_record
from handheld import const

FIRMWARE_VERSION = "0.1.0"
LINK_FILE = "link.json"  # enrolment: site code and the per-device key
_MAX_LINE = const(1024)
_RECORD_SIZE = tobs_record.RECORD_SIZE
RECORDS_PER_FRAME = tobs_protocol.MAX_PAYLOAD // _RECORD_SIZE
_SEQ_MAX = 0xFFFFFFFF  # a sequence number is 4 bytes in the record and in the ACK tag
# Carried out by handheld.link_admin, loaded for the one command: they are rare, and the sync's own commands are not.
# TIME stays here: every sync sets the clock, and loading a module into the heap a sync leaves in pieces once found
# no 368 bytes for it.
_ADMIN = ("ENROLL", "PUT", "DATA", "COMMIT", "REPL")
# The clock may only be set inside 2020-01-01 .. 2100-01-01 UTC: a record keeps its time in 4 unsigned bytes, and a
# clock set outside that made every save fail until a PC set it right again.
CLOCK_EARLIEST = 1577836800
CLOCK_LATEST = 4102444800


_BATCH = 16  # records per serial write


def write_records(writer, records, count, frame_done=None):
    """Write the first `count` records of the iterable `records` as R frames of up to RECORDS_PER_FRAME records:
    byte for byte what tobs_protocol.frame("R", ...) gives for each frame, but streamed a record at a time, so no
    frame (4 KB, and frame() copies it twice) is ever held in the heap. frame_done(written) after each frame."""
    written = 0
    left = 0
    crc = 0
    if count <= 0:
        return 0
    # Records go out a small batch at a time: one write per record costs a USB transfer (a syscall on the
    # virtual Pico) each, while a 1.2 KB buffer is cheap next to a whole 4 KB frame.
    buf = bytearray(_BATCH * _RECORD_SIZE)
    view = memoryview(buf)
    used = 0
    for record in records:
        if left == 0:
            left = min(count - written, RECORDS_PER_FRAME)
            n = left * _RECORD_SIZE
            head = bytes((0x52, n >> 8, n & 0xFF))  # "R", big-endian payload length
            writer.write(tobs_protocol.SYNC + head)
            crc = crc32(head)
        view[used : used + _RECORD_SIZE] = record
        used += _RECORD_SIZE
        crc = crc32(record, crc)
        written += 1
        left -= 1
        if used == len(buf) or left == 0:
            writer.write(view[:used])
            used = 0
        if left == 0:
            writer.write((crc & 0xFFFFFFFF).to_bytes(4, "big"))
            if frame_done is not None:
                frame_done(written)
            if written == count:
                break
    return written


def join(root, name):
    return name if root in ("", "/") else root.rstrip("/") + "/" + name


class SerialCommands:
    """Polled from the app's loop; never blocks while no PC is talking to it.

    status() -> dict adds the app's view (site id, config id) to HELLO; progress(done, total) lets the screen
    show a running sync; config_changed() reloads the site configuration after `tobs site push`."""

    def __init__(self, board, store, status=None, progress=None, config_changed=None):
        self.board = board
        self.store = store
        self.status = status
        self.progress = progress
        self.config_changed = config_changed
        self.root = board.storage_root()
        self.link_file = join(self.root, LINK_FILE)
        self.reader, self.writer = board.serial()
        self._poll = select.poll()
        self._poll.register(self.reader, select.POLLIN)
        self._line = bytearray()
        self._discarding = False  # a line grew past _MAX_LINE: everything up to its newline is dropped
        self.upload = None  # [name, announced size, received, CRC-32] while a file is being received (PUT)
        self._last_seq = None  # of the last record PULL has written
        self.wants_repl = False
        self.config_pushed = False
        self.enrolment = self._load_enrolment()

    def _load_enrolment(self):
        try:
            with open(self.link_file) as f:
                data = json.load(f)
            return {"site": data["site"], "key": tobs_protocol.from_hex(data["key"])}
        except OSError:
            return None  # never enrolled
        except (ValueError, KeyError) as e:
            self.board.log("link.json unreadable (%s): device must be enrolled again" % e)
            return None

    def path(self, name):
        """Where the file `name` lives in the handheld's storage."""
        return join(self.root, name)

    @property
    def key(self):
        return self.enrolment["key"] if self.enrolment else None

    def idle(self):
        """True between commands: no command line half received and no file upload under way."""
        return not self._line and not self._discarding and self.upload is None

    def poll(self):
        """Handle whatever the PC has sent; True if a command was handled."""
        handled = False
        while self._readable():
            b = self.reader.read(1)
            if not b:
                break
            if b == b"\n" and self._discarding:
                # The end of a line too long to be a command: answered when it overflowed, and no part of it
                # is ever taken for a command.
                self._discarding = False
            elif b == b"\n":
                line = bytes(self._line)
                self._line = bytearray()
                # An empty line is how a PC starts a session: it ends whatever half line a cut cable left.
                if line.strip():
                    self._handle(line)
                    handled = True
                if self.wants_repl or self.config_pushed:
                    # The app is about to leave (REPL) or start again (new site file): whatever the PC sent next
                    # stays in the serial buffer for the REPL or the restarted app, never answered by this one.
                    break
            elif self._discarding:
                pass
            elif len(self._line) < _MAX_LINE:
                self._line.extend(b)
            else:
                self._line = bytearray()
                self._discarding = True
                self.send("X", {"error": "command line longer than 1024 bytes, ignored to its end"})
        return handled

    def _readable(self):
        # ipoll() does not build a result list for every poll.
        for _ in self._poll.ipoll(0):
            return True
        return False

    def send(self, kind, payload=None):
        data = payload if isinstance(payload, (bytes, bytearray)) else json.dumps(payload or {}).encode()
        self.writer.write(tobs_protocol.frame(kind, data))

    def _handle(self, line):
        verb = None  # until the line has passed its CRC check, its first word names nothing
        try:
            verb, args = tobs_protocol.parse_command(line)
            if verb in _ADMIN:
                from handheld import link_admin

                try:
                    link_admin.run(self, verb, args)
                finally:
                    link_admin = None
                    if self.upload is None:
                        # Loaded for one command, kept only while a file arrives (a DATA line every few ms):
                        # loading it for each would leave the heap in pieces too small for the next chunk.
                        handheld.unload("link_admin")
                return
            handler = getattr(self, "_cmd_" + verb.lower(), None) if verb.isalpha() else None
            if handler is None:
                # Test builds add KEY and SCREEN (testhooks); a production image has no such module loaded.
                hooks = sys.modules.get("testhooks")
                handler = hooks.handler(self, verb) if hooks else None
            if handler is None:
                raise ValueError("unknown command " + verb)
            handler(args)
        except Exception as e:  # noqa: BLE001 - every error, see below
            # Whatever comes down the cable must never stop the app: an exception leaving poll() ends the app's
            # loop, the keypad goes dead in the middle of a shift and the REPL takes the port. So every error is
            # answered with one X frame; one nobody foresaw (an overflow, MemoryError, a bug) is also logged for
            # the developers. The commands change state last, in one step, so a refused one changed nothing.
            if not isinstance(e, ValueError):
                self.board.log("link %s failed: %r" % (verb, e))
            try:
                self.send("X", {"error": ("%s: %s" % (verb, e)) if verb and verb.isalpha() else str(e)})
            except OSError as e:
                # The port itself failed: nobody is there to answer; the app goes on and the PC times out.
                self.board.log("link: no answer sent: %r" % (e,))

    def _cmd_hello(self, args):
        if args:
            raise ValueError("takes no arguments")
        store = self.store
        info = {
            "proto": tobs_protocol.PROTOCOL,
            "firmware": FIRMWARE_VERSION,
            "board": self.board.NAME,
            "device_id": tobs_protocol.to_hex(self.board.unique_id()),
            "core_id": tobs_core.CORE_ID,
            "enrolled": self.enrolment is not None,
            "enrolled_site": self.enrolment["site"] if self.enrolment else None,
            "pending": store.pending_count(),
            "count": store.count(),
            "next_seq": store.next_seq(),
            "store_epoch": store.epoch,
            "synced_to": store.acked,
            "boot_count": store.boot_count,
            "ms_since_boot": self.board.ticks_ms(),
            "now": self.board.now(),
            "clock_valid": self.board.clock_valid(),
        }
        if self.status:
            info.update(self.status())
        self.send("H", info)

    def _cmd_pull(self, args):
        first, limit = args
        first, limit = tobs_protocol.number_arg(first, _SEQ_MAX), tobs_protocol.number_arg(limit, _SEQ_MAX)
        key = self.key
        if key is None:
            self.send("X", {"error": "this handheld is not enrolled"})
            return
        total = min(self.store.pending_count(), limit)
        # Counted first, so that each frame's length is known before its records are read, signed and written.
        count = 0
        for raw in self.store.pending():
            if count >= limit:
                break
            if tobs_record.seq_of(raw) >= first:
                count += 1
        progress = self.progress
        self._last_seq = None
        sent = write_records(self.writer, self._signed(first, key), count,
                             (lambda done: progress(done, total)) if progress else None)
        if progress and not sent:
            progress(0, total)
        self.send("E", {"count": sent, "last_seq": self._last_seq, "store_epoch": self.store.epoch})

    def _signed(self, first, key):
        # Records leave the device signed when they leave, bound to this store's epoch.
        epoch = self.store.epoch
        for raw in self.store.pending():
            seq = tobs_record.seq_of(raw)
            if seq >= first:
                self._last_seq = seq
                yield tobs_record.with_tag(raw, tobs_protocol.record_tag(key, tobs_record.signed_part(raw), epoch))

    def _cmd_time(self, args):
        (unix,) = args
        board = self.board
        board.set_clock(tobs_protocol.number_arg(unix, CLOCK_LATEST, CLOCK_EARLIEST))
        self.send("T", {"now": board.now(), "clock_valid": board.clock_valid()})

    def _cmd_ack(self, args):
        seq, tag = args
        seq, tag = tobs_protocol.number_arg(seq, _SEQ_MAX), tobs_protocol.hex_arg(tag, tobs_protocol.TAG_SIZE)
        key = self.key
        if key is None or tag != tobs_protocol.ack_tag(key, self.board.unique_id(), seq, self.store.epoch):
            self.send("X", {"error": "acknowledgement does not verify; nothing marked synced"})
            return
        self.store.mark_synced(seq)
        # The register has them: their flash goes back to new measurements (a full store is full no longer).
        try:
            dropped = self.store.compact()
        except OSError as e:
            dropped = 0
            self.board.log("compaction after sync failed, log kept as it was: %r" % (e,))
        self.send("A", {"synced_to": seq, "pending": self.store.pending_count(), "freed": dropped})
