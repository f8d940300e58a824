"""Helpers for the handheld's end-to-end tests: the real firmware (firmware/main.py) on the virtual Pico, typed on
like a nurse would, its screen read back as text, and its flash image read back with MicroPython afterwards."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from tobs.device.virtual_pico import FLASH_SIZE, VirtualPico
from tobs.firmware import micropython as micropython_binary

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
FIRMWARE = REPO / "firmware"

# The example site configuration's staff (firmware/site_default.json).
STAFF = "1001"
PIN = "1234"
OTHER_STAFF = "1002"

IDLE_LOGOUT_MS = 10 * 60_000  # idle_logout_min in site_default.json
START_TITLE = "TOBS  EKSEMPEL"
STAFF_PROMPT = "Medarbejdernr.:"
HOME_TITLE = "Medarb. %s" % STAFF
NOTHING_DUE = ["Ingen målinger", "forfalder nu."]
STORE_FULL = "Hukommelse fuld – synkronisér"


def start_handheld(folder: Path, build_dir: Path, timeout: float = 15, **options) -> VirtualPico:
    """Power up the real app on a virtual Pico with the Pico's heap budget (the flash image persists in folder)."""
    options.setdefault("heap", "128k")
    pico = VirtualPico(folder, entry="main.py", build_dir=build_dir, **options)
    return pico.start(timeout=timeout)


def rows(pico: VirtualPico) -> list[str]:
    """The 8 text rows the nurse sees, trailing blanks removed; a double-size digit reads as '??' here."""
    return [line.rstrip() for line in pico.screen.text_lines()]


def said(pico: VirtualPico, first: int, last: int) -> str:
    """The sentence wrapped over rows first..last, the rows joined with single spaces."""
    return " ".join(r for r in rows(pico)[first : last + 1] if r)


def reads(pico: VirtualPico, first: int, last: int) -> str:
    """Rows first..last as one text without spaces or break hyphens: compares a sentence however it was wrapped."""
    return "".join(r.rstrip("-").replace(" ", "") for r in rows(pico)[first : last + 1])


def shows(pico: VirtualPico, *texts: str) -> bool:
    """True when every text appears on the screen (each within one row)."""
    lines = rows(pico)
    return all(any(t in line for line in lines) for t in texts)


def login(pico: VirtualPico, staff: str = STAFF, pin: str = PIN) -> None:
    pico.press(staff + "#" + pin + "#")
    assert rows(pico)[0] == "Medarb. %s" % staff, rows(pico)


def observation_keys(
    patient: int, pulse: int, resp: int, temp_tenths: int, sys_bp: int, awareness: int, site_presses: int = 0
) -> str:
    """Keys from the home screen's # to the review: patient, the four vitals (temperature typed in tenths,
    A pressed site_presses times for oral/axillary), each with its # (a # after a field that filled up and moved on
    by itself is ignored), and the awareness menu's one key 1-5. Only for values that score less than 3: a 3 asks
    for a confirmation, whose # a test types itself."""
    return "#%d#%d#%d#%s%d#%d#%d" % (patient, pulse, resp, "A" * site_presses, temp_tenths, sys_bp, awareness)


