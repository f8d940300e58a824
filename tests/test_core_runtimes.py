"""The same core test files on MicroPython's unix port, with the same count as on CPython."""

import re
import subprocess
import sys


def collected_on_cpython(root) -> int:
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "tests/core"],
        cwd=root, capture_output=True, text=True, check=True,
    )
    return int(re.search(r"(\d+) tests? collected", result.stdout).group(1))


def test_core_suite_runs_on_micropython_with_the_same_count(root, micropython, request):
    expected = collected_on_cpython(root)
    result = subprocess.run(
        [micropython, "tests/mpy_runner.py", "tests/core"], cwd=root, capture_output=True, text=True, timeout=120
    )
    match = re.search(r"^micropython: (\d+) passed, (\d+) failed$", result.stdout, re.M)
    assert match, result.stdout + result.stderr
    passed, failed = int(match.group(1)), int(match.group(2))
    request.config._core_counts = (expected, passed + failed, passed, failed)
    assert failed == 0, result.stdout
    assert result.returncode == 0
    assert passed == expected >= 20
