# The record store never loses a record: power cut at every byte of an append and during each state file
# write, corruption in the middle of the log, a full filesystem. Runs on CPython and MicroPython.
import os

from scratch_support import exists, remove_tree
from scratch_support import scratch as scratch_folder

import tobs_core
import tobs_record
from handheld.store import DEFAULT_RESERVE_BYTES, RecordStore, StoreFull

RS = tobs_record.RECORD_SIZE
PLENTY = 1 << 30


class PowerCut(Exception):
    """Raised by CutFile where the power would have gone; not an OSError, so the store cannot absorb it."""


class CutFile:
    """A real file whose write stops after `budget` bytes; with the whole write in budget, the cut comes at
    the flush that follows (the bytes reached the disk, nothing after them happened)."""

    def __init__(self, path, mode, budget):
        self.real = open(path, mode)
        self.budget = budget

    def seek(self, offset):
        return self.real.seek(offset)

    def write(self, data):
        if len(data) > self.budget:
            self.real.write(data[: self.budget])
            self._cut()
        self.budget -= len(data)
        return self.real.write(data)

    def flush(self):
        if self.budget == 0:
            self._cut()
        self.real.flush()

    def _cut(self):
        self.real.close()
        self.real = None
        raise PowerCut()

    def close(self):
        if self.real is not None:
            self.real.close()


def cut_opener(suffix, budget):
    def opener(path, mode):
        if path.endswith("/" + suffix):
            return CutFile(path, mode, budget)
        return open(path, mode)

    return opener


def scratch(name):
    return scratch_folder("store-" + name)


def file_size(path):
    return os.stat(path)[6]


def observation(i, boot_count=1):
    return {
        "measured_at": 1790000000 + 60 * i, "clock_valid": i % 2 == 0, "boot_count": boot_count,
        "ms_since_boot": 1000 * i, "device_id": b"PICO\x00\x01\x02\x03", "staff": 7, "patient": 100 + i,
        "pulse": 60 + i % 100, "resp": 12, "temp_raw": 370, "temp_site": "rectal", "sys_bp": 120,
        "awareness": "habitual", "points": {"pulse": 0, "resp": 0, "temp": 0, "sys_bp": 0, "awareness": 0},
        "total": 0, "core_id": tobs_core.CORE_ID, "config_id": "00c0ffee", "action": 0, "reason": 0,
        "action_missing": False,
    }


def seqs(records):
    return [r["seq"] for r in records]


def open_store(folder, **options):
    options.setdefault("free_bytes", lambda: PLENTY)
    return RecordStore(folder, **options)


def raises(exception, function, *args, **options):
    try:
        function(*args, **options)
    except exception:
        return True
    return False


def test_appended_records_read_back_in_order_with_fresh_seqs():
    folder = scratch("append")
    try:
        store = open_store(folder)
        assert store.count() == store.pending_count() == 0 and list(store.records()) == []
        assert [store.append(observation(i)) for i in range(3)] == [1, 2, 3]
        assert store.count() == store.pending_count() == 3
        for i, record in enumerate(store.records()):
            expected = observation(i)
            expected["seq"] = i + 1
            expected["tag"] = tobs_record.NO_TAG
            assert record == expected
        assert file_size(folder + "/records.bin") == 3 * RS
        again = open_store(folder)
        assert again.count() == again.pending_count() == 3 and again.append(observation(3)) == 4
        assert seqs(again.records()) == [1, 2, 3, 4]
    finally:
        remove_tree(folder)


