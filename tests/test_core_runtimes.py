"""The shared plain-assert test folders on MicroPython's unix port, with the same count as on CPython.

tests/core is the chart; tests/firmware holds the firmware modules that are pure enough to run on both."""

import re
import subprocess
import sys

import pytest

SHARED_FOLDERS = ["tests/core", "tests/firmware"]


def collected_on_cpython(root, folder) -> int:
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", folder],
        cwd=root, capture_output=True, text=True,
    )
    match = re.search(r"(\d+) tests? collected", result.stdout)
    assert match, result.stdout + result.stderr
    return int(match.group(1))


@pytest.mark.parametrize("folder", SHARED_FOLDERS)
def test_shared_tests_run_on_micropython_with_the_same_count(root, micropython, request, folder):
    expected = collected_on_cpython(root, folder)
    result = subprocess.run(
        [micropython, "tests/mpy_runner.py", folder], cwd=root, capture_output=True, text=True, timeout=600
    )
    match = re.search(r"^micropython: (\d+) passed, (\d+) failed$", result.stdout, re.M)
    assert match, result.stdout + result.stderr
    passed, failed = int(match.group(1)), int(match.group(2))
    counts = getattr(request.config, "_shared_counts", {})
    counts[folder] = (expected, passed + failed, passed, failed)
    request.config._shared_counts = counts
    assert failed == 0, result.stdout
    assert result.returncode == 0
    assert passed == expected > 0
