"""Power cuts on the emulated RP2040's real filesystem: the record store (firmware/lib/handheld/store.py) on the
official MicroPython rp2 port's LittleFS, with the power pulled at chosen emulated instants of a record save or a
compaction, then booted again and checked by the booted firmware itself.

Cheap by construction: one prepared flash image (the store with RECORDS records, SYNCED of them acknowledged, a
marker file, a main.py) is made once on the device; each trial copies it, powers on, and main.py does the one
operation named in /op at a fixed emulated instant after power-on (the emulator is deterministic while nothing
comes over USB), so a cut instant chosen from a measured run lands at the same point of the operation. The boot
after the cut finds no /op, and main.py checks the store there and prints its findings as one line on USB: no
REPL session and no mpremote round trip per cut, and one emulator process serves every trial. Used by
tests/rp2040/test_powercut.py (a CI-sized spread) and bench/rp2040_powercut.py (>= 200 cuts)."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from tobs.device.rp2040_pico import RP2040Pico
from tobs.firmware import PICO_ARCH, compile_module

ROOT = Path(__file__).resolve().parents[2]
RECORDS = 12  # in the prepared store
SYNCED = 6  # of them acknowledged, so a compaction drops six and copies six
MARKER = b"made before the cuts; a reformat would remove it\n"
GAP_MS = 100  # main.py sleeps this long between consuming /op and the operation: the window starts after it
UID = "e661a4d41723262b"
# The store and what it imports, as the deploy lays them out in /lib.
STORE_FILES = ("handheld/__init__.py", "handheld/store.py", "handheld/store_epoch.py", "tobs_record.py", "tobs_core.py")

# The record fields as the app fills them (bench/store.py's), one record per seq.
FIELDS_PY = """import tobs_record
def fields(i):
    return {
        "measured_at": 1790000000 + 60 * i, "clock_valid": True, "boot_count": 1, "ms_since_boot": i,
        "device_id": b"PICO0001", "staff": 7, "patient": i % 200, "pulse": 60 + i % 100, "resp": 12,
        "temp_raw": 370, "temp_site": "rectal", "sys_bp": 120, "awareness": "habitual",
        "points": {"pulse": 0, "resp": 0, "temp": 0, "sys_bp": 0, "awareness": 0}, "total": 0,
        "core_id": "471dd1d7", "config_id": "00c0ffee", "action": 0, "reason": 0,
    }
"""

# At power-on: if /op names an operation, consume it (so the boot after a cut only checks), wait GAP_MS, do it;
# without one, check the store (cutcheck.py, compiled only on those boots) and print what was found.
MAIN_PY = (
    """import os, sys, time
sys.path.insert(0, '/lib')
try:
    with open('/op') as f:
        op = f.read()
except OSError:
    op = ''
if op:
    os.remove('/op')
    time.sleep_ms(%d)
    from handheld.store import RecordStore
    from fields import fields
    s = RecordStore('/')
    if op == 'save':
        s.append(fields(s.next_seq()))
    elif op == 'compact':
        s.compact()
else:
    import cutcheck
"""
    % GAP_MS
)

PREPARE = """import sys
sys.path.insert(0, '/lib')
from handheld.store import RecordStore
from fields import fields
s = RecordStore('/')
for i in range(%d):
    s.append(fields(i + 1))
s.mark_synced(%d)
with open('/marker', 'wb') as f:
    f.write(%r)
print('prepared', s.count(), s.pending_count())
""" % (RECORDS, SYNCED, MARKER)

# What the boot after a cut finds, as one JSON line (lib/cutcheck.py on the device, imported by main.py).
CHECK_LINE = "CHECK"
CHECK = (
    """import os, json
try:
    with open('/marker', 'rb') as f:
        marker = f.read()
except OSError:
    marker = b''
from handheld.store import RecordStore
s = RecordStore('/')
seqs = [r['seq'] for r in s.records()]
print('CHECK' + json.dumps({'marker': marker == %r, 'count': s.count(), 'pending': s.pending_count(),
    'seqs': seqs, 'acked': s.acked, 'problems': s.problems, 'corrupt': s.corrupt,
    'files': sorted(os.listdir('/'))}))
