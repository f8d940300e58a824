"""Hardware-in-the-loop fixtures: the target (`--device sim`, the default, or a real Pico's serial port) with the
test build deployed, and the bench report written at the end of the session."""

from __future__ import annotations

import json
import shutil
import sys
import time
from pathlib import Path

import pytest
from hil_support import REPORT_DIR, PicoTarget, SimTarget, Target, connected

from tobs import firmware


@pytest.fixture(scope="session")
def bench() -> dict:
    """Figures the tests measure; written to run/hil-report/ when the session ends."""
    return {}


@pytest.fixture(scope="session")
def target(request, tmp_path_factory, bench):
    """The target with the test build deployed and the app running; skipped only for a real Pico that is not
    connected."""
    device = request.config.getoption("--device", default="sim")
    if device == "sim":
        made: Target = SimTarget(tmp_path_factory.mktemp("hil") / "pico")
    else:
        if not connected(device):
            pytest.skip(f"no Pico connected at {device}: plug it in (hardware-in-the-loop tests need the device)")
        made = PicoTarget(device)
    # A snapshot, so that every deploy in the session installs the same firmware while others edit the tree.
    made.firmware = Path(
        shutil.copytree(firmware.tree(), tmp_path_factory.mktemp("firmware") / "firmware",
                        ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
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
    name = "sim" if bench.get("device") == "sim" else "pico"
    bench["written_at"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    bench["python"] = sys.version.split()[0]
    path = REPORT_DIR / f"{name}.json"
    path.write_text(json.dumps(bench, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    lines = [f"{key}: {bench[key]}" for key in sorted(bench)]
    (REPORT_DIR / f"{name}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    config._hil_report = path


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    path = getattr(config, "_hil_report", None)
    if path is not None:
        terminalreporter.write_line(f"hardware-in-the-loop bench report: {path} (and {path.with_suffix('.txt')})")

