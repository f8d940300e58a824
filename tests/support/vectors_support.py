# Loads the hand-written vectors shared by CPython (pytest) and MicroPython (tests/mpy_runner.py).
import json

import tobs_core


def _here():
    path = __file__.replace("\\", "/")
    return path[: path.rfind("/")] if "/" in path else "."


with open(_here() + "/../vectors/core.json") as f:
    VECTORS = json.load(f)


def observation(**overrides):
    """The neutral observation (total 0) with some fields replaced, as score() keyword arguments."""
    args = dict(VECTORS["neutral"])
    args.update(overrides)
    return args


def score(**overrides):
    return tobs_core.score(**observation(**overrides))


def raised(fn, *args, **kwargs):
    """The VitalError fn raised, or None; anything else propagates and fails the test."""
    try:
        fn(*args, **kwargs)
    except tobs_core.VitalError as e:
        return e
    return None


def check_all(cases, check):
    """Run check(case) for every case and fail once, listing every mismatch (not just the first)."""
    failures = []
    for case in cases:
        problem = check(case)
        if problem:
            failures.append("%r: %s" % (case, problem))
    assert not failures, "\n".join(failures)
    return len(cases)