# ---- the flash image, read back with MicroPython -------------------------------------------------------------------
# Mounts a copy of the image with board_sim's own mounting code (the app's filesystem, exactly), opens the record
# store as the app does at power-up and prints one JSON line. argv: [records to list in full, from the end,
# [records whose bytes to digest, from the start]].
DUMP_SCRIPT = r"""
import hashlib
import json
import os
import sys
from binascii import hexlify

import board_sim
import tobs_record
from handheld.store import RecordStore

root = board_sim.storage_root()
store = RecordStore(root)
show = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
records = []
skipped = 0
for record in store.records():
    record["device_id"] = hexlify(record["device_id"]).decode()
    record["tag"] = hexlify(record["tag"]).decode()
    records.append(record)
    if len(records) > show:
        records.pop(0)
        skipped += 1
files = {}
for name in os.listdir(root):
    files[name] = os.stat(root + "/" + name)[6]
# Digests of the log's bytes (all, and the first `prefix` records), so a caller can prove that records are byte
# for byte what they were.
prefix = int(sys.argv[2]) * tobs_record.RECORD_SIZE if len(sys.argv) > 2 else 0
digest = hashlib.sha256()
prefix_digest = hashlib.sha256()
done = 0
if files.get("records.bin", 0):
    with open(root + "/records.bin", "rb") as f:
        while True:
            chunk = f.read(4096)
            if not chunk:
                break
            digest.update(chunk)
            if done < prefix:
                prefix_digest.update(chunk[:prefix - done])
            done += len(chunk)
reminders = None
if "reminders.json" in files:
    with open(root + "/reminders.json") as f:
        reminders = json.loads(f.read())
st = os.statvfs(root)
print("RESULT " + json.dumps({
    "count": store.count(), "pending": store.pending_count(), "last_seq": store.last_seq,
    "problems": store.problems, "corrupt": store.corrupt, "torn_bytes": store.torn_bytes,
    "boot_count": store.boot_count, "records": records, "skipped": skipped, "files": files,
    "log_sha256": hexlify(digest.digest()).decode(), "prefix_sha256": hexlify(prefix_digest.digest()).decode(),
    "reminders": reminders,
    "free_bytes": st[0] * st[3], "can_store": store.can_store(), "record_size": tobs_record.RECORD_SIZE,
}))
"""


def start_micropython(script: Path, *args: str, heap: str = "4M", env: dict | None = None, cwd: Path = REPO):
    """Start a MicroPython script with the firmware's import path (several may run at once: the machine has 2 cores)."""
    path = os.pathsep.join([".frozen", str(FIRMWARE / "lib"), str(FIRMWARE)])
    # Output goes to files, not pipes: a script that prints much must not stall while another one is waited for.
    outputs = (tempfile.TemporaryFile("w+"), tempfile.TemporaryFile("w+"))
    proc = subprocess.Popen(
        [micropython_binary(), "-X", "heapsize=" + heap, str(script), *args],
        stdout=outputs[0],
        stderr=outputs[1],
        text=True,
        env=dict(os.environ, MICROPYPATH=path, **(env or {})),
        cwd=cwd,
    )
    return proc, outputs


def finish_micropython(started, timeout: float = 600):
    """Wait for a script started with start_micropython; returns (its RESULT line's JSON, its stderr)."""
    proc, outputs = started
    proc.wait(timeout=timeout)
    texts = []
    for f in outputs:
        f.seek(0)
        texts.append(f.read())
        f.close()
    out, err = texts
    assert proc.returncode == 0, "MicroPython failed (%d): %s %s" % (proc.returncode, out[-3000:], err[-3000:])
    # Scripts print "RESULT <json>"; other lines may be there too (a GC finaliser's report, for one).
    found = [line[len("RESULT ") :] for line in out.splitlines() if line.startswith("RESULT ")]
    assert found, "no RESULT line: %s %s" % (out[-3000:], err[-3000:])
    return json.loads(found[-1]), err


def micropython(script: Path, *args: str, heap: str = "4M", env: dict | None = None, cwd: Path = REPO):
    return finish_micropython(start_micropython(script, *args, heap=heap, env=env, cwd=cwd))


def read_flash(image: Path, scratch: Path, show: int = 1000, prefix: int = 0) -> dict:
    """What the device's flash holds, read by MicroPython through board_sim's mount and the real RecordStore.
    Works on a copy: opening the store writes its boot counter, which must not change the device's image."""
    assert image.stat().st_size == FLASH_SIZE, "%s is not a flash image" % image
    scratch.mkdir(parents=True, exist_ok=True)
    copy = scratch / "flash-copy.img"
    shutil.copyfile(image, copy)
    script = scratch / "dump_flash.py"
    script.write_text(DUMP_SCRIPT)
    found, stderr = micropython(script, str(show), str(prefix), env={"TOBS_SIM_FLASH": str(copy)}, cwd=scratch)
    # board_sim formats an image it cannot mount (as the Pico's _boot.py does): that would read as "empty".
    assert "flash:" not in stderr, "the image did not mount: " + stderr
    copy.unlink()
    return found
