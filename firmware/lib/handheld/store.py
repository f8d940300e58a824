# The handheld's record store: an append-only log of tobs_record records on flash that survives a power
# cut at any instant and a full filesystem without losing a record, plus the sync and boot counters.
#
# Files in the store's folder:
#   records.bin   RECORD_SIZE records back to back, oldest first, seq strictly increasing
#   synced        highest seq the register acknowledged (u32 + CRC-32), replaced by write-temp-then-rename
#   boot          power-up counter (u32 + CRC-32), replaced the same way
#   epoch         the store's identity (u32 + CRC-32): random, written once when the store is created, never changed
#   records.new   only while compact() runs: the unacknowledged records, renamed over records.bin when whole
#
# Power loss. An append writes one whole record at the end of the log and flushes (and syncs where the
# runtime can), so a cut leaves either the old log or the old log plus part of one record. At open the log
# is walked slot by slot: only the final slot can have been in flight, so a partial slot or a final slot
# whose CRC fails is a torn write. MicroPython files have no truncate(), and copying the good part to a new
# file would rewrite the whole log, so the store truncates logically instead: recovery writes nothing, it
# only remembers where the good records end, and the next append overwrites the torn bytes in place (r+b,
# seek). A second cut during recovery therefore cannot harm anything; a cut during that overwrite just
# leaves another torn final slot, found and handled the same way at the next open. Any other slot whose
# CRC fails is corruption, not a torn write: it stays in the log (nothing is ever thrown away), is counted
# in `corrupt` and skipped when reading.
#
# On LittleFS (the Pico) a file write is copy-on-write and only becomes visible at flush, so torn records
# should not occur there at all; the checks keep the store honest on any filesystem, and rename is atomic,
# so a state file holds either its old or its new value.
import os
import struct
from binascii import crc32

import tobs_record
from handheld import once

RECORD_SIZE = tobs_record.RECORD_SIZE
LOG = "records.bin"
COMPACTING = "records.new"
SYNCED = "synced"
BOOT = "boot"
EPOCH = "epoch"

# Refuse new records while fewer than 8 LittleFS blocks (32 KiB, about 2 % of the Pico's 1.4 MB) would stay
# free. LittleFS is copy-on-write: every append copies the log's last, partly filled block to a fresh block
# before the old one is released, a metadata pair that fills up is compacted or split into new blocks, and
# the sync must still be able to replace its small state files and the site configuration when the log is
# full. A few blocks cover all of that at once; the rest is headroom so that a full store still syncs.
BLOCK_SIZE = 4096
DEFAULT_RESERVE_BYTES = 8 * BLOCK_SIZE

_ENOENT = 2
_MAX_BOOT = 0xFFFF  # boot_count is a u16 in the record
_SEQ_WINDOW = 0x10000  # how far past the last good seq a torn record's own seq field is believed


class StoreFull(Exception):
    """No room for another record without eating into the filesystem reserve; nothing was written."""


def _join(root, name):
    return root.rstrip("/") + "/" + name


def _size(path):
    """File size in bytes, or None if the file does not exist."""
    try:
        return os.stat(path)[6]
    except OSError as e:
        if e.args and e.args[0] == _ENOENT:
            return None
        raise


def _durable(f):
    f.flush()
    fsync = getattr(os, "fsync", None)
    if fsync is not None:
        # CPython: flush() only empties Python's buffer; fsync pushes the OS cache to the disk.
        if hasattr(f, "fileno"):
            fsync(f.fileno())
    elif hasattr(os, "sync"):
        os.sync()


