"""Heap the handheld app needs on a Pico-sized budget: a nurse's session of 50 observation sets typed on the
virtual Pico's keypad, then a sync over its USB serial, with the heap figures the app itself logs.

    .venv/bin/python bench/heap.py [--heap 128k] [--patients 50] [--json] [--find-min]

Prints the free heap after start-up, the peak heap the app sampled while handling keys and the sync (live heap
plus that work's garbage, so an upper bound), the free heap at the end, and the keystrokes per complete observation
set. --find-min also searches for the smallest heap limit at which the whole session and sync still work (the
firmware's real need, garbage collections included). --firmware runs another checkout's firmware folder, to
compare. Exits non-zero if the app dies or misbehaves.
"""

from __future__ import annotations

import argparse
import json
import re
import secrets
import sys
import tempfile
import time
from pathlib import Path

import serial
from shift import LOGIN, OBSERVATIONS, BenchError, keystrokes, set_keys, type_keys

from tobs.device.virtual_pico import VirtualPico
from tobs.shared import tobs_protocol, tobs_record

ROOT = Path(__file__).resolve().parents[1]

LINK_QUIET_MS = 6000  # longer than the app keeps the sync link loaded without a command
_READY = re.compile(r"heap (\d+) used (\d+) free")
_REPORT = re.compile(r"heap: peak (\d+) bytes allocated, (\d+) free now")



def screen_title(pico: VirtualPico) -> str:
    return pico.screen.text_lines()[0].strip()


def expect_title(pico: VirtualPico, title: str, after: str) -> None:
    shown = screen_title(pico)
    if shown != title:
        raise BenchError("after %s the screen shows %r, expected %r:\n%s" % (after, shown, title, pico.screen.text()))


def heap_report(pico: VirtualPico) -> tuple[int, int]:
    """Open the status screen, press B (the app logs its heap figures), close it: (peak, free now)."""
    mark = len(pico.logs)
    pico.press("DB")
    line = next((x for x in pico.logs[mark:] if x.startswith("heap: peak")), None)
    if line is None:
        raise BenchError("the status screen's B key logged no heap figures")
    pico.press("#")
    m = _REPORT.search(line)
    assert m is not None, line
    return int(m.group(1)), int(m.group(2))


def observation_set(pico: VirtualPico, patient: int, kind: int, from_home: bool) -> int:
    """Enter and save one set from the home or saved screen; returns the keys it took."""
    what, keys = OBSERVATIONS[kind % len(OBSERVATIONS)]
    keys = set_keys(patient, keys, from_home)
    mark = len(pico.logs)
    type_keys(pico, keys)
    expect_title(pico, "Gemt", "the %s set for patient %d" % (what, patient))
    if not any(("for patient %d," % patient) in line for line in pico.logs[mark:]):
        raise BenchError("no 'saved record' log line for patient %d" % patient)
    return keystrokes(keys)


