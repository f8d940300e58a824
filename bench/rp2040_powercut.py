# Power cuts on the Pico's real filesystem, in numbers: the record store on the official MicroPython rp2 port's
# LittleFS in the emulated RP2040, the power pulled at --cuts instants of a record save and as many of a
# compaction (half spread evenly over the operation's emulated-time window, half halfway through one of its own
# flash erases or programs, plus one just after it), each followed by a boot that checks the store itself: the
# filesystem mounts without a reformat, earlier records intact, the torn save whole or gone, a compaction all or
# nothing. tests/rp2040/test_powercut.py runs 30 of these in CI; this runs the full count.
#   .venv/bin/python bench/rp2040_powercut.py [--cuts 100] [--json]
# Figures: cuts made, how many tore an erase or a program, what each boot found, failures (each named), the
# operation's window in emulated ms, wall seconds per cut. Exit status 1 if any cut lost or damaged anything.
import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "support"))
from powercut_support import (  # noqa: E402
    RECORDS,
    SYNCED,
    cut_and_check,
    cut_instants,
    measure,
    prepare,
    trial_pico,
    verdict,
)

from tobs.device.rp2040_pico import RP2040Unavailable  # noqa: E402


def run(cuts: int, work: Path) -> dict:
    started = time.monotonic()
    images = prepare(work)
    result = {
        "records_before": RECORDS,
        "synced_before": SYNCED,
        "prepare_wall_s": round(time.monotonic() - started, 1),
        "operations": {},
    }
    for op in ("save", "compact"):
        window = measure(work, op, images[op])
        instants = cut_instants(window, cuts // 2, cuts - cuts // 2)
        found_counts: dict[str, int] = {}
        failures = []
        torn = {"E": 0, "P": 0}
        t0 = time.monotonic()
        pico = trial_pico(work)
        try:
            for i, nanos in enumerate(instants):
                found = cut_and_check(pico, op, images[op], nanos, i)
                wrong = verdict(found)
                if wrong:
                    failures.append({"cut": i, "at_ms": round(nanos / 1e6, 3), "wrong": wrong})
                key = "%d records" % len(found["seqs"])
                found_counts[key] = found_counts.get(key, 0) + 1
                if found["cut"] is not None:
                    torn[found["cut"]["kind"]] += 1
        finally:
            pico.stop()
        wall = time.monotonic() - t0
        result["operations"][op] = {
            "cuts": len(instants),
            "window_ms": round((window.end - window.start) / 1e6, 3),
            "flash_events": {
                "erases": sum(e["kind"] == "E" for e in window.ops),
                "programs": sum(e["kind"] == "P" for e in window.ops),
            },
            "tore_an_erase": torn["E"],
            "tore_a_program": torn["P"],
            "found": found_counts,
            "failures": failures,
            "wall_s_per_cut": round(wall / len(instants), 1),
        }
    result["cuts"] = sum(o["cuts"] for o in result["operations"].values())
    result["failures"] = sum(len(o["failures"]) for o in result["operations"].values())
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cuts", type=int, default=100, help="cut instants per operation (plus one after it)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    if args.cuts < 2:
        print("--cuts must be at least 2.", file=sys.stderr)
        return 2
    try:
        with tempfile.TemporaryDirectory(prefix="powercut-") as tmp:
            result = run(args.cuts, Path(tmp))
    except RP2040Unavailable as e:
        print(e, file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print("power cuts on the emulated Pico's LittleFS: %d cuts, %d failures" % (result["cuts"], result["failures"]))
        print("  store before each cut: %d records, %d acknowledged" % (RECORDS, SYNCED))
        for op, o in result["operations"].items():
            print(
                "  %-8s %4d cuts over %.1f ms emulated (%d erases, %d programs); tore %d erases, %d programs; "
                "found %s; %.1f s wall per cut"
                % (
                    op,
                    o["cuts"],
                    o["window_ms"],
                    o["flash_events"]["erases"],
                    o["flash_events"]["programs"],
                    o["tore_an_erase"],
                    o["tore_a_program"],
                    ", ".join("%s x%d" % kv for kv in sorted(o["found"].items())),
                    o["wall_s_per_cut"],
                )
            )
            for f in o["failures"]:
                print("    FAILED cut %d at %.3f ms: %s" % (f["cut"], f["at_ms"], "; ".join(f["wrong"])))
    return 1 if result["failures"] else 0


if __name__ == "__main__":
    sys.exit(main())