class RecordStore:
    """The append-only record log in `root`. `opener(path, mode)` replaces open() for every write (tests
    use it to cut the power after k bytes); `free_bytes()` returns free filesystem bytes (statvfs)."""

    def __init__(self, root, free_bytes=None, reserve_bytes=DEFAULT_RESERVE_BYTES, opener=open):
        self.root = root
        self.reserve_bytes = reserve_bytes
        self._opener = opener
        self._free_bytes = free_bytes if free_bytes is not None else self._statvfs_free
        self._log = _join(root, LOG)
        self._buf = bytearray(RECORD_SIZE)
        self.problems = []  # English sentences for the device log: what was found wrong at open
        self.corrupt = 0  # slots in the middle of the log whose CRC fails: kept, skipped when reading
        self.torn_bytes = 0  # bytes of an interrupted append at the tail, overwritten by the next append
        if root.rstrip("/") and _size(root) is None:  # "/" (the Pico) always exists
            os.mkdir(root)
        # The store's identity (see store_epoch.py), read or made once per start by a module that then leaves the heap.
        self.epoch = once("store_epoch", "open_epoch", self)
        acked = self._read_state(SYNCED)
        # A missing or unreadable marker means nothing was acknowledged: everything is sent again, and the
        # register drops what it already has (device id + seq), which is better than losing a record.
        self.acked = acked if acked is not None else 0
        if _size(_join(root, COMPACTING)) is not None:
            # A compaction was cut short before its rename: records.bin is still the whole log.
            os.remove(_join(root, COMPACTING))
            self.problems.append("unfinished compaction discarded; the log is unchanged")
        self._scan()
        self.boot_count = min(_MAX_BOOT, self._previous_boot() + 1)
        try:
            self._write_state(BOOT, self.boot_count)
        except OSError as e:
            # The app must still start (a full flash is exactly when it must sync); the next open takes
            # the boot count from the newest record, so a count that carries records is never reused.
            self.problems.append("boot counter not saved: %r" % (e,))

    # ---- state files -------------------------------------------------------------------------------
    def _read_state(self, name):
        path = _join(self.root, name)
        if _size(path) is None:
            return None
        with open(path, "rb") as f:
            data = f.read()
        if len(data) == 8:
            value, check = struct.unpack("<II", data)
            if crc32(data[:4]) == check:
                return value
        self.problems.append("%s: unreadable (%d bytes), ignored" % (name, len(data)))
        return None

    def _write_state(self, name, value):
        path = _join(self.root, name)
        data = struct.pack("<I", value)
        data += struct.pack("<I", crc32(data))
        f = self._opener(path + ".tmp", "wb")
        try:
            f.write(data)
            _durable(f)
        finally:
            f.close()
        # Atomic on LittleFS and POSIX: a cut leaves the old file or the new one, never a mix.
        os.rename(path + ".tmp", path)

    def _previous_boot(self):
        newest = 0
        for name in (BOOT, BOOT + ".tmp"):
            value = self._read_state(name)
            if value is not None and value > newest:
                newest = value
        # The newest record knows a boot count too, so a lost counter file never makes a count repeat.
        return max(newest, self._last_boot)

    # ---- the log -----------------------------------------------------------------------------------
    def _scan(self):
        buf = self._buf
        size = _size(self._log)
        self._log_exists = size is not None
        size = size or 0
        count = pending = bad_run = 0
        last_seq = 0
        self._last_boot = 0
        if size:
            with open(self._log, "rb") as f:
                pos = 0
                while pos + RECORD_SIZE <= size:
                    if f.readinto(buf) != RECORD_SIZE:
                        raise OSError("records.bin: short read at %d" % pos)
                    pos += RECORD_SIZE
                    if tobs_record.problem(buf) is None:
                        seq = tobs_record.seq_of(buf)
                        count += 1
                        if seq > self.acked:
                            pending += 1
                        if seq > last_seq:
                            last_seq = seq
                        self._last_boot = tobs_record.boot_count_of(buf)
                        self.corrupt += bad_run
                        bad_run = 0
                    else:
                        bad_run += 1
        partial = size % RECORD_SIZE
        next_seq = max(last_seq, self.acked) + 1
        if partial or bad_run:
            # Only the final slot can have been in flight: it is the torn write; bad slots before it are
            # corruption and stay in the log.
            torn = partial if partial else RECORD_SIZE
            self.corrupt += bad_run - (0 if partial else 1)
            self.torn_bytes = torn
            self._end = size - torn
            self.problems.append("torn record (%d bytes) at %d dropped" % (torn, self._end))
            # The interrupted append had taken a number; it is not given out again (the register sees a
            # gap where a save was cut short, never two different records with one number).
            next_seq = max(next_seq, last_seq + 2, self._torn_seq(last_seq) + 1)
        else:
            self._end = size
        if self.corrupt:
            self.problems.append("%d corrupt record(s) kept in the log and skipped" % self.corrupt)
        self._count = count
        self._pending = pending
        self.last_seq = last_seq
        self._next_seq = next_seq

    def _torn_seq(self, last_seq):
        """The seq field of the torn tail when enough of it reached the flash to read, else 0."""
        if self.torn_bytes < 8:
            return 0
        with open(self._log, "rb") as f:
            f.seek(self._end)
            head = f.read(8)
        if head[:2] != tobs_record.MAGIC or head[2] != tobs_record.FORMAT_VERSION:
            return 0
        seq = tobs_record.seq_of(head)
        return seq if last_seq < seq < last_seq + _SEQ_WINDOW else 0

    def _statvfs_free(self):
        st = os.statvfs(self.root)
        return (st[1] or st[0]) * st[4]

    def can_store(self, extra=0):
        """False when a new record (and `extra` bytes the caller will write beside it) would eat into the reserve
        (the app then asks for a sync)."""
        return self._free_bytes() - RECORD_SIZE - extra >= self.reserve_bytes

    def append(self, fields):
        """Store one observation durably and return its seq; StoreFull (nothing written) when full."""
        if not self.can_store():
            raise StoreFull("store full: less than %d bytes would stay free" % self.reserve_bytes)
        seq = self._next_seq
        record = tobs_record.encode(fields, seq)  # a ValueError here has written nothing
        # The number is spent before the write starts, so a failed or torn write never shares it.
        self._next_seq = seq + 1
        f = self._opener(self._log, "r+b" if self._log_exists else "wb")
        try:
            self._log_exists = True
            f.seek(self._end)
            written = f.write(record)
            if written is not None and written != RECORD_SIZE:
                raise OSError("records.bin: wrote %d of %d bytes" % (written, RECORD_SIZE))
            _durable(f)
        finally:
            f.close()
        self._end += RECORD_SIZE
        self.torn_bytes = 0
        self._count += 1
        self._pending += 1
        self.last_seq = seq
        return seq

    def count(self):
        return self._count

    def next_seq(self):
        """The number the next record will get: one more than any record this device ever stored."""
        return self._next_seq

    def pending_count(self):
        return self._pending

    def mark_synced(self, seq):
        """Everything up to and including seq was acknowledged by the register."""
        if seq <= self.acked:
            return  # an old or repeated acknowledgement: the marker never moves backwards
        if seq > self.last_seq:
            raise ValueError("cannot acknowledge seq %d: the newest record is %d" % (seq, self.last_seq))
        self._write_state(SYNCED, seq)
        self.acked = seq
        pending = 0
        for _ in self._slots(seq):
            pending += 1
        self._pending = pending

    def compact(self):
        """Drop acknowledged records from flash, so a sync frees the space they took; returns how many went.

        The unacknowledged records are copied to records.new, which is made durable and then renamed over
        records.bin (atomic on LittleFS and POSIX). A cut before the rename leaves the whole old log (the partial
        copy is removed at the next open); after it, the new one. Sequence numbers go on after the acknowledged
        seq, which the synced marker keeps. With corrupt slots in the log nothing is compacted: they are kept."""
        dropped = self._count - self._pending
        if dropped <= 0 or self.corrupt or self.torn_bytes:
            return 0
        path = _join(self.root, COMPACTING)
        f = self._opener(path, "wb")
        try:
            for buf in self._slots(self.acked):
                f.write(buf)
            _durable(f)
        except OSError:
            f.close()
            os.remove(path)  # e.g. no room for the copy: the log stays as it was
            raise
        f.close()
        os.rename(path, self._log)
        self._scan()
        return dropped

    def _slots(self, after):
        """The good records with seq > after, oldest first, each in the same reused buffer."""
        buf = bytearray(RECORD_SIZE)
        end = self._end
        if not end:
            return
        with open(self._log, "rb") as f:
            pos = 0
            while pos < end:
                if f.readinto(buf) != RECORD_SIZE:
                    raise OSError("records.bin: short read at %d" % pos)
                pos += RECORD_SIZE
                if tobs_record.problem(buf) is None and tobs_record.seq_of(buf) > after:
                    yield buf

    def pending(self):
        """Encoded records not yet acknowledged, in seq order (each a bytes copy the caller may keep)."""
        for buf in self._slots(self.acked):
            yield bytes(buf)

    def records(self):
        """Every good record decoded, oldest first."""
        for buf in self._slots(-1):
            yield tobs_record.decode(buf)