def pass_time(pico: VirtualPico, minutes: int) -> None:
    """Let virtual time pass on the home screen with a key now and then, so the nurse is not logged out."""
    for _ in range(minutes // 5):
        pico.advance(5 * 60_000)
        pico.press("0")  # ignored on the home screen, resets the idle logout
    expect_title(pico, "Medarb. 1001", "waiting on the home screen")


class SerialLink:
    """Just enough of the PC side of docs/protocol.md for a sync: commands out, checked frames in."""

    def __init__(self, pico: VirtualPico):
        assert pico.port is not None
        self.pico = pico
        self.port = serial.Serial(pico.port, baudrate=115200, timeout=0.05)
        self.reader = tobs_protocol.FrameReader()

    def close(self) -> None:
        self.port.close()

    def frame(self, timeout: float = 20) -> tuple[str, bytes]:
        deadline = time.monotonic() + timeout
        while True:
            got = self.reader.next_frame()
            if got is not None:
                return got
            if time.monotonic() > deadline:
                raise BenchError("no answer from the handheld within %g s: %s" % (timeout, self.pico.exit_message()))
            self.reader.feed(self.port.read(4096))

    def ask(self, verb: str, *args: object) -> tuple[str, bytes]:
        self.port.write(tobs_protocol.command(verb, *args))
        kind, payload = self.frame()
        if kind == "X":
            raise BenchError("%s refused: %s" % (verb, payload.decode(errors="replace")))
        return kind, payload


def sync(pico: VirtualPico, expected: int) -> dict:
    """Enrol, pull every pending record, acknowledge them: the device end of `tobs sync`, measured."""
    link = SerialLink(pico)
    key = secrets.token_bytes(32)
    try:
        link.ask("ENROLL", "bench", tobs_protocol.to_hex(key))
        _, hello = link.ask("HELLO")
        info = json.loads(hello)
        if info["pending"] != expected:
            raise BenchError("HELLO says %d pending, %d were saved" % (info["pending"], expected))
        link.port.write(tobs_protocol.command("PULL", 0, expected + 10))
        records = 0
        frames = 0
        while True:
            kind, payload = link.frame()
            if kind == "R":
                frames += 1
                records += len(payload) // tobs_record.RECORD_SIZE
            elif kind == "E":
                end = json.loads(payload)
                break
            else:
                raise BenchError("unexpected %r frame during PULL: %r" % (kind, payload[:200]))
        if records != expected or end["count"] != expected:
            raise BenchError("PULL sent %d records (E says %d), expected %d" % (records, end["count"], expected))
        seq = end["last_seq"]
        tag = tobs_protocol.ack_tag(key, bytes.fromhex(pico.uid), seq, end.get("store_epoch", 0))
        _, ack = link.ask("ACK", seq, tobs_protocol.to_hex(tag))
        if json.loads(ack)["pending"] != 0:
            raise BenchError("records still pending after the acknowledgement: %r" % ack)
        link.ask("TIME", int(time.time()))
        return {"records": records, "frames": frames}
    finally:
        link.close()


def run(heap: str, patients: int, run_dir: Path, firmware: Path) -> dict:
    pico = VirtualPico(run_dir, heap=heap, firmware=firmware)
    pico.start(timeout=60)
    try:
        ready = pico.wait_log("ready:")
        m = _READY.search(ready)
        if m is None:
            raise BenchError("unexpected start-up line %r" % ready)
        used_at_start, free_at_start = int(m.group(1)), int(m.group(2))
        pico.press(LOGIN)
        expect_title(pico, "Medarb. 1001", "logging in")
        keys_per_set = []
        for i in range(patients):
            keys_per_set.append(observation_set(pico, 101 + i, i, from_home=i % 10 == 0))
            if i % 10 == 9:
                # Back to the home screen now and then: reminders fall due and the list is drawn.
                pico.press("*")
                pass_time(pico, 60)
        peak_session, free_session = heap_report(pico)
        synced = sync(pico, patients)
        # The app is still alive and drawing after the sync; a while later the link has left the heap again.
        pico.advance(LINK_QUIET_MS)
        pico.press("0")
        peak_all, free_end = heap_report(pico)
        pico.check()
    finally:
        pico.stop()
    return {
        "heap_limit": heap,
        "patients": patients,
        "heap_used_at_start": used_at_start,
        "heap_free_at_start": free_at_start,
        "peak_heap_session": peak_session,
        "peak_heap_with_sync": peak_all,
        "heap_free_after_session": free_session,
        "heap_free_at_end": free_end,
        "keys_per_set_mean": round(sum(keys_per_set) / len(keys_per_set), 1),
        "keys_per_set_min": min(keys_per_set),
        "keys_per_set_max": max(keys_per_set),
        "records_synced": synced["records"],
        "sync_frames": synced["frames"],
    }


def _kib(heap: str) -> int:
    if not heap.endswith("k") or not heap[:-1].isdigit():
        raise SystemExit("--heap takes a size in KiB such as 128k")
    return int(heap[:-1])


def find_min(patients: int, firmware: Path, low: int, high: int, step: int = 4) -> int | None:
    """The smallest heap limit in KiB (a multiple of step) at which the session and the sync complete, searched
    between low and high; None if even high fails."""
    def works(kib: int) -> bool:
        with tempfile.TemporaryDirectory(prefix="tobs-heap-") as tmp:
            try:
                run("%dk" % kib, patients, Path(tmp), firmware)
            except (BenchError, RuntimeError, TimeoutError):
                return False
        return True

    if not works(high):
        return None
    while high - low > step:
        middle = (low + high) // 2 // step * step
        if works(middle):
            high = middle
        else:
            low = middle
    return high


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--heap", default="128k", help="MicroPython heap limit (default 128k)")
    parser.add_argument("--patients", type=int, default=50, help="observation sets to enter (default 50)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--find-min", action="store_true",
                        help="also search for the smallest heap limit that works (several runs)")
    parser.add_argument("--firmware", type=Path, default=ROOT / "firmware",
                        help="firmware folder to run (default: this checkout's)")
    parser.add_argument("--run-dir", type=Path, help="keep the virtual Pico's files here (default: a temp folder)")
    args = parser.parse_args(argv)
    try:
        if args.run_dir is not None:
            figures = run(args.heap, args.patients, args.run_dir, args.firmware)
        else:
            with tempfile.TemporaryDirectory(prefix="tobs-heap-") as tmp:
                figures = run(args.heap, args.patients, Path(tmp), args.firmware)
    except (BenchError, RuntimeError, TimeoutError) as e:
        print("heap bench failed at %s: %s" % (args.heap, e), file=sys.stderr)
        if not args.find_min:
            return 1
        figures = {"heap_limit": args.heap, "patients": args.patients, "failed": str(e)}
    if args.find_min:
        top = max(_kib(args.heap), 128) * 2
        least = find_min(args.patients, args.firmware, 32, top)
        figures["min_heap_kib"] = least
    if args.json:
        print(json.dumps(figures, indent=2))
        return 0 if "failed" not in figures else 1
    if "failed" in figures:
        print("failed at %s: %s" % (args.heap, figures["failed"]))
    else:
        print("heap limit %s, %d observation sets, sync of %d records in %d frame(s)" % (
            figures["heap_limit"], figures["patients"], figures["records_synced"], figures["sync_frames"]))
        print("free heap at start:     %6d bytes (%d used)" % (
            figures["heap_free_at_start"], figures["heap_used_at_start"]))
        print("peak heap, session:     %6d bytes allocated" % figures["peak_heap_session"])
        print("peak heap, with sync:   %6d bytes allocated" % figures["peak_heap_with_sync"])
        print("free heap after shift:  %6d bytes" % figures["heap_free_after_session"])
        print("free heap after sync:   %6d bytes" % figures["heap_free_at_end"])
        print("keys per observation set: %.1f mean (%d-%d)" % (
            figures["keys_per_set_mean"], figures["keys_per_set_min"], figures["keys_per_set_max"]))
    if args.find_min:
        least = figures["min_heap_kib"]
        print("smallest heap that works: %s" % ("%dk" % least if least else "none up to %dk" % top))
    return 0 if "failed" not in figures else 1


if __name__ == "__main__":
    sys.exit(main())
