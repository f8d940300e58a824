# The sync link under generated and mutated input, at bench counts: the handheld's command handler (on a stand-in
# board with a real record store) and the PC's frame reader, with the fuzzer the tests run 10,000 times
# (tests/support/link_fuzz.py). The same seed gives the same inputs on both runtimes. Run from the repository root:
#   .venv/bin/micropython -X heapsize=8M bench/link_fuzz.py [--inputs N] [--seed S] [--json]
#   .venv/bin/python bench/link_fuzz.py [--inputs N] [--seed S] [--json]
# Exits 1 with the failing input on the first crash or unasked state change.
import json
import sys
import time

sys.path[:0] = ["tests/support", "firmware", "firmware/lib"]

from link_fuzz import fuzz_device, fuzz_frames  # noqa: E402 - after the path is set
from scratch_support import remove_tree, scratch  # noqa: E402


def _option(name, default):
    args = sys.argv[1:]
    return int(args[args.index(name) + 1]) if name in args else default


def _clock():
    ticks = getattr(time, "ticks_ms", None)
    return ticks() / 1000 if ticks else time.monotonic()


def main():
    inputs = _option("--inputs", 100000)
    seed = _option("--seed", 1)
    root = scratch("bench-fuzz", in_memory=True)
    failure = None
    result = {"runtime": sys.implementation.name, "seed": seed}
    try:
        start = _clock()
        result["device"] = fuzz_device(root, inputs, seed=seed)
        result["device"]["wall_s"] = round(_clock() - start, 1)
        start = _clock()
        result["frames"] = fuzz_frames(inputs, seed=seed)
        result["frames"]["wall_s"] = round(_clock() - start, 1)
    except AssertionError as e:
        failure = str(e)
    finally:
        remove_tree(root)
    result["crashes_or_unasked_changes"] = 0 if failure is None else 1
    if failure is not None:
        result["failure"] = failure
    if "--json" in sys.argv:
        print(json.dumps(result))
    else:
        print("link fuzz on %s, seed %d" % (result["runtime"], seed))
        for part in ("device", "frames"):
            if part in result:
                print("  %s: %s" % (part, ", ".join("%s %s" % kv for kv in sorted(result[part].items()))))
        print("  failure: " + failure if failure else "  0 crashes, 0 state changes without a well-formed command")
    sys.exit(1 if failure else 0)


main()
