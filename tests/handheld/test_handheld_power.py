"""Power cuts on the handheld: inside LittleFS at every programmed byte of a save (MicroPython, the real store and
reminders on the Pico's filesystem), and the real app on the virtual Pico killed while saving and mid-entry."""


import os
import re
import signal
import threading
import time

import pytest
from handheld_support import (
    HOME_TITLE,
    STAFF_PROMPT,
    START_TITLE,
    finish_micropython,
    login,
    observation_keys,
    read_flash,
    rows,
    said,
    start_handheld,
    start_micropython,
)
from micropython_support import sim_build_fixture  # noqa: F401  (fixture)

from tobs.device.virtual_pico import FirmwareDied

# ---- cut inside the filesystem ---------------------------------------------------------------------------------------
# Runs on MicroPython's unix port. The flash is a RAM image of the Pico's 352 blocks of 4 KiB. A save is what the app
# does when the nurse confirms: RecordStore.append, then Reminders.saved. For every N from 0 to the number of bytes
# that save programs, the image is restored, powered up (mount, open store and reminders: the boot counter is written
# here, outside the cut), and the save runs with power for exactly N more programmed bytes; the program call that
# crosses N writes its first bytes only. Then a new power-up mounts the image and checks it.
# argv: scenarios "geometry:records already stored before the save"; geometry "pico" is progsize 256 with erases to
# 0xFF (the Pico's _boot.py on NOR flash), "sim" is board_sim's mount: default options, erase a no-op.
CUT_SCRIPT = r"""
import gc
import json
import os
import sys

import tobs_core
from handheld import siteconfig_load
from handheld.reminders import Reminders
from handheld.store import RecordStore

BLOCK = 4096
BLOCKS = 352
ROOT = "/flash"
GEOMETRY = "pico"
OPTIONS = {}
ERASED = b"\xff" * BLOCK


class PowerCut(Exception):
    pass


class Flash:
    # One power-on period of the chip: `budget` more programmed bytes, then the power is gone. After the cut it
    # refuses every call, so a stale LittleFS handle (a file the cut left open, finalised later by the GC) can
    # never touch the image the next power-up sees.
    def __init__(self, image, budget=None):
        self.mv = image
        self.programmed = 0
        self.budget = budget
        self.dead = False

    def readblocks(self, block, buf, offset=0):
        if self.dead:
            raise PowerCut()
        start = block * BLOCK + offset
        buf[:] = self.mv[start:start + len(buf)]

    def writeblocks(self, block, buf, offset=0):
        if self.dead:
            raise PowerCut()
        start = block * BLOCK + offset
        n = len(buf)
        if self.budget is not None and self.programmed + n > self.budget:
            k = self.budget - self.programmed
            self.mv[start:start + k] = buf[:k]
            self.programmed += k
            self.dead = True
            raise PowerCut()
        self.mv[start:start + n] = buf
        self.programmed += n

    def ioctl(self, op, arg):
        if self.dead:
            raise PowerCut()
        if op == 4:
            return BLOCKS
        if op == 5:
            return BLOCK
        if op == 6 and GEOMETRY == "pico":
            self.mv[arg * BLOCK:(arg + 1) * BLOCK] = ERASED
        return 0


def fields(i):
    # Records with different totals, so that reminders come and go: 0 (none), 3 (2 h), 10 (1 h).
    total = (0, 3, 10)[i % 3]
    points = {"pulse": 0, "resp": 0, "temp": 0, "sys_bp": 0, "awareness": 0}
    if total == 3:
        points["pulse"] = points["temp"] = points["awareness"] = 1
    elif total == 10:
        points = {"pulse": 3, "resp": 2, "temp": 1, "sys_bp": 1, "awareness": 3}
    return {
        "measured_at": 1790000000 + 60 * i, "clock_valid": True, "boot_count": 1, "ms_since_boot": 1000 * i,
        "device_id": b"PICO0001", "staff": 1001, "patient": 1 + i % 4, "pulse": 60 + i % 90, "resp": 12 + i % 8,
        "temp_raw": 365 + i % 10, "temp_site": "rectal", "sys_bp": 110 + i % 50, "awareness": "habitual",
        "points": points, "total": total, "core_id": tobs_core.CORE_ID, "config_id": "d733b81b",
        "action": i % 6, "reason": 0, "action_missing": False,
    }


image = memoryview(bytearray(BLOCK * BLOCKS))
site = None


def power_up(budget=None):
    global site
    flash = Flash(image, budget)
    os.mount(os.VfsLfs2(flash, **OPTIONS), ROOT)
    if site is None:
        site = siteconfig_load.load(ROOT)  # no site.json on this flash: the shipped example
    store = RecordStore(ROOT)
    return flash, store, Reminders(ROOT, site).open(store)


def save(store, reminders, i):
    record = fields(i)
    store.append(record)
    reminders.saved(record["patient"], record["measured_at"], site.guidance_for(record["total"], record["total"] == 10))


def power_off():
    os.umount(ROOT)


def comparable(record):
    record = dict(record)
    del record["seq"], record["tag"], record["boot_count"]
    return record


def expected(i):
    record = fields(i)
    del record["boot_count"]
    return record


def scenario(geometry, existing):
    global GEOMETRY, OPTIONS
    GEOMETRY = geometry
    OPTIONS = {"progsize": 256} if geometry == "pico" else {}
    image[:] = bytes(len(image))
    os.VfsLfs2.mkfs(Flash(image), **OPTIONS)
    flash, store, reminders = power_up()
    for i in range(existing):
        save(store, reminders, i)
    due_before = dict(reminders.next_due)
    power_off()
    before = bytes(image)

    flash, store, reminders = power_up()
    start = flash.programmed
    save(store, reminders, existing)
    programmed = flash.programmed - start
    due_after = dict(reminders.next_due)
    power_off()

    patient = fields(existing)["patient"]
    result = {"geometry": GEOMETRY, "existing": existing, "programmed": programmed, "cuts": 0, "old": 0, "new": 0,
              "record_failures": [], "reminder_failures": [], "problems": []}
    for cut in range(programmed):
        image[:] = before
        flash, store, reminders = power_up()
        flash.budget = flash.programmed + cut
        try:
            save(store, reminders, existing)
            result["record_failures"].append("cut %d: the save finished" % cut)
        except PowerCut:
            pass
        store = reminders = flash = None
        power_off()
        result["cuts"] += 1
        try:
            flash, store, reminders = power_up()
        except OSError as e:
            # The Pico's _boot.py would format this flash: every record lost.
            result["record_failures"].append("cut %d: no longer mounts: %r" % (cut, e))
            continue
        records = [comparable(r) for r in store.records()]
        good = len(records) in (existing, existing + 1)
        good = good and records == [expected(i) for i in range(len(records))]
        if not good:
            result["record_failures"].append("cut %d: %d records, %r" % (cut, len(records), records[existing - 1:]))
        saved = len(records) == existing + 1
        result["new" if saved else "old"] += 1
        if store.problems:
            result["problems"].append("cut %d: %r" % (cut, store.problems))
        due = reminders.due_at(patient)
        want = (due_after if saved else due_before).get(patient)
        if due != want:
            result["reminder_failures"].append(
                "cut %d (%s record): patient %d due %r, expected %r" % (cut, "new" if saved else "old", patient, due,
                                                                       want))
        if cut % 4 == 0 or cut == programmed - 1:
            # The device goes on working after the cut: the next save is stored whole (every 4th cut, for time).
            save(store, reminders, 1000)
            if comparable(list(store.records())[-1]) != expected(1000):
                result["record_failures"].append("cut %d: the next save after the restart is not stored" % cut)
        store = reminders = flash = None
        power_off()
        if cut % 200 == 0:
            gc.collect()
    return result


results = []
for arg in sys.argv[1:]:
    geometry, existing = arg.split(":")
    results.append(scenario(geometry, int(existing)))
gc.collect()
print("RESULT " + json.dumps(results))
"""

