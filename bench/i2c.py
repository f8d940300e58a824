"""I2C traffic to the OLED per keystroke while a nurse enters complete observation sets on the virtual Pico, next to
what redrawing the whole frame for every key would cost, and the keystrokes a complete set takes.

    .venv/bin/python bench/i2c.py [--rounds 2] [--heap 128k] [--json]

Every byte the firmware writes to the SSD1306 (commands and data, after the address byte) is counted by the
emulator between a key and the firmware's next idle report, so each figure is one key's whole screen update.
A set runs from the # that starts it on the home (or saved) screen through the key that saves it.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

from shift import LOGIN, OBSERVATIONS, BenchError, set_keys, type_keys

from tobs.device.virtual_pico import VirtualPico

ROOT = Path(__file__).resolve().parents[1]

# A whole frame as the driver sends it: six column/page window commands of 2 bytes each, then the data control
# byte and the 1,024 frame bytes.
FULL_FRAME_BYTES = 12 + 1 + 1024
I2C_HZ = 400_000  # the SSD1306's fast mode; 9 clocks per byte (8 bits and the acknowledge)



def observation_set(pico: VirtualPico, patient: int, keys: str, from_home: bool) -> list[tuple[str, str, int]]:
    """Type one set key by key; (key, screen title after it, I2C bytes it caused) for each."""
    per_key = []

    def press(key: str) -> None:
        mark = pico.i2c_mark()
        pico.press(key)
        per_key.append((key, pico.screen.text_lines()[0].strip(), pico.i2c_bytes_since(mark)))

    type_keys(pico, set_keys(patient, keys, from_home), press)
    if per_key[-1][1] != "Gemt":
        raise BenchError("the set for patient %d did not end saved:\n%s" % (patient, pico.screen.text()))
    return per_key


def ms_on_the_bus(nbytes: float) -> float:
    return (nbytes + 1) * 9 / I2C_HZ * 1000  # +1: the address byte of the transaction


def run(rounds: int, heap: str) -> dict:
    with tempfile.TemporaryDirectory(prefix="tobs-i2c-") as tmp:
        pico = VirtualPico(tmp, heap=heap)
        pico.start(timeout=60)
        try:
            mark = pico.i2c_mark()
            pico.press(LOGIN)
            login_bytes = pico.i2c_bytes_since(mark)
            sets = []
            for r in range(rounds):
                for i, (what, keys) in enumerate(OBSERVATIONS):
                    sets.append((what, observation_set(pico, 100 * (r + 1) + i, keys, from_home=not sets)))
            pico.check()
        finally:
            pico.stop()
    sizes = [n for _, per_key in sets for _, _, n in per_key]
    worst_what, worst = max(((what, k) for what, per_key in sets for k in per_key), key=lambda x: x[1][2])
    by_kind = {}
    for what, per_key in sets:
        kind = by_kind.setdefault(what, {"keys": len(per_key), "bytes": []})
        kind["bytes"].append(sum(n for _, _, n in per_key))
    return {
        "sets": len(sets),
        "keystrokes": len(sizes),
        "keys_per_set": {what: kind["keys"] for what, kind in by_kind.items()},
        "keys_per_set_mean": round(len(sizes) / len(sets), 1),
        "bytes_per_key_mean": round(statistics.mean(sizes), 1),
        "bytes_per_key_median": statistics.median(sizes),
        "bytes_per_key_max": worst[2],
        "max_key": "%s key %r -> %s" % (worst_what, worst[0], worst[1]),
        "bytes_per_key_min": min(sizes),
        # A screen change that touches nearly every byte costs a little more than a full frame in windows.
        "keys_over_full_frame": sum(n > FULL_FRAME_BYTES for n in sizes),
        "full_frame_bytes": FULL_FRAME_BYTES,
        "mean_vs_full_frame": round(statistics.mean(sizes) / FULL_FRAME_BYTES, 3),
        "bytes_per_set_mean": round(sum(sizes) / len(sets)),
        "bytes_per_set_full_frames": round(len(sizes) / len(sets) * FULL_FRAME_BYTES),
        "bytes_per_set": {what: round(statistics.mean(kind["bytes"])) for what, kind in by_kind.items()},
        "bus_ms_per_key_mean": round(ms_on_the_bus(statistics.mean(sizes)), 2),
        "bus_ms_per_key_max": round(ms_on_the_bus(worst[2]), 2),
        "bus_ms_full_frame": round(ms_on_the_bus(FULL_FRAME_BYTES), 2),
        "login_bytes": login_bytes,
        "heap_limit": heap,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2, help="times each kind of set is entered (default 2)")
    parser.add_argument("--heap", default="128k", help="MicroPython heap limit (default 128k)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    try:
        figures = run(args.rounds, args.heap)
    except (BenchError, RuntimeError, TimeoutError) as e:
        print("bench/i2c.py: %s" % e, file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(figures))
        return 0
    f = figures
    print("%d observation sets, %d keystrokes (%.1f per set; %s)" % (
        f["sets"], f["keystrokes"], f["keys_per_set_mean"],
        ", ".join("%s %d" % kv for kv in f["keys_per_set"].items())))
    print("I2C bytes per keystroke: mean %.1f, median %g, min %d, max %d (%s)" % (
        f["bytes_per_key_mean"], f["bytes_per_key_median"], f["bytes_per_key_min"], f["bytes_per_key_max"],
        f["max_key"]))
    print("a full frame is %d bytes: the mean keystroke sends %.1f %% of it; %d keystrokes sent more" % (
        f["full_frame_bytes"], 100 * f["mean_vs_full_frame"], f["keys_over_full_frame"]))
    print("per set: %d bytes, against %d if every key redrew the whole frame" % (
        f["bytes_per_set_mean"], f["bytes_per_set_full_frames"]))
    print("at 400 kHz: %.2f ms per keystroke on the bus (max %.2f), a full frame %.2f ms" % (
        f["bus_ms_per_key_mean"], f["bus_ms_per_key_max"], f["bus_ms_full_frame"]))
    print("login (%s): %d bytes" % (LOGIN, f["login_bytes"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
