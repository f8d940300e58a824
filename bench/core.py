# How much the chart costs on each runtime: heap taken by importing tobs_core and time per score.
# Run with either runtime from the repository root:
#   .venv/bin/python bench/core.py          .venv/bin/micropython bench/core.py
import sys

sys.path.insert(0, "firmware/lib")
try:
    import gc

    gc.collect()
    before = gc.mem_alloc() if hasattr(gc, "mem_alloc") else None  # MicroPython only
except ImportError:
    before = None
import time

import tobs_core

if before is not None:
    gc.collect()
    print("heap taken by tobs_core: %d bytes" % (gc.mem_alloc() - before))

N = 20000
clock = getattr(time, "ticks_us", None)
start = clock() if clock else time.perf_counter()
for i in range(N):
    tobs_core.score(50 + i % 150, 3 + i % 60, 34.0 + (i % 60) / 10, 60 + i % 200, "voice", "rectal")
elapsed = (clock() - start) / 1e6 if clock else time.perf_counter() - start
print("%s: %.2f us per score (%d scores)" % (sys.implementation.name, elapsed / N * 1e6, N))
