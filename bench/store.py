# What a stored record costs: bytes per record (format and real LittleFS cost), how many records fit in the
# Pico's 1,441,792-byte filesystem before StoreFull, flash wear and time per append, open time of a full log.
# Runs on MicroPython's unix port (it has LittleFS), from the repository root:
#   .venv/bin/micropython -X heapsize=4M bench/store.py [--json]
# The filesystem is LittleFS v2 on a RAM image of the Pico's flash (352 blocks of 4 KiB, progsize 256, as the
# Pico's _boot.py formats it). Times are the unix port's on this machine; the Pico's flash adds a block erase
# and the programming of the copied bytes to every append (counted below, not timed).
import gc
import json
import os
import sys
import time

sys.path.insert(0, "firmware/lib")
sys.path.insert(0, "firmware")
from board_sim_flash import BLOCK, PICO_BLOCKS, RamFlash  # noqa: E402  (the flash chip, not counted below)

gc.collect()
heap_before = gc.mem_alloc()
import tobs_core  # noqa: E402
import tobs_record  # noqa: E402
from handheld.store import RecordStore, StoreFull  # noqa: E402

gc.collect()
heap_modules = gc.mem_alloc() - heap_before



def fields(i):
    return {
        "measured_at": 1790000000 + 60 * i, "clock_valid": True, "boot_count": 1, "ms_since_boot": i,
        "device_id": b"PICO0001", "staff": 7, "patient": i, "pulse": 60 + i % 100, "resp": 12, "temp_raw": 370,
        "temp_site": "rectal", "sys_bp": 120, "awareness": "habitual",
        "points": {"pulse": 0, "resp": 0, "temp": 0, "sys_bp": 0, "awareness": 0}, "total": 0,
        "core_id": tobs_core.CORE_ID, "config_id": "00c0ffee", "action": 0, "reason": 0,
    }


def used_bytes(path):
    st = os.statvfs(path)
    return (st[2] - st[3]) * st[1]


def mount_fresh(mountpoint):
    flash = RamFlash(PICO_BLOCKS)
    os.VfsLfs2.mkfs(flash, progsize=256)
    os.mount(os.VfsLfs2(flash, progsize=256), mountpoint)
    return flash


def us_since(start):
    return time.ticks_diff(time.ticks_us(), start)


def timed_fill(store, limit=None):
    """Append until StoreFull (or `limit` records); returns (records, microseconds)."""
    stored = 0
    start = time.ticks_us()
    while limit is None or stored < limit:
        try:
            store.append(fields(stored))
        except StoreFull:
            break
        stored += 1
    return stored, us_since(start)


def exists(path):
    try:
        os.stat(path)
    except OSError:
        return False
    return True


def remove_tree(path):
    for name in os.listdir(path):
        os.remove(path + "/" + name)
    os.rmdir(path)


# 1. LittleFS of the Pico's size, the real statvfs-based free space check: fill until refused.
MOUNT = "/flash"
flash = mount_fresh(MOUNT)
fs_bytes = os.statvfs(MOUNT)[2] * BLOCK
empty_used = used_bytes(MOUNT)
store = RecordStore(MOUNT)
start = time.ticks_us()
store.can_store()
statvfs_empty_us = us_since(start)
erases_before, programmed_before = flash.erases, flash.programmed
stored, fill_us = timed_fill(store)
erases = flash.erases - erases_before
programmed = flash.programmed - programmed_before
log_used = used_bytes(MOUNT) - empty_used
start = time.ticks_us()
store.can_store()
statvfs_full_us = us_since(start)
# Power-up on the full flash: the open walks and checks every record.
start = time.ticks_us()
store = RecordStore(MOUNT)
open_full_us = us_since(start)
assert store.count() == store.pending_count() == stored
os.umount(MOUNT)
flash = store = None
gc.collect()  # room for the next RAM image

# 2. The same without the statvfs check, to separate the write path from the free-space query.
flash = mount_fresh(MOUNT)
write_only, write_only_us = timed_fill(RecordStore(MOUNT, free_bytes=lambda: 1 << 30), 2000)
os.umount(MOUNT)

# 3. Heap, on a folder of the host's filesystem: its file layer allocates nothing itself (the RAM flash
# above does, in Python), so what is counted is the store's own garbage. GC off: nothing freed in between.
SCRATCH = "run/bench-store"
if not exists("run"):
    os.mkdir("run")
if exists(SCRATCH):
    remove_tree(SCRATCH)  # left by an interrupted run
plenty = lambda: 1 << 30  # noqa: E731
store = RecordStore(SCRATCH, free_bytes=plenty)
record = fields(1)
host_stored, host_fill_us = timed_fill(store, stored)
gc.collect()
gc.disable()
before = gc.mem_alloc()
for _ in range(100):
    store.append(record)
alloc_per_append = (gc.mem_alloc() - before) / 100
gc.collect()
before = gc.mem_alloc()
start = time.ticks_us()
walked = RecordStore(SCRATCH, free_bytes=plenty).count()
host_open_us = us_since(start)
alloc_open = gc.mem_alloc() - before
gc.enable()
remove_tree(SCRATCH)

figures = {
    "record_size": tobs_record.RECORD_SIZE,
    "fs_bytes": fs_bytes,
    "reserve_bytes": store.reserve_bytes,
    "records_before_store_full": stored,
    "flash_bytes_per_record": log_used / stored,
    "append_us": fill_us / stored,
    "append_us_without_statvfs": write_only_us / write_only,
    "statvfs_us_empty": statvfs_empty_us,
    "statvfs_us_full": statvfs_full_us,
    "open_full_store_ms": open_full_us / 1000,
    "erases_per_append": erases / stored,
    "programmed_bytes_per_append": programmed / stored,
    "append_us_host_fs": host_fill_us / host_stored,
    "open_full_store_ms_host_fs": host_open_us / 1000,
    "heap_modules_bytes": heap_modules,
    "heap_alloc_per_append_bytes": alloc_per_append,
    "heap_alloc_open_full_store_bytes": alloc_open,
    "records_walked_at_open": walked,
}

if "--json" in sys.argv:
    print(json.dumps(figures))
else:
    print("record format: %d bytes per record" % figures["record_size"])
    print("LittleFS (%d bytes, reserve %d): %.1f bytes of flash per record" % (
        fs_bytes, figures["reserve_bytes"], figures["flash_bytes_per_record"]))
    print("records stored before StoreFull: %d" % stored)
    print("append on LittleFS: %.0f us per record (%.0f us without the statvfs check; statvfs %d us empty, %d us full)"
          % (figures["append_us"], figures["append_us_without_statvfs"], statvfs_empty_us, statvfs_full_us))
    print("flash wear: %.2f block erases and %.0f programmed bytes per append" % (
        figures["erases_per_append"], figures["programmed_bytes_per_append"]))
    print("open of a full store (walks every record): %.1f ms on LittleFS" % figures["open_full_store_ms"])
    print("host filesystem: %.0f us per append, %.1f ms to open %d records" % (
        figures["append_us_host_fs"], figures["open_full_store_ms_host_fs"], walked))
    print("heap: tobs_core + tobs_record + store take %d bytes; an append leaves %.0f bytes of garbage; "
          "the open of %d records allocates %d bytes" % (heap_modules, alloc_per_append, walked, alloc_open))
