"""Shared test plumbing: where the repository, the MicroPython binary and the tools are."""

import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

# The firmware's own folders go on sys.path as they are on the device, so the plain test files in
# tests/firmware import handheld.* the same way under pytest and under tests/mpy_runner.py.
for _folder in (ROOT / "firmware", ROOT / "firmware" / "lib"):
    if str(_folder) not in sys.path:
        sys.path.insert(0, str(_folder))


def tool(name: str) -> str:
    """A tool installed into the test environment; missing is a failure, never a reason to skip."""
    path = BIN / name
    if path.exists():
        return str(path)
    found = shutil.which(name)
    if not found:
        pytest.fail(f"{name} is not installed: run the README's test command, which installs it")
    return found


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
