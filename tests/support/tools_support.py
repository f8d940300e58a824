"""Where the repository and the tools are, for any test module (helpers live in tests/support rather than in
conftest files, which are per folder and shadow each other)."""

import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def tool(name: str) -> str:
    """A tool installed into the test environment; missing is a failure, never a reason to skip."""
    path = BIN / name
    if path.exists():
        return str(path)
    found = shutil.which(name)
    if not found:
        pytest.fail(f"{name} is not installed: run the README's test command, which installs it")
    return found
