"""A full flash on the virtual Pico: the app still saves the record that fits, then refuses new measurements with
"Hukommelse fuld – synkronisér" (before anything is typed), also after a restart, and every record stays intact."""

import re

import pytest
from handheld_support import (
    HOME_TITLE,
    STORE_FULL,
    login,
    micropython,
    observation_keys,
    read_flash,
    rows,
    said,
    start_handheld,
)
from micropython_support import sim_build_fixture  # noqa: F401  (fixture)

# Fills a flash image the way the device would have: the real RecordStore (and reminders file) on LittleFS with
# board_sim's block device semantics and mount options, in RAM for speed, then written to the image file that
# board_sim mounts. It stops where exactly one more measurement can be started (room for its record and its draft):
# an append is tried on a copy of the image, and the one after which no measurement could start is taken back.
# argv: image path.
FILL_SCRIPT = r"""
import hashlib
import json
import os
import sys
from binascii import hexlify

import tobs_core
import tobs_record
from handheld import siteconfig_load
from handheld.reminders import Reminders
from handheld.flow import DRAFT_ROOM
from handheld.store import RecordStore
from board_sim_flash import BLOCK, RamFlash
ROOT = "/flash"


def fields(i):
    # Scored 0 (no reminders), one patient of a ward of 40 at a time, ten minutes apart.
    return {
        "measured_at": 1609459200 + 600 * i, "clock_valid": False, "boot_count": 1 + i // 500,
        "ms_since_boot": 600000 * (i % 500), "device_id": b"\xe6\x60\x54\x81\xdb\x12\x34\x56", "staff": 1001,
        "patient": 1 + i % 40, "pulse": 60 + i % 30, "resp": 12 + i % 9, "temp_raw": 360 + i % 20,
        "temp_site": "rectal", "sys_bp": 100 + i % 100, "awareness": "habitual",
        "points": {"pulse": 0, "resp": 0, "temp": 0, "sys_bp": 0, "awareness": 0}, "total": 0,
        "core_id": tobs_core.CORE_ID, "config_id": "00c0ffee", "action": 0, "reason": 0, "action_missing": False,
    }


flash = RamFlash()
os.VfsLfs2.mkfs(flash)
os.mount(os.VfsLfs2(flash), ROOT)
store = RecordStore(ROOT)
Reminders(ROOT, siteconfig_load.load(ROOT)).open(store)
stored = 0
while True:
    st = os.statvfs(ROOT)
    if st[0] * st[3] > store.reserve_bytes + 4 * BLOCK:
        store.append(fields(stored))
        stored += 1
        continue
    before = bytes(flash.mv)
    store.append(fields(stored))
    if store.can_store(DRAFT_ROOM):
        stored += 1
        continue
    os.umount(ROOT)
    flash.mv[:] = before
    break

os.mount(os.VfsLfs2(flash), ROOT)
st = os.statvfs(ROOT)
digest = hashlib.sha256()
with open(ROOT + "/records.bin", "rb") as f:
    while True:
        chunk = f.read(4096)
        if not chunk:
            break
        digest.update(chunk)
log_bytes = os.stat(ROOT + "/records.bin")[6]
os.umount(ROOT)
with open(sys.argv[1], "wb") as f:
    f.write(flash.mv)
print("RESULT " + json.dumps({
    "stored": stored, "log_bytes": log_bytes, "log_sha256": hexlify(digest.digest()).decode(),
    "free_bytes": st[0] * st[3], "record_size": tobs_record.RECORD_SIZE,
}))
"""


FILLED_DEVICE = "e6605481db123456"  # the device_id in fields() above


def fill_flash(image, scratch):
    scratch.mkdir(parents=True, exist_ok=True)
    script = scratch / "fill_flash.py"
    script.write_text(FILL_SCRIPT)
    image.parent.mkdir(parents=True, exist_ok=True)
    filled, _ = micropython(script, str(image), heap="8M")
    return filled