# geometry:records already stored before the save. The first record (the log is created, inline in its directory
# entry), the second (the log moves out to a block of its own), and the record that fills the log's block and
# spills into the next one (copy-on-write of a whole 4 KiB block: the longest save); for the virtual Pico's own
# mount options the last two. About 13,000 cut points, in two MicroPython processes of similar length side by side.
CUT_RUNS = (("pico:54", "sim:1"), ("pico:0", "pico:1", "sim:54"))


@pytest.fixture(scope="module", name="cuts")
def cuts_fixture(tmp_path_factory):
    script = tmp_path_factory.mktemp("cut") / "cut_every_byte.py"
    script.write_text(CUT_SCRIPT)
    running = [start_micropython(script, *scenarios, heap="16M") for scenarios in CUT_RUNS]
    results = []
    for proc in running:
        found, _ = finish_micropython(proc)
        results += found
    return results


def test_a_power_cut_at_every_programmed_byte_of_a_save_keeps_the_earlier_records_and_no_torn_one(cuts):
    assert ["%s:%d" % (r["geometry"], r["existing"]) for r in cuts] == [s for run in CUT_RUNS for s in run]
    for r in cuts:
        where = "%s flash, save after %d records" % (r["geometry"], r["existing"])
        assert r["programmed"] > 0 and r["cuts"] == r["programmed"], where
        assert r["record_failures"] == [], where
        # LittleFS publishes a file write atomically: the store never even sees a torn tail to repair.
        assert r["problems"] == [], where
        # Both outcomes occur: cut early the record is not there, cut late it is there whole.
        assert r["old"] > 0 and r["new"] > 0 and r["old"] + r["new"] == r["cuts"], where
    pico_block_spill = [r for r in cuts if r["geometry"] == "pico" and r["existing"] == 54][0]
    assert pico_block_spill["programmed"] > 4096  # the whole block was copied, and cut inside at every byte


