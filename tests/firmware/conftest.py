"""On CPython the firmware's own folders go on sys.path, as they are on the device (tests/mpy_runner.py does the
same for MicroPython). Only pytest reads this file; the test files themselves stay plain."""

import sys
from pathlib import Path

FIRMWARE = Path(__file__).resolve().parents[2] / "firmware"
for folder in (FIRMWARE, FIRMWARE / "lib"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))
