# Runs the shared plain-assert test files on MicroPython (unix port or a real Pico), where pytest
# does not exist. Run from the repository root:
#   micropython tests/mpy_runner.py tests/core
#   mpremote connect PORT mount . exec \
#     "import sys; sys.path.append('tests'); import mpy_runner; mpy_runner.main(['tests/core'])"
# Prints one line per failure and a closing "N passed, M failed" line; pytest compares N with its own count.
# The test helpers come from tests/support, the firmware from firmware/ and firmware/lib, as under pytest.
import os
import sys


def _test_files(folder):
    return sorted(name for name in os.listdir(folder) if name.startswith("test_") and name.endswith(".py"))


def run_folder(folder):
    passed = failed = 0
    if folder not in sys.path:
        sys.path.insert(0, folder)
    for name in _test_files(folder):
        module_name = name[:-3]
        module = __import__(module_name)
        tests = sorted(k for k in dir(module) if k.startswith("test_") and callable(getattr(module, k)))
        for test in tests:
            try:
                getattr(module, test)()
            except Exception as e:  # a failing test is reported and counted, never swallowed
                failed += 1
                print("FAILED %s/%s::%s" % (folder, name, test))
                sys.print_exception(e)  # type: ignore[attr-defined]
            else:
                passed += 1
    return passed, failed


def main(folders):
    for path in ("tests/support", "firmware", "firmware/lib"):
        if path not in sys.path:
            sys.path.insert(0, path)
    passed = failed = 0
    for folder in folders:
        p, f = run_folder(folder)
        passed += p
        failed += f
    print("%s: %d passed, %d failed" % (sys.implementation.name, passed, failed))
    return failed


if __name__ == "__main__":
    sys.exit(1 if main(sys.argv[1:] or ["tests/core"]) else 0)