def test_a_power_cut_after_the_record_is_stored_does_not_lose_its_reminder(cuts):
    # When the cut falls after the record's commit but before reminders.json is replaced, the next power-up must
    # still know when the patient is due again (the record is there, so the nurse was told "Gemt").
    failures = {"%s after %d" % (r["geometry"], r["existing"]): r["reminder_failures"] for r in cuts}
    summary = {k: "%d cut points, e.g. %s" % (len(v), v[0]) for k, v in failures.items() if v}
    assert summary == {}


# ---- the real app on the virtual Pico, killed -----------------------------------------------------------------------
@pytest.fixture(name="pico")
def pico_fixture(tmp_path, sim_build):
    pico = start_handheld(tmp_path / "pico", sim_build)
    yield pico
    pico.stop()


def unsynced(pico) -> int:
    pico.press("D")
    found = [int(m.group(1)) for r in rows(pico) for m in [re.fullmatch(r"Usynk\.: (\d+)", r)] if m]
    pico.press("#")
    assert len(found) == 1, rows(pico)
    return found[0]


def at_power_up(pico) -> None:
    """After a power cut the app starts afresh: the start screen with an empty staff number, nobody logged in."""
    lines = rows(pico)
    assert lines[0] == START_TITLE and lines[4] == STAFF_PROMPT, lines
    assert pico.screen.big_text() == "_"


def press_and_cut(pico, key: str, when) -> bool:
    """Press key and pull the power meanwhile: after `when` seconds, or (a str) as soon as that log line appears,
    or (None) once the key is handled. True when the firmware had handled the key and flushed the screen first."""
    if when is None:
        pico.press(key)
        pico.kill()
        return True
    done = []

    def press():
        try:
            pico.press(key)
            done.append(True)
        except FirmwareDied:
            done.append(False)

    presser = threading.Thread(target=press)
    presser.start()
    if isinstance(when, str):
        pico.wait_log(when)
    else:
        time.sleep(when)
    os.killpg(pico.proc.pid, signal.SIGKILL)
    presser.join(timeout=20)
    assert done, "the key press did not return"
    return done[0]


# Kill moments after the key that saves (the action's one key): a spread of delays (the app polls keys every 10 ms
# and a save takes a few ms), right after the app logged the record as saved (its draft, reminder and screen are
# written after that), and last once "Gemt" is on the screen.
KILL_MOMENTS = [0, 0.002, 0.004, 0.006, 0.008, 0.010, 0.012, 0.015, 0.020, 0.030, 0.060, "saved record", None]


