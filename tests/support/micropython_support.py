"""Fixtures for the virtual Pico tests: MicroPython subprocesses with the firmware's import path, and
virtual Picos running the display test app. A plain module the tests import from: a second conftest.py
would shadow the top one's `conftest` module."""

import os
import subprocess
from pathlib import Path

import pytest

from tobs import firmware
from tobs.device.virtual_pico import VirtualPico

HERE = Path(__file__).resolve().parent
FIRMWARE = HERE.parent.parent / "firmware"
# The MicroPython stand-in apps the display tests run, beside those tests.
APPS = HERE.parent / "handheld"
DISPLAY_APP = APPS / "display_app.py"


@pytest.fixture(scope="session", name="run_micropython")
def run_micropython_fixture(tmp_path_factory):
    """Run a MicroPython script with firmware/lib, firmware and the installed SSD1306 driver importable."""
    drivers = firmware.driver_folder(tmp_path_factory.mktemp("drivers"))

    def run(script: Path, *args: str, heap: str = "128k") -> str:
        env = dict(
            os.environ, MICROPYPATH=os.pathsep.join([".frozen", str(FIRMWARE / "lib"), str(FIRMWARE), str(drivers)])
        )
        result = subprocess.run(
            [firmware.micropython(), "-X", "heapsize=" + heap, str(script), *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )
        assert result.returncode == 0, result.stdout[-2000:] + result.stderr
        return result.stdout

    return run


@pytest.fixture(scope="session", name="sim_build")
def sim_build_fixture(tmp_path_factory) -> Path:
    """One folder of compiled firmware modules for every virtual Pico of the test run."""
    return tmp_path_factory.mktemp("device")


@pytest.fixture(name="sim")
def sim_fixture(tmp_path, sim_build):
    """A factory of virtual Picos running tests/handheld/display_app.py; all are stopped after the test."""
    started = []

    def make(**options) -> VirtualPico:
        options.setdefault("entry", DISPLAY_APP)
        options.setdefault("build_dir", sim_build)
        pico = VirtualPico(tmp_path / ("pico%d" % len(started)), **options)
        started.append(pico)
        return pico.start()

    yield make
    for pico in started:
        pico.stop()
