"""Shared test plumbing: where the repository, the MicroPython binary and the tools are."""

import sys
from pathlib import Path

import pytest

# Every test helper module lives in tests/support (named *_support); the firmware's own folders go on sys.path as
# they are on the device, so the plain test files import handheld.* and the helpers the same way under pytest and
# under tests/mpy_runner.py.
_TESTS = Path(__file__).resolve().parent
for _folder in (_TESTS / "support", _TESTS.parent / "firmware", _TESTS.parent / "firmware" / "lib"):
    if str(_folder) not in sys.path:
        sys.path.insert(0, str(_folder))

from tools_support import ROOT, tool  # noqa: E402  (importable once tests/support is on the path)


def pytest_addoption(parser):
    # Here rather than in tests/hil so that `pytest tests --device PORT` works as well as `pytest tests/hil ...`.
    parser.addoption(
        "--device",
        default=None,
        help="hardware-in-the-loop target: 'sim' (the virtual Pico), 'rp2040' (the emulated RP2040 running the "
        "official MicroPython image) or a Pico's serial port; without it the suite runs on both virtual targets",
    )


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def micropython() -> str:
    return tool("micropython")


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    for folder, counts in sorted(getattr(config, "_shared_counts", {}).items()):
        terminalreporter.write_line(
            "%s: CPython collected %d, MicroPython ran %d (%d passed, %d failed)" % ((folder,) + counts)
        )