def test_a_power_cut_at_every_byte_of_an_append_loses_only_that_record():
    folder = scratch("cut")
    try:
        for k in range(RS + 1):
            remove_tree(folder)
            store = open_store(folder)
            store.append(observation(0))
            store.append(observation(1))
            store = open_store(folder, opener=cut_opener("records.bin", k))
            assert raises(PowerCut, store.append, observation(2))

            store = open_store(folder)
            assert store.corrupt == 0, k
            if k == RS:
                # Every byte landed before the cut: the record is saved.
                assert seqs(store.records()) == [1, 2, 3] and store.torn_bytes == 0
            else:
                assert seqs(store.records()) == [1, 2], k
                assert store.count() == store.pending_count() == 2
                assert store.torn_bytes == k
                for i, record in enumerate(store.records()):
                    assert record["patient"] == observation(i)["patient"]
            # An interrupted save's number is not handed out again; a write that never began spent none.
            seq = store.append(observation(5))
            assert seq == (3 if k == 0 else 4), (k, seq)
            store = open_store(folder)
            records = list(store.records())
            assert records[-1]["seq"] == seq and records[-1]["patient"] == observation(5)["patient"]
            assert store.count() == len(records) == (4 if k == RS else 3)
            assert store.torn_bytes == 0 and store.corrupt == 0
            assert file_size(folder + "/records.bin") == len(records) * RS
            assert store.append(observation(6)) == seq + 1
    finally:
        remove_tree(folder)


def test_a_power_cut_while_writing_the_synced_marker_keeps_the_old_marker():
    folder = scratch("synced")
    try:
        for k in range(9):
            remove_tree(folder)
            store = open_store(folder)
            for i in range(5):
                store.append(observation(i))
            store.mark_synced(2)
            store = open_store(folder, opener=cut_opener("synced.tmp", k))
            assert raises(PowerCut, store.mark_synced, 4)
            store = open_store(folder)
            assert store.acked == 2, k
            assert store.pending_count() == 3
            assert [tobs_record.seq_of(r) for r in store.pending()] == [3, 4, 5]
            store.mark_synced(4)  # a later sync completes what the cut interrupted
            assert open_store(folder).pending_count() == 1
    finally:
        remove_tree(folder)


def test_a_missing_or_torn_synced_marker_leaves_every_record_pending():
    folder = scratch("marker")
    try:
        store = open_store(folder)
        for i in range(4):
            store.append(observation(i))
        store.mark_synced(3)
        with open(folder + "/synced", "rb") as f:
            marker = f.read()
        for damaged in (marker[:5], marker[:4] + b"\0\0\0\0", b"", b"\xff" * 9):
            with open(folder + "/synced", "wb") as f:
                f.write(damaged)
            store = open_store(folder)
            assert store.acked == 0 and store.pending_count() == 4, damaged
            assert store.problems and store.count() == 4
        os.remove(folder + "/synced")
        store = open_store(folder)
        assert store.pending_count() == 4 and len(list(store.pending())) == 4
    finally:
        remove_tree(folder)


def test_a_power_cut_while_writing_the_boot_counter_never_repeats_a_count():
    folder = scratch("boot")
    try:
        for k in range(9):
            remove_tree(folder)
            assert open_store(folder).boot_count == 1
            store = open_store(folder)
            assert store.boot_count == 2
            store.append(observation(0, store.boot_count))
            assert raises(PowerCut, open_store, folder, opener=cut_opener("boot.tmp", k))
            store = open_store(folder)
            assert store.boot_count > 2, (k, store.boot_count)
            assert store.count() == store.pending_count() == 1
    finally:
        remove_tree(folder)


def test_a_lost_boot_counter_continues_after_the_newest_records_count():
    folder = scratch("lostboot")
    try:
        store = open_store(folder)
        store.append(observation(0, 41))
        os.remove(folder + "/boot")
        assert open_store(folder).boot_count == 42
        with open(folder + "/boot", "wb") as f:
            f.write(b"\x01\x02")
        assert open_store(folder).boot_count == 42  # torn file ignored, the record still knows
    finally:
        remove_tree(folder)


def test_the_boot_counter_increments_once_per_open():
    folder = scratch("boots")
    try:
        assert [open_store(folder).boot_count for _ in range(4)] == [1, 2, 3, 4]
    finally:
        remove_tree(folder)