def test_killing_the_app_while_it_saves_keeps_every_record_whole_or_not_at_all(pico, tmp_path):
    login(pico)
    pico.press(observation_keys(1, 72, 16, 375, 120, 1) + "##")
    pico.press(observation_keys(2, 95, 16, 385, 120, 2) + "#1")
    assert rows(pico)[0] == "Gemt"
    stored = 2
    typed = {1: 1, 2: 1}  # patient -> power-up (boot count) it was typed in
    seen_saved = []
    for i, when in enumerate(KILL_MOMENTS):
        patient = 100 + i
        boot = i + 1
        pico.press(observation_keys(patient, 95, 16, 385, 120, 2) + "#")
        assert rows(pico)[0] == "Handling udført:" and pico.screen.inverted_rows() == [0]
        needle = "for patient %d," % patient if isinstance(when, str) else when
        handled = press_and_cut(pico, "1", needle)
        said_saved = handled and rows(pico)[0] == "Gemt"
        pico.restart()
        at_power_up(pico)
        # Not saved means kept as the nurse's draft: offered at her log-in (and a saved one never is).
        pico.press("1001#1234#")
        offered = rows(pico)[0] == "Ufærdig måling"
        if offered:
            assert said(pico, 2, 5) == "Fortsæt måling for pt %d?" % patient
            pico.press("C#")  # discarded here: the next round types a new one
        assert rows(pico)[0] == HOME_TITLE
        count = unsynced(pico)
        assert count == stored + (0 if offered else 1), (when, count, stored, offered)
        if said_saved:
            seen_saved.append(patient)
            assert count == stored + 1, "patient %d was shown as saved, then lost at the power cut" % patient
        if count == stored + 1:
            typed[patient] = boot
        stored = count
    assert patient in seen_saved  # the last kill came after the screen said Gemt
    assert len(typed) < 2 + len(KILL_MOMENTS), "every kill came after the save; the moments need adjusting"

    pico.stop()
    flash = read_flash(pico.flash, tmp_path / "dump")
    assert flash["count"] == stored and flash["problems"] == [] and flash["corrupt"] == 0
    records = flash["records"]
    assert [r["patient"] for r in records] == sorted(typed)
    seqs = [r["seq"] for r in records]
    assert seqs == sorted(set(seqs))
    for r in records:
        assert r["boot_count"] == typed[r["patient"]], r
        assert (r["staff"], r["total"]) == (1001, 0 if r["patient"] == 1 else 3), r
        if r["patient"] != 1:
            assert (r["pulse"], r["resp"], r["temp_raw"], r["sys_bp"], r["awareness"], r["action"]) == (
                95, 16, 385, 120, "agitated", 1)


# Where a nurse may be when the power goes, and the screen her measurement comes back on (None: nothing was
# confirmed yet, nothing to keep). The values confirmed before the cut come back; nothing half is ever saved.
REVIEW = "Pt 7"
MID_ENTRY = {
    "patient number typed": ("#7", None),
    "vitals half entered": ("#7#72#16#3", "Pt 7         3/5"),
    "three points to confirm": ("#7#135#", "Pt 7         1/5"),
    "awareness menu": ("#7#72#16#375#120#", "Bevidsthed   5/5"),
    "on the review": ("#7#72#16#375#120#2", REVIEW),
    "on the action menu": ("#7#72#16#375#120#2#", REVIEW),
    "asked to cancel": ("#7#72#16#375#120#2C", REVIEW),
    "status over the entry": ("#7#72#16#D", "Pt 7         3/5"),
}


def test_a_reboot_mid_entry_offers_back_what_was_entered_and_saves_nothing_half(pico, tmp_path):
    login(pico)
    pico.press(observation_keys(3, 72, 16, 375, 120, 1) + "##")
    assert rows(pico)[0] == "Gemt"
    pico.stop()
    before = read_flash(pico.flash, tmp_path / "before")
    assert before["count"] == 1
    pico.start()
    for where, (keys, back_on) in MID_ENTRY.items():
        login(pico)
        pico.press(keys)
        assert rows(pico)[0] != HOME_TITLE, where
        pico.restart()
        at_power_up(pico)
        pico.press("1001#1234#")
        if back_on is None:
            assert rows(pico)[0] == HOME_TITLE, where
        else:
            assert said(pico, 2, 5) == "Fortsæt måling for pt 7?", where
            pico.press("#")
            assert rows(pico)[0].startswith(back_on), (where, rows(pico))
            if back_on == REVIEW:
                assert pico.screen.big_text() == "1"  # scored again from the values kept (agitated: 1)
            pico.press("C#")  # discarded: the next place starts afresh
        assert rows(pico)[0] == HOME_TITLE
        assert unsynced(pico) == 1, where
        pico.press("*#")  # log out
    pico.stop()
    after = read_flash(pico.flash, tmp_path / "after")
    assert after["count"] == 1 and after["problems"] == []
    assert after["records"] == before["records"] and after["log_sha256"] == before["log_sha256"]


def test_a_record_shown_as_saved_and_its_reminder_survive_a_power_cut(pico, tmp_path):
    login(pico)
    pico.press("#9#135##22#A380#85#5##")  # total 10: measure again within the hour
    pico.press("#2")
    assert rows(pico)[0:3] == ["Gemt", "Pt 9", "TOBS 10"]
    pico.kill()
    pico.start()
    at_power_up(pico)
    login(pico)
    due = [r for r in rows(pico)[1:7] if r.startswith("1 9 ")]
    assert len(due) == 1 and re.search(r" om (59|60)m$", due[0]), rows(pico)
    pico.stop()
    (record,) = read_flash(pico.flash, tmp_path / "dump")["records"]
    assert (record["patient"], record["total"], record["action"], record["reason"], record["temp_site"]) == (
        9, 10, 2, 0, "oral")
