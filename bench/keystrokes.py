"""Keystrokes per complete observation set, and a keystroke-level-model estimate of the time a set takes, over the
shift the benchmarks type (shift.py): typed on the real firmware on the virtual Pico, every set checked saved.

    .venv/bin/python bench/keystrokes.py [--patients 50] [--heap 128k] [--json]

The shift is heap.py's: 50 patients, the kinds of shift.OBSERVATIONS in turn, back on the home screen after every
tenth (so a set starts from home with # now and then, otherwise from the saved screen with the patient's number).
The model (Card, Moran and Newell) counts K = 0.28 s per keystroke and M = 1.35 s for each place the nurse reads the
screen or the monitor before a key (the "~" in shift.py); the time the handheld itself takes is milliseconds and
left out. --json prints {"mean", "min", "max", "klm_s"}: keystrokes per set and the mean modelled seconds per set.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

from shift import KEY_S, LOGIN, OBSERVATIONS, READ_MS, BenchError, keystrokes, klm_seconds, set_keys, type_keys

from tobs.device.virtual_pico import VirtualPico


def run(patients: int, heap: str) -> dict:
    sets = []
    with tempfile.TemporaryDirectory(prefix="tobs-keys-") as tmp:
        pico = VirtualPico(Path(tmp), heap=heap)
        pico.start(timeout=60)
        try:
            pico.press(LOGIN)
            for i in range(patients):
                what, keys = OBSERVATIONS[i % len(OBSERVATIONS)]
                typed = set_keys(101 + i, keys, from_home=i % 10 == 0)
                mark = len(pico.logs)
                type_keys(pico, typed)
                if pico.screen.text_lines()[0].strip() != "Gemt" or not any(
                        "for patient %d," % (101 + i) in line for line in pico.logs[mark:]):
                    raise BenchError("the %s set for patient %d was not saved:\n%s" % (what, 101 + i,
                                                                                     pico.screen.text()))
                sets.append((what, keystrokes(typed), klm_seconds(typed)))
                if i % 10 == 9:
                    pico.press("*")  # to the home screen, as the heap benchmark does
            pico.check()
        finally:
            pico.stop()
    keys = [n for _, n, _ in sets]
    by_kind: dict[str, list[tuple[int, float]]] = {}
    for what, n, seconds in sets:
        by_kind.setdefault(what, []).append((n, seconds))
    return {
        "mean": round(statistics.mean(keys), 1),
        "min": min(keys),
        "max": max(keys),
        "klm_s": round(statistics.mean(s for _, _, s in sets), 1),
        "sets": len(sets),
        "klm_s_max": round(max(s for _, _, s in sets), 1),
        "per_kind": {what: {"keys": sorted({n for n, _ in found}), "klm_s": round(max(s for _, s in found), 1)}
                     for what, found in by_kind.items()},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=50, help="observation sets to enter (default 50)")
    parser.add_argument("--heap", default="128k", help="MicroPython heap limit (default 128k)")
    parser.add_argument("--json", action="store_true", help='print {"mean", "min", "max", "klm_s"}')
    args = parser.parse_args(argv)
    try:
        figures = run(args.patients, args.heap)
    except (BenchError, RuntimeError, TimeoutError) as e:
        print("bench/keystrokes.py: %s" % e, file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps({key: figures[key] for key in ("mean", "min", "max", "klm_s")}))
        return 0
    print("%d observation sets: %.1f keystrokes per set (%d-%d)" % (
        figures["sets"], figures["mean"], figures["min"], figures["max"]))
    for what, kind in figures["per_kind"].items():
        print("  %-26s %s keys, %.1f s" % (what, "/".join(str(n) for n in kind["keys"]), kind["klm_s"]))
    print("keystroke-level model (K %.2f s, M %.2f s): %.1f s per set on average, %.1f s at most" % (
        KEY_S, READ_MS / 1000, figures["klm_s"], figures["klm_s_max"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
