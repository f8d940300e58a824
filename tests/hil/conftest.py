"""Hardware-in-the-loop fixtures: the target (`--device sim`, the default, `--device rp2040` or a real Pico's serial
port) with the test build deployed, and the bench report
written when each target's run ends."""

from __future__ import annotations

import json
import shutil
import sys
import time
from pathlib import Path

import pytest
from hil_support import REPORT_DIR, PicoTarget, RP2040Target, SimTarget, Target, connected

from tobs import firmware

# The virtual targets: the report is named after each.
VIRTUAL = ("sim", "rp2040")
# What a plain `pytest` (CI's `make test`) runs the suite on: both virtual targets, the fast one first. The
# emulated RP2040 enters few records (test_hil.RECORDS) so that its run stays around ten minutes.
DEFAULT_DEVICES = ("sim", "rp2040")


def pytest_generate_tests(metafunc):
    if "device" in metafunc.fixturenames:
        given = metafunc.config.getoption("--device")
        devices = [given] if given else list(DEFAULT_DEVICES)
        metafunc.parametrize("device", devices, scope="session", indirect=True)


@pytest.fixture(scope="session")
def device(request) -> str:
    """The target's name: 'sim', 'rp2040' or a serial port."""
    return request.param


@pytest.fixture(scope="session")
def bench(device) -> dict:
    """Figures the tests measure on one target; written to run/hil-report/ when that target's run ends."""
    return {}


@pytest.fixture(scope="session")
def target(device, request, tmp_path_factory, bench):
    """The target with the test build deployed and the app running; skipped only for a real Pico that is not
    connected."""
    if device == "sim":
        made: Target = SimTarget(tmp_path_factory.mktemp("hil") / "pico")
    elif device == "rp2040":
        made = RP2040Target(tmp_path_factory.mktemp("hil-rp2040") / "pico")
    else:
        if not connected(device):
            pytest.skip(f"no Pico connected at {device}: plug it in (hardware-in-the-loop tests need the device)")
        made = PicoTarget(device)
    # A snapshot, so that every deploy in the session installs the same firmware while others edit the tree.
    made.firmware = Path(
        shutil.copytree(
            firmware.tree(),
            tmp_path_factory.mktemp("firmware") / "firmware",
            ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"),
        )
    )
    try:
        started = time.monotonic()
        result = made.deploy(test_build=True)
        bench.update(
            device=device,
            board=result.board,
            firmware=result.firmware,
            core_id=result.core_id,
            device_id=result.device_id,
            deploy_seconds=round(time.monotonic() - started, 2),
        )
        yield made
    finally:
        made.stop()
        if bench:
            _write_report(request.config, bench)


def _write_report(config, bench: dict) -> None:
    REPORT_DIR.mkdir(parents=True, exist_ok=True)
    name = bench["device"] if bench.get("device") in VIRTUAL else "pico"
    bench["written_at"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    bench["python"] = sys.version.split()[0]
    path = REPORT_DIR / f"{name}.json"
    path.write_text(json.dumps(bench, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    lines = [f"{key}: {bench[key]}" for key in sorted(bench)]
    (REPORT_DIR / f"{name}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    config._hil_reports = getattr(config, "_hil_reports", []) + [path]


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    for path in getattr(config, "_hil_reports", []):
        terminalreporter.write_line(f"hardware-in-the-loop bench report: {path} (and {path.with_suffix('.txt')})")