"""
    % MARKER
)


def mpremote(port: str, *args: str, timeout: float = 120) -> str:
    run = subprocess.run(
        [str(Path(shutil.which("mpremote") or ROOT / ".venv" / "bin" / "mpremote")), "connect", port, "resume", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if run.returncode:
        raise RuntimeError("mpremote %s failed: %s" % (" ".join(args[:1]), (run.stdout + run.stderr).strip()))
    return run.stdout


def _pico(run_dir: Path, image: Path) -> RP2040Pico:
    return RP2040Pico(run_dir, uid=UID, paced=False, flash_image=image)


def prepare(work: Path) -> dict[str, Path]:
    """The prepared images, one per operation: {'save': path, 'compact': path}."""
    work.mkdir(parents=True, exist_ok=True)
    lib = work / "lib"
    lib.mkdir(exist_ok=True)
    (lib / "fields.py").write_text(FIELDS_PY)
    (work / "main.py").write_text(MAIN_PY)
    base = work / "base.img"
    pico = _pico(work / "prep", base)
    pico.start()
    try:
        port = pico.port
        mpremote(port, "fs", "mkdir", ":lib", "+", "fs", "mkdir", ":lib/handheld")
        (lib / "cutcheck.py").write_text(CHECK)
        # Compiled on the PC, as a deploy does: compiling them on the emulated chip at every boot of every trial
        # was most of a cut's wall time.
        copies = []
        for name in STORE_FILES + ("fields.py", "cutcheck.py"):
            source = ROOT / "firmware/lib" / name if name in STORE_FILES else lib / name
            built = work / "mpy" / (name[: -len(".py")] + ".mpy")
            compile_module(source, built, arch=PICO_ARCH, device_name=name)
            copies.append((built, ":lib/" + built.relative_to(work / "mpy").as_posix()))
        copies += [(work / "main.py", ":main.py")]
        chain = []
        for source, target in copies:
            chain += ["+", "fs", "cp", str(source), target]
        mpremote(port, *chain[1:])
        out = mpremote(port, "exec", PREPARE)
        if "prepared %d %d" % (RECORDS, RECORDS - SYNCED) not in out:
            raise RuntimeError("preparing the store failed: " + out)
    finally:
        pico.stop()
    images = {}
    for op in ("save", "compact"):
        images[op] = work / ("%s.img" % op)
        shutil.copyfile(base, images[op])
        pico = _pico(work / ("prep-" + op), images[op])
        pico.start()
        try:
            mpremote(pico.port, "exec", "f = open('/op', 'w'); f.write(%r); f.close()" % op)
        finally:
            pico.stop()
    return images


@dataclass
class Window:
    """The flash operations of one uncut run of an operation, in emulated ns since power-on."""

    op: str
    ops: list[dict] = field(default_factory=list)  # {"kind": "E"/"P", "t0", "t1", ...} after the gap

    @property
    def start(self) -> float:
        return self.ops[0]["t0"]

    @property
    def end(self) -> float:
        return self.ops[-1]["t1"]


def measure(work: Path, op: str, image: Path) -> Window:
    """Run the operation once without a cut, recording every erase and program: its window and events."""
    trial = work / ("measure-%s.img" % op)
    shutil.copyfile(image, trial)
    log = work / ("measure-%s.jsonl" % op)
    pico = _pico(work / ("run-%s" % op), trial)
    try:
        pico.start(wait=False)
        pico.record_flash(log)
        pico.wait_usb(boots_after=0)
        pico.advance(GAP_MS + 3000)  # long past any save or compaction
        pico.record_flash(None)
        pico.kill()
    finally:
        pico.stop()
    ops = sorted((json.loads(line) for line in log.read_text().splitlines() if line.strip()), key=lambda o: o["t0"])
    # The consumption of /op comes first, then the GAP_MS sleep: the operation's events are those after the gap.
    split = next(
        (i + 1 for i, (a, b) in enumerate(zip(ops, ops[1:], strict=False)) if b["t0"] - a["t1"] > GAP_MS * 0.8e6),
        None,
    )
    if split is None:
        raise RuntimeError("the measured %s run shows no %d ms gap before the operation" % (op, GAP_MS))
    return Window(op, ops[split:])


def cut_instants(window: Window, spread: int, at_events: int) -> list[float]:
    """spread instants evenly over the window, plus at_events instants each halfway through an erase or a
    program (spread evenly over the recorded events), plus one just after the window."""
    span = window.end - window.start
    times = [window.start + span * (i + 0.5) / spread for i in range(spread)]
    events = window.ops
    if at_events and events:
        step = max(1, len(events) / at_events)
        picked = [events[int(i * step)] for i in range(min(at_events, len(events)))]
        times += [(e["t0"] + e["t1"]) / 2 for e in picked]
    # And one just after the last event: the operation must then be complete, so both outcomes are reached.
    times.append(window.end + 1e6)
    return sorted(times)


def trial_pico(work: Path) -> RP2040Pico:
    """The emulated chip every trial of a run powers on: its flash image (work/trial.img) is replaced before each."""
    return _pico(work / "trial", work / "trial.img")


def cut_and_check(pico: RP2040Pico, op: str, image: Path, nanos: float, index: int) -> dict:
    """Put the prepared image on pico's flash, cut the power at nanos during the operation, boot again and read
    what main.py's check printed. Returns the check's findings with what the cut interrupted."""
    where = "cut %d (%s at %.3f ms)" % (index, op, nanos / 1e6)
    if pico.powered:
        pico.kill()
    shutil.copyfile(image, pico.flash)
    pico.start(wait=False)
    pico.cut_at(nanos)
    deadline = time.monotonic() + 300
    offs = len(pico.power_offs)
    while len(pico.power_offs) == offs:  # wait_off() would see "not powered" before the boot was even reported
        pico.check()
        if time.monotonic() > deadline:
            raise TimeoutError("%s: the power did not go" % where)
        time.sleep(0.02)
    off = pico.power_offs[-1]
    if off["why"] != "cut":
        raise RuntimeError("%s: the power went for another reason (%s)" % (where, off["why"]))
    pico.start(wait=False)
    try:
        line = pico.wait_line(CHECK_LINE, timeout=300)
    except TimeoutError as e:
        raise RuntimeError("%s: the boot after it printed no check: %s" % (where, e)) from e
    pico.kill()
    found = json.loads(line[len(CHECK_LINE) :])
    found.update(op=op, nanos=nanos, cut=off.get("cut"), t_off=off["t"])
    return found


def verdict(found: dict) -> list[str]:
    """What is wrong with one boot after a cut (empty when all is as it must be)."""
    wrong = []
    if not found["marker"]:
        wrong.append("the marker file is gone (reformatted?)")
    if "op" in found["files"]:
        wrong.append("/op is still there: the cut came before the operation")
    every = list(range(1, RECORDS + 1))
    if found["op"] == "save":
        # The earlier records intact; the new one either whole (seq RECORDS+1) or gone.
        if found["seqs"] not in (every, every + [RECORDS + 1]):
            wrong.append("records after a cut save: %r" % found["seqs"])
        if found["pending"] != len(found["seqs"]) - SYNCED:
            wrong.append("pending %d with %d records" % (found["pending"], len(found["seqs"])))
    else:
        # The whole old log (before the rename) or only the unacknowledged records (after it).
        if found["seqs"] not in (every, every[SYNCED:]):
            wrong.append("records after a cut compaction: %r" % found["seqs"])
        if found["pending"] != RECORDS - SYNCED:
            wrong.append("pending %d, expected %d" % (found["pending"], RECORDS - SYNCED))
    if found["acked"] != SYNCED:
        wrong.append("the synced marker reads %d, expected %d" % (found["acked"], SYNCED))
    if found["corrupt"]:
        wrong.append("%d corrupt records" % found["corrupt"])
    if found["count"] != len(found["seqs"]):
        wrong.append("count %d but %d records read" % (found["count"], len(found["seqs"])))
    return wrong
