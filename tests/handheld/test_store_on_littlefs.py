"""The record store on the filesystem the Pico really has: LittleFS v2 on 352 blocks of 4 KiB, run by MicroPython.

The store is filled with its real statvfs-based free space until it refuses; every record must still be there,
readable and pending, and the refusal must be StoreFull, not an error from the filesystem."""

import json
import subprocess

PICO_FS_BYTES = 1_441_792

# Runs on MicroPython's unix port from the repository root. The block device keeps the image in RAM and
# erases to 0xFF like NOR flash; progsize=256 is what the Pico's _boot.py formats and mounts with.
SCRIPT = r"""
import json
import os
import sys

sys.path.insert(0, "firmware/lib")
sys.path.insert(0, "firmware")
import tobs_core
import tobs_record
from handheld.store import RecordStore, StoreFull
from board_sim_flash import BLOCK, RamFlash


flash = RamFlash(%(blocks)d)
os.VfsLfs2.mkfs(flash, progsize=256)
os.mount(os.VfsLfs2(flash, progsize=256), "/flash")
total_bytes = os.statvfs("/flash")[0] * os.statvfs("/flash")[2]


def fields(i):
    return {
        "measured_at": 1790000000 + 60 * i, "clock_valid": True, "boot_count": 1, "ms_since_boot": i,
        "device_id": b"PICO0001", "staff": 7, "patient": i, "pulse": 60 + i %% 100, "resp": 12, "temp_raw": 370,
        "temp_site": "rectal", "sys_bp": 120, "awareness": "habitual",
        "points": {"pulse": 0, "resp": 0, "temp": 0, "sys_bp": 0, "awareness": 0}, "total": 0,
        "core_id": tobs_core.CORE_ID, "config_id": "00c0ffee", "action": 0, "reason": 0,
    }


store = RecordStore("/flash")
stored = 0
refusal = None
while refusal is None:
    try:
        seq = store.append(fields(stored))
    except StoreFull as e:
        refusal = "%%s: %%s" %% (type(e).__name__, e)
    else:
        stored += 1
        assert seq == stored, (seq, stored)
refused_again = False
try:
    store.append(fields(stored))
except StoreFull:
    refused_again = True

# A power-up on the full flash: the boot counter is written, every record is still there and pending.
store = RecordStore("/flash")
readable = 0
for i, record in enumerate(store.records()):
    assert record["seq"] == i + 1 and record["patient"] == i, record
    readable += 1
pending = 0
for data in store.pending():
    tobs_record.decode(data)
    pending += 1
st = os.statvfs("/flash")
result = {
    "fs_bytes": total_bytes, "stored": stored, "refusal": refusal, "refused_again": refused_again,
    "count": store.count(), "pending_count": store.pending_count(), "readable": readable, "pending": pending,
    "can_store": store.can_store(), "free_bytes": st[1] * st[4], "reserve": store.reserve_bytes,
    "boot_count": store.boot_count, "problems": store.problems, "corrupt": store.corrupt,
    "log_bytes": os.stat("/flash/records.bin")[6], "record_size": tobs_record.RECORD_SIZE,
}
# The sync must still be able to record an acknowledgement on the full flash.
store.mark_synced(stored)
result["pending_after_sync"] = RecordStore("/flash").pending_count()
print(json.dumps(result))
"""


def test_the_store_fills_the_picos_littlefs_until_it_refuses_and_keeps_every_record(root, micropython, tmp_path):
    script = tmp_path / "fill_store.py"
    script.write_text(SCRIPT % {"blocks": PICO_FS_BYTES // 4096})
    result = subprocess.run(
        [micropython, "-X", "heapsize=4M", str(script)], cwd=root, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])

    assert report["fs_bytes"] == PICO_FS_BYTES
    assert report["refusal"].startswith("StoreFull"), report["refusal"]
    assert report["refused_again"] and not report["can_store"]
    # The flash is nearly full: refused only because a record would eat into the reserve.
    assert report["free_bytes"] - report["record_size"] < report["reserve"] <= report["free_bytes"] + 4096
    assert report["stored"] * report["record_size"] > 0.9 * PICO_FS_BYTES
    stored = report["stored"]
    assert report["count"] == report["pending_count"] == report["readable"] == report["pending"] == stored
    assert report["log_bytes"] == stored * report["record_size"]
    assert report["corrupt"] == 0 and report["problems"] == []
    assert report["boot_count"] == 2
    assert report["pending_after_sync"] == 0
