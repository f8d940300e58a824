"""`tobs deploy`, planned and verified: build the device image (the firmware cross-compiled for the Pico, the
display driver from its installed package), install it on a Pico, or on the virtual Pico booting from its flash,
with mpremote (only the files that differ), and check that the fresh firmware answers with this PC's chart."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

import serial

from tobs import firmware as fw
from tobs.device.link import Link, LinkError
from tobs.shared import tobs_core

# Files that must stay source: MicroPython runs /main.py, never main.mpy.
KEEP_SOURCE = {"main.py"}
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
def build(out: Path, firmware: Path | None = None, test_build: bool = False) -> list[BuiltFile]:
    """Compile everything the Pico needs into `out`, mirroring the device's file tree; with test_build also the
    test-only modules (a production image never contains them)."""
    firmware = Path(firmware) if firmware is not None else fw.tree()
    if not (firmware / "main.py").is_file():
        raise DeployError(f"{firmware} is not a firmware folder (it has no main.py).")
    if out.exists():
        shutil.rmtree(out)
    built = []
    jobs = []
    for device_path, source in fw.image_sources(firmware, test_build=test_build):
        if Path(device_path).name in KEEP_SOURCE or source.suffix != ".py":
            target = out / device_path
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
        else:
            target = out / (device_path[:-3] + ".mpy")
            jobs.append((source, target, device_path))
            device_path = device_path[:-3] + ".mpy"
        built.append(BuiltFile(device_path, target))
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        futures = [
            pool.submit(fw.compile_module, source, target, arch=fw.PICO_ARCH, device_name=name)
            for source, target, name in jobs
        ]
        for done in futures:
            try:
                done.result()  # the first compile error, in file order
            except fw.FirmwareError as e:
                raise DeployError(str(e)) from e
    return built


# ---- the target -------------------------------------------------------------------------------------------------
def _probe_script(data_names: list[str]) -> str:
    """firmware/tools/deploy_probe.py with its call: what the target's REPL runs to describe itself."""
    try:
        script = fw.device_script("deploy_probe")
    except fw.FirmwareError as e:
        raise DeployError(str(e)) from e
    return script + "\n_tobs_probe(%r)\ndel _tobs_probe\n" % (tuple(data_names),)


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
    stall: float | None = None,
) -> _Run:
    """Run `mpremote connect PORT resume ARGS...`, stopping it after `timeout` s, or after `answer_timeout` s
    without a line of output (mpremote itself waits for ever on a port where nothing answers), or after `stall` s
    without a new line once output has begun (a copy that is still moving file by file is not stopped).

    `resume`: no soft reset on connecting (on the unix port a soft reset ends the process; on a Pico it would be
    pointless), and the session continues at the REPL the app handed over."""
    try:
        command = [fw.tool("mpremote"), "connect", port, "resume", *args]
    except fw.FirmwareError as e:
        raise DeployError(str(e)) from e
    env = dict(os.environ, PYTHONUNBUFFERED="1")  # its "cp" lines must arrive as they happen, for the progress
    out: list[str] = []
    last_line = [time.monotonic()]
    stopped: list[bool] = []  # [silent] once the watchdog has killed it

    def watchdog(proc: subprocess.Popen) -> None:
        started = time.monotonic()
        while proc.poll() is None:
            waited = time.monotonic() - started
            silent = answer_timeout is not None and not out and waited > answer_timeout
            stalled = stall is not None and out and time.monotonic() - last_line[0] > stall
            if silent or stalled or (stall is None and waited > timeout):
                stopped.append(silent)
                proc.kill()
                return
            time.sleep(0.05)

    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=err, text=True, env=env)
        threading.Thread(target=watchdog, args=(proc,), daemon=True, name="mpremote-watchdog").start()
        assert proc.stdout is not None
        for line in proc.stdout:
            last_line[0] = time.monotonic()
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


def _leave_app(port: str, answer_timeout: float = _LEAVE_APP_TIMEOUT_S) -> dict | None:
    """If the TOBS app answers on the port, ask it to give the port to the REPL; its HELLO, or None if it is silent
    (a fresh Pico, or the REPL has the port already). answer_timeout: how long the app gets to answer HELLO."""
    if not os.path.exists(port) and not port.startswith(("COM", "socket:", "rfc2217:")):
        raise DeployError(f"There is no serial port {port}: plug the handheld in, or check --port.")
    try:
        link = Link(port, timeout=answer_timeout)
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
        run = _mpremote(port, ["exec", _probe_script(data_names)], timeout=60, answer_timeout=_REPL_ANSWER_S)
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
    args += ["exec", _probe_script(data_names)]
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

    # mpremote prints a line as each file is in place: a copy is stopped only when no file has arrived for as long
    # as the largest should take at 2 KB/s (and a minute), so a slow target (the emulated RP2040, a loaded PC)
    # that keeps moving finishes.
    largest = max((f.local.stat().st_size for f in copy), default=0)
    run = _mpremote(
        port, args, timeout=0, answer_timeout=_REPL_ANSWER_S * 2, on_line=on_line, stall=60 + largest / 2000
    )
    if run.code != 0:
        raise DeployError(f"Copying the firmware failed ({run.message()}); run tobs deploy again.")
    return _parse_probe(run.out, port)


def _await_hello(port: str, timeout: float, answer_timeout: float) -> dict:
    """The fresh firmware's HELLO; a Pico's USB port vanishes for a moment while it resets, the sim's does not.
    Each HELLO waits answer_timeout for its answer: one given up on too early is answered later all the same, and
    that late answer would be read as the answer to whatever the next program on the port asks."""
    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        try:
            with Link(port, timeout=answer_timeout) as link:
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
    firmware: Path | None = None,
    full: bool = False,
    timeout: float = 30.0,
    test_build: bool = False,
    answer_timeout: float = _LEAVE_APP_TIMEOUT_S,
) -> DeployResult:
    """Install the firmware built from `firmware` on the Pico (or virtual Pico) on `port` and verify it.

    The app is asked to hand the port to the REPL; mpremote then makes the folders, removes stale firmware files,
    copies every file that differs (every file with full=True), reads all hashes back, and resets the target.
    The new firmware must then answer HELLO with this PC's chart (tobs_core.CORE_ID) and the built version.
    progress(done, total, device_path) is called as each file of the image is known to be in place. Records and
    settings on the device (records.bin, site.json, link.json, ...) are never touched. test_build=True adds the
    test-only link commands KEY and SCREEN (firmware/testbuild); a production deploy removes them again, as lib/
    holds exactly the image. answer_timeout: how long the running app gets to answer HELLO before the port is taken
    for the REPL, and each HELLO after the reset for its answer (a slow target, such as the emulated RP2040 loading
    its link code, needs longer than a Pico).
    Raises DeployError."""
    started = time.monotonic()
    firmware = Path(firmware) if firmware is not None else fw.tree()
    try:
        made = fw.identity(firmware)
    except fw.FirmwareError as e:
        raise DeployError(str(e)) from e
    version, chart = made.version, made.core_id
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
        hello = _leave_app(port, answer_timeout)
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
        fresh = _await_hello(port, timeout, answer_timeout)
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