def status(pico) -> dict:
    """The status screen's count of unsynced records and free kB."""
    pico.press("D")
    text = "\n".join(rows(pico))
    pico.press("#")
    unsynced = re.search(r"^Usynk\.: (\d+)$", text, re.M)
    free = re.search(r"^Fri: (\d+) kB$", text, re.M)
    assert unsynced and free, text
    return {"unsynced": int(unsynced.group(1)), "free_kb": int(free.group(1))}


def refused(pico) -> None:
    """The notice a full store gives instead of a new measurement, then any key back to the home screen."""
    assert said(pico, 1, 5) == STORE_FULL, rows(pico)
    assert rows(pico)[7] == "Tryk en tast"
    pico.press("1")
    assert rows(pico)[0] == HOME_TITLE


@pytest.fixture(name="full")
def full_fixture(tmp_path, sim_build):
    filled = fill_flash(tmp_path / "pico" / "flash.img", tmp_path / "fill")
    (tmp_path / "pico" / "uid").write_text(FILLED_DEVICE + "\n")  # the device whose records the fill wrote
    pico = start_handheld(tmp_path / "pico", sim_build, timeout=60)
    yield pico, filled
    pico.stop()


def test_a_full_store_saves_the_last_record_that_fits_then_refuses_and_keeps_every_record(full, tmp_path):
    pico, filled = full
    stored = filled["stored"]
    assert stored * filled["record_size"] > 0.9 * 1_441_792  # the flash is really full of records
    assert not any("store:" in line for line in pico.logs), pico.logs
    login(pico)
    assert status(pico)["unsynced"] == stored

    # The last record that fits is saved as usual.
    pico.press(observation_keys(7, 88, 18, 372, 131, 1) + "##")
    assert rows(pico)[0:3] == ["Gemt", "Pt 7", "TOBS 0"]
    after = status(pico)
    assert after["unsynced"] == stored + 1 and after["free_kb"] <= 36  # down to the reserve (and a draft's block)

    # Now a new measurement is refused before a single value is typed; the status screen still works.
    pico.press("#")
    refused(pico)
    pico.press("#")
    refused(pico)
    assert status(pico)["unsynced"] == stored + 1

    # A power-up on the full flash: the nurse can log in and is told the same.
    pico.restart(timeout=60)
    login(pico)
    pico.press("#")
    refused(pico)
    pico.stop()

    flash = read_flash(pico.flash, tmp_path / "dump", show=2, prefix=stored)
    assert flash["count"] == flash["pending"] == stored + 1
    assert flash["problems"] == [] and flash["corrupt"] == 0 and flash["torn_bytes"] == 0
    assert flash["prefix_sha256"] == filled["log_sha256"]  # the earlier records, byte for byte
    assert flash["files"]["records.bin"] == (stored + 1) * filled["record_size"]
    before_last, last = flash["records"]
    assert before_last["seq"] == stored and before_last["patient"] == 1 + (stored - 1) % 40
    assert last["seq"] == stored + 1
    assert (last["patient"], last["pulse"], last["resp"], last["temp_raw"], last["sys_bp"]) == (7, 88, 18, 372, 131)
    assert (last["staff"], last["total"], last["awareness"]) == (1001, 0, "habitual")


def test_a_sync_gives_a_full_store_its_room_back(full, tmp_path):
    from tobs.device.link import Link
    from tobs.ops.sync import sync_port as sync
    from tobs.register import keys
    from tobs.register.db import open_register

    pico, filled = full
    login(pico)
    url = f"sqlite:///{tmp_path / 'register.db'}"
    register = open_register(url, announce=None)
    key = keys.enroll_device(register, FILLED_DEVICE, "test")
    with Link(pico.port) as link:
        link.request("ENROLL", "test", key.hex(), expect="A")
    result = sync(pico.port, url, timeout=30)
    assert (result.new, result.rejected) == (filled["stored"], 0)
    after = status(pico)
    assert after["unsynced"] == 0 and after["free_kb"] > 1000  # the synced records' flash is free again
    pico.press(observation_keys(8, 72, 14, 368, 132, 1) + "##")
    assert rows(pico)[0:2] == ["Gemt", "Pt 8"]