def test_a_full_store_refuses_and_keeps_every_record_pending():
    folder = scratch("full")
    free = [PLENTY]
    try:
        store = open_store(folder, free_bytes=lambda: free[0])
        for i in range(5):
            store.append(observation(i))
        store.mark_synced(1)
        free[0] = DEFAULT_RESERVE_BYTES + RS - 1
        assert not store.can_store()
        assert raises(StoreFull, store.append, observation(5))
        assert file_size(folder + "/records.bin") == 5 * RS
        assert store.count() == 5 and store.pending_count() == 4
        assert [tobs_record.seq_of(r) for r in store.pending()] == [2, 3, 4, 5]
        reopened = open_store(folder, free_bytes=lambda: free[0])
        assert raises(StoreFull, reopened.append, observation(5))
        assert seqs(reopened.records()) == [1, 2, 3, 4, 5] and reopened.pending_count() == 4
        # Acknowledging does not delete anything, and a refused append spent no number.
        reopened.mark_synced(5)
        assert reopened.count() == 5 and reopened.pending_count() == 0
        free[0] = DEFAULT_RESERVE_BYTES + RS
        assert reopened.can_store() and reopened.append(observation(5)) == 6
    finally:
        remove_tree(folder)


def test_a_record_that_does_not_encode_writes_nothing_and_spends_no_number():
    folder = scratch("invalid")
    try:
        store = open_store(folder)
        store.append(observation(0))
        bad = observation(1)
        bad["pulse"] = 300
        assert raises(ValueError, store.append, bad)
        assert file_size(folder + "/records.bin") == RS and store.count() == 1
        assert store.append(observation(1)) == 2
    finally:
        remove_tree(folder)


def test_mark_synced_moves_only_forwards_and_persists():
    folder = scratch("mark")
    try:
        store = open_store(folder)
        records = [tobs_record.encode(observation(i), i + 1) for i in range(6)]
        for i in range(6):
            store.append(observation(i))
        assert list(store.pending()) == records
        store.mark_synced(3)
        assert store.pending_count() == 3 and list(store.pending()) == records[3:]
        store.mark_synced(2)
        assert store.pending_count() == 3 and store.acked == 3
        assert raises(ValueError, store.mark_synced, 7)
        reopened = open_store(folder)
        assert reopened.acked == 3 and list(reopened.pending()) == records[3:] and reopened.count() == 6
        reopened.mark_synced(6)
        assert reopened.pending_count() == 0 and list(reopened.pending()) == []
        assert open_store(folder).pending_count() == 0
    finally:
        remove_tree(folder)


def test_seq_never_falls_below_the_acknowledged_seq_even_if_the_log_is_lost():
    folder = scratch("lostlog")
    try:
        store = open_store(folder)
        for i in range(3):
            store.append(observation(i))
        store.mark_synced(3)
        os.remove(folder + "/records.bin")
        assert open_store(folder).append(observation(3)) == 4
    finally:
        remove_tree(folder)


def flip_byte(path, offset):
    with open(path, "r+b") as f:
        f.seek(offset)
        value = f.read(1)[0]
        f.seek(offset)
        f.write(bytes([value ^ 0x40]))


def test_a_bad_record_in_the_middle_is_kept_counted_and_skipped():
    folder = scratch("middle")
    try:
        store = open_store(folder)
        for i in range(4):
            store.append(observation(i))
        store.mark_synced(1)
        flip_byte(folder + "/records.bin", RS + 30)  # record 2
        store = open_store(folder)
        assert store.corrupt == 1 and store.torn_bytes == 0 and store.problems
        assert seqs(store.records()) == [1, 3, 4] and store.count() == 3
        assert [tobs_record.seq_of(r) for r in store.pending()] == [3, 4] and store.pending_count() == 2
        assert store.append(observation(4)) == 5
        assert file_size(folder + "/records.bin") == 5 * RS  # the bad slot is still there, untouched
        assert open_store(folder).corrupt == 1
    finally:
        remove_tree(folder)


def test_a_bad_final_record_is_a_torn_write_and_only_the_final_one():
    folder = scratch("tail")
    try:
        store = open_store(folder)
        for i in range(5):
            store.append(observation(i))
        flip_byte(folder + "/records.bin", 3 * RS + 10)  # record 4: corruption, kept
        flip_byte(folder + "/records.bin", 4 * RS + 10)  # record 5: the final slot, a torn write
        store = open_store(folder)
        assert store.corrupt == 1 and store.torn_bytes == RS
        assert seqs(store.records()) == [1, 2, 3]
        assert store.append(observation(5)) == 6
        assert file_size(folder + "/records.bin") == 5 * RS
        store = open_store(folder)
        assert seqs(store.records()) == [1, 2, 3, 6] and store.corrupt == 1 and store.torn_bytes == 0
    finally:
        remove_tree(folder)


