"""Soak: many observation sets typed on the virtual Pico's keypad and many shift-end syncs into a temporary
register, each sync letting the store compact; the heap's low water per block of sets must stay flat and the
register must end with every set exactly once.

    .venv/bin/python bench/soak.py [--sets 10000] [--syncs 100] [--heap 128k] [--block 1000] [--json]

Every set goes through the app's flow as a nurse types it (bench/shift.py's mix); every sync is the PC's own
`tobs sync` code against an SQLite register. The heap figures are the ones the app logs (status screen, B):
low water is the heap limit minus the peak the app has sampled so far (the least free it has seen), and the free
heap at the block's end. Exits non-zero if the app dies, a set is missing or doubled, or the register reports a
problem.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from heap import _READY, LINK_QUIET_MS, expect_title, heap_report, observation_set
from shift import LOGIN, BenchError
from sqlalchemy import text

from tobs.device.link import Link
from tobs.device.virtual_pico import VirtualPico
from tobs.ops import enroll, sync
from tobs.register import db as register_db
from tobs.register import problems as register_problems

ROOT = Path(__file__).resolve().parents[1]


def shift_end_sync(pico: VirtualPico, register: register_db.Register) -> int:
    """The PC's sync over the virtual USB serial; returns the records it stored."""
    assert pico.port is not None
    with Link(pico.port, timeout=20) as link:
        result = sync.sync(link, register)
    return result.pulled


def register_counts(register: register_db.Register) -> dict:
    with register.engine.connect() as conn:
        rows = conn.execute(text("SELECT device_id, store_epoch, seq FROM observations")).all()
    keys = {(r[0], r[1], r[2]) for r in rows}
    seqs = sorted(r[2] for r in rows)
    return {"rows": len(rows), "distinct": len(keys),
            "contiguous": seqs == list(range(1, len(seqs) + 1))}


def run(sets: int, syncs: int, heap: str, block: int, run_dir: Path, report=None) -> dict:
    register = register_db.open_register("sqlite:///%s" % (run_dir / "register.sqlite"), announce=None)
    pico = VirtualPico(run_dir / "pico", heap=heap, firmware=ROOT / "firmware")
    pico.start(timeout=60)
    blocks = []
    synced = 0
    try:
        m = _READY.search(pico.wait_log("ready:"))
        if m is None:
            raise BenchError("no start-up heap line")
        heap_total = int(m.group(1)) + int(m.group(2))
        assert pico.port is not None
        with Link(pico.port, timeout=20) as link:
            enroll.enroll(link, register, "bench")
        pico.press(LOGIN)
        expect_title(pico, "Medarb. 1001", "logging in")
        sync_every = max(1, sets // syncs) if syncs else 0
        lowest_free = None
        on_home = True
        for i in range(sets):
            # Patients 101..150 again and again, as a ward's.
            observation_set(pico, 101 + i % 50, i, from_home=on_home)
            on_home = False
            done = i + 1
            if sync_every and done % sync_every == 0 and done // sync_every <= syncs:
                pico.press("*")  # saved screen -> home, where a nurse docks the handheld
                synced += shift_end_sync(pico, register)
                pico.advance(LINK_QUIET_MS)
                pico.press("0")
                on_home = True
            if done % block == 0 or done == sets:
                if not on_home:
                    pico.press("*")
                    on_home = True
                peak, free_now = heap_report(pico)
                blocks.append({"sets": done, "low_water_free": heap_total - peak, "free_now": free_now})
                lowest_free = heap_total - peak
                if report:
                    report(blocks[-1])
        if synced < sets:
            pico.press("*")
            synced += shift_end_sync(pico, register)
        pico.check()
    finally:
        pico.stop()
    counts = register_counts(register)
    found = register_problems.problems(register)
    register.close()
    figures = {"sets": sets, "syncs": syncs, "heap_limit": heap, "heap_total": heap_total, "blocks": blocks,
               "records_synced": synced, "register_rows": counts["rows"], "register_distinct": counts["distinct"],
               "seq_contiguous": counts["contiguous"], "problems": [str(p) for p in found],
               "low_water_drift": blocks[-1]["low_water_free"] - blocks[0]["low_water_free"],
               "lowest_free": lowest_free}
    if counts["rows"] != sets or counts["distinct"] != sets or not counts["contiguous"] or found:
        raise BenchError("register not exactly once: %r" % figures)
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", type=int, default=10000)
    parser.add_argument("--syncs", type=int, default=100)
    parser.add_argument("--heap", default="128k")
    parser.add_argument("--block", type=int, default=1000, help="sets between heap figures (default 1000)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    def human(b: dict) -> None:
        print("%6d sets: low water %6d bytes free, %6d free now" % (b["sets"], b["low_water_free"], b["free_now"]),
              flush=True)

    with tempfile.TemporaryDirectory(prefix="tobs-soak-") as tmp:
        try:
            figures = run(args.sets, args.syncs, args.heap, args.block, Path(tmp),
                          report=None if args.json else human)
        except (BenchError, RuntimeError, TimeoutError) as e:
            print("soak failed: %s" % e, file=sys.stderr)
            return 1
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        print("%d sets, %d syncs, heap %s: register has %d rows, %d distinct (device, epoch, seq), problems: %d; "
              "low water drift %+d bytes" % (figures["sets"], figures["syncs"], figures["heap_limit"],
                                              figures["register_rows"], figures["register_distinct"],
                                              len(figures["problems"]), figures["low_water_drift"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