def test_compaction_drops_only_acknowledged_records_and_numbering_goes_on():
    folder = scratch("compact")
    try:
        store = open_store(folder)
        records = [tobs_record.encode(observation(i), i + 1) for i in range(6)]
        for i in range(6):
            store.append(observation(i))
        assert store.compact() == 0  # nothing acknowledged: nothing may go
        store.mark_synced(4)
        assert store.compact() == 4
        assert file_size(folder + "/records.bin") == 2 * RS
        assert list(store.pending()) == records[4:] and store.count() == 2 and store.pending_count() == 2
        assert store.append(observation(6)) == 7
        store.mark_synced(7)
        assert store.compact() == 3 and store.count() == 0
        reopened = open_store(folder)
        assert reopened.count() == 0 and reopened.append(observation(7)) == 8
    finally:
        remove_tree(folder)


def test_a_power_cut_at_every_byte_of_a_compaction_loses_nothing():
    folder = scratch("compactcut")
    try:
        for k in range(3 * RS + 1):
            remove_tree(folder)
            store = open_store(folder)
            for i in range(5):
                store.append(observation(i))
            store.mark_synced(2)
            cut = open_store(folder, opener=cut_opener("records.new", k))
            assert raises(PowerCut, cut.compact), k
            after = open_store(folder)
            # The cut came before the rename: the whole log is still there and the partial copy is gone.
            assert seqs(after.records()) == [1, 2, 3, 4, 5] and after.pending_count() == 3, k
            assert not exists(folder + "/records.new")
            assert after.compact() == 2 and seqs(after.records()) == [3, 4, 5]
            assert after.append(observation(5)) == 6
    finally:
        remove_tree(folder)


def test_compaction_makes_a_full_store_take_records_again():
    folder = scratch("compactfull")
    try:
        capacity = 10 * RS

        def free():
            used = file_size(folder + "/records.bin") if exists(folder + "/records.bin") else 0
            return DEFAULT_RESERVE_BYTES + capacity - used

        store = open_store(folder, free_bytes=free)
        while store.can_store():
            store.append(observation(store.count()))
        assert store.count() == 10 and raises(StoreFull, store.append, observation(99))
        store.mark_synced(9)  # a sync took all but the newest
        assert store.compact() == 9
        assert store.can_store() and store.pending_count() == 1
        assert store.append(observation(99)) == 11
    finally:
        remove_tree(folder)


def test_a_new_store_gets_an_identity_that_stays_and_a_wiped_one_gets_another():
    folder = scratch("epoch")
    store = open_store(folder)
    epoch = store.epoch
    assert 0 < epoch <= 0x7FFFFFFF
    store.append(observation(1))
    assert open_store(folder).epoch == epoch  # reopened: the same store
    remove_tree(folder)  # the flash wiped
    os.mkdir(folder)
    again = open_store(folder)
    assert again.epoch not in (0, epoch) and again.next_seq() == 1


def test_a_store_from_before_identities_is_epoch_0_and_keeps_it():
    folder = scratch("epoch-legacy")
    store = open_store(folder)
    store.append(observation(1))
    os.remove(folder + "/epoch")  # what firmware from before store epochs left on the flash
    legacy = open_store(folder)
    assert legacy.epoch == 0 and legacy.next_seq() == 2 and legacy.problems == []
    assert open_store(folder).epoch == 0


def test_an_unreadable_identity_becomes_a_new_one_and_says_so():
    folder = scratch("epoch-damaged")
    store = open_store(folder)
    epoch = store.epoch
    store.append(observation(1))
    with open(folder + "/epoch", "wb") as f:
        f.write(b"\xff\xff")
    damaged = open_store(folder)
    assert damaged.epoch not in (0, epoch)
    assert any("store identity unreadable" in p for p in damaged.problems)
    # Every record is still there, to be synced under the new identity (the register reports the reset).
    assert damaged.pending_count() == 1
