"""The virtual Pico: the firmware on MicroPython's unix port with an emulated OLED, a keypad the host presses,
a virtual clock, a flash image that survives power cuts, and its USB serial on a pty that mpremote can open.

It runs the firmware straight from the repository (boot="repo"), or boots like a Pico from whatever was deployed
into its flash (boot="flash"): then the REPL takes the serial port when main.py ends or is missing, and the
process is started again whenever it exits (machine.reset(), Ctrl-D), on the same serial port."""

from __future__ import annotations

import errno
import fcntl
import os
import pty
import secrets
import select
import signal
import struct
import subprocess
import termios
import threading
import time
import tty
from pathlib import Path

from tobs import firmware as fw
from tobs.device.ssd1306_emulator import SSD1306Emulator

KEYS = "0123456789*#ABCD"
FLASH_SIZE = 1_441_792
_MAX_ADVANCE_MS = 0xFFFFFFFF
# Bytes held for a serial client that is slow to read; beyond this the firmware's writes wait, as USB's flow
# control makes a Pico's writes wait for the host (dropping them would corrupt a sync the PC is still reading).
_BRIDGE_BACKLOG = 64 * 1024
# More reboots than this within the window is a boot loop: the virtual Pico then stays off (check() says why).
_BOOT_LOOP_COUNT = 5
_BOOT_LOOP_WINDOW_S = 10.0
_REPL_SUFFIX = "; REPL"  # board_sim_boot.py's log lines that mean the REPL now has the serial port
# The virtual hardware, compiled beside main.py like board_pico on a Pico.
_BOARD_FILES = ("board_sim.py", "board_sim_flash.py")

class FirmwareDied(RuntimeError):
    """The firmware process ended; the message carries its exit status and the end of its stderr."""


def _python_files(root: Path) -> list[tuple[Path, Path]]:
    found = []
    for folder, _, names in os.walk(root, followlinks=True):  # the driver folder holds symlinks
        found += [(Path(folder) / n, (Path(folder) / n).relative_to(root)) for n in names if n.endswith(".py")]
    return sorted(found)


def _board_files(tree: Path) -> list[tuple[Path, Path]]:
    return [(tree / name, Path(name)) for name in _BOARD_FILES]


def _compile_tree(sources: list[tuple[Path, Path]], out: Path) -> None:
    """Compile each (file, path relative to the import root) to out/*.mpy unless the .mpy is newer.

    The device runs .mpy files (the deploy step compiles them), and compiling a large module from source
    needs far more heap than running it: without this the 128k heap limit would measure the compiler."""
    for source, rel in sources:
        target = out / rel.with_suffix(".mpy")
        if target.exists() and target.stat().st_mtime >= source.stat().st_mtime:
            continue
        try:
            fw.compile_module(source, target)
        except fw.FirmwareError as e:
            raise FirmwareDied(str(e)) from e
    wanted = {out / rel.with_suffix(".mpy") for _, rel in sources}
    for stale in out.rglob("*.mpy"):
        if stale not in wanted:
            stale.unlink()  # a module deleted from the source tree must not live on in the cache


def _raw(fd: int, interrupt: bool) -> None:
    tty.setraw(fd)
    if interrupt:
        # The Pico's USB serial: 0x03 interrupts the program (until it calls kbd_intr(-1)), nothing else does.
        attrs = termios.tcgetattr(fd)
        attrs[3] |= termios.ISIG
        attrs[6][termios.VINTR] = 3
        for key in (termios.VQUIT, termios.VSUSP):
            attrs[6][key] = 0  # _POSIX_VDISABLE: 0x1C and 0x1A stay ordinary bytes
        termios.tcsetattr(fd, termios.TCSANOW, attrs)


def _take_terminal() -> None:
    # Runs in the child between fork and exec: make the pty on stdin its controlling terminal, so the
    # terminal's SIGINT for 0x03 reaches it, as the Pico's USB stack reaches its interpreter.
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


class VirtualPico:
    def __init__(
        self,
        run_dir: str | Path,
        heap: str | None = "128k",
        clock: str = "unset",
        uid: str | None = None,
        firmware: str | Path | None = None,
        entry: str | Path = "main.py",
        repl: bool = False,
        precompile: bool = True,
        build_dir: str | Path | None = None,
        boot: str = "repo",
    ):
        """boot="repo" runs `entry` from the firmware folder; boot="flash" boots from what is deployed in the flash
        image (entry is not used, repl is implied) and restarts the process whenever it exits, like a Pico."""
        if clock not in ("unset", "host"):
            raise ValueError("clock must be 'unset' or 'host'")
        if boot not in ("repo", "flash"):
            raise ValueError("boot must be 'repo' or 'flash'")
        self.boot = boot
        self.run_dir = Path(run_dir).resolve()
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.heap = heap
        self.clock = clock
        # Like the Pico: after a crash, Ctrl-C or the app leaving, the REPL takes over the serial port.
        self.repl = repl or boot == "flash"
        self.precompile = precompile
        # Where the compiled modules go (default run_dir/device); several virtual Picos may share one.
        self.build_dir = Path(build_dir).resolve() if build_dir is not None else self.run_dir / "device"
        self.firmware = Path(firmware).resolve() if firmware is not None else fw.tree()
        self.entry = Path(entry) if Path(entry).is_absolute() else self.firmware / entry
        self.flash = self.run_dir / "flash.img"
        uid_file = self.run_dir / "uid"
        if uid is None:
            uid = uid_file.read_text().strip() if uid_file.exists() else secrets.token_hex(8)
        if len(uid) != 16 or any(c not in "0123456789abcdefABCDEF" for c in uid):
            raise ValueError("uid must be 16 hex digits")
        self.uid = uid.lower()
        uid_file.write_text(self.uid + "\n")
        self.stderr_path = self.run_dir / "stderr.log"
        self.screen = SSD1306Emulator()
        self.logs: list[str] = []
        self.idles = 0
        self.proc: subprocess.Popen | None = None
        self.port: str | None = None
        self.serial_tail = bytearray()  # the last device output: the unix port prints tracebacks there
        self._cond = threading.Condition()
        self._threads: list[threading.Thread] = []
        self._stop = threading.Event()
        self._control_w: int | None = None
        self._cpu_master: int | None = None
        self._port_master: int | None = None
        self._port_slave: int | None = None
        self._exit_message: str | None = None
        self.in_repl = False  # boot="flash": the REPL has the serial port (no main.py, or it ended)
        self.boots = 0  # process starts since this object was made: power-ups and reboots
        self._crash: str | None = None  # boot="flash": why main.py stopped, if it raised
        self._life = threading.RLock()  # power state changes: start, kill, stop and the reboot watcher
        self._powered = False
        self._boot_times: list[float] = []
        self._gave_up: str | None = None

    # ---- life cycle -------------------------------------------------------------------------------------------
    def start(self, wait: bool = True, timeout: float = 15) -> VirtualPico:
        """Power up; with wait, return once the firmware first reports idle (its first screen is drawn), or, when
        booting from flash, once the REPL has the serial port."""
        with self._life:
            if self.running:
                raise RuntimeError("the virtual Pico is already running")
            self.screen = SSD1306Emulator()  # the panel loses its RAM with the power
            self._powered = True
            self._gave_up = None
            self._boot_times = []
            self._launch()
        if wait:
            self.wait_ready(timeout)
        return self

    def _launch(self) -> None:
        """Start the firmware process on the serial port (kept across reboots); the caller holds _life."""
        self._open_port()
        self.idles = 0
        self.in_repl = False
        self._crash = None
        self.logs = []  # this boot's log lines; run_dir/sim.log keeps them all
        self._exit_message = None
        self.serial_tail.clear()
        self._stop.clear()
        cpu_master, cpu_slave = pty.openpty()
        _raw(cpu_slave, interrupt=True)
        events_r, events_w = os.pipe()
        control_r, control_w = os.pipe()
        env = dict(os.environ)
        env.update(
            MICROPYPATH=fw.micropypath(self._boot_path()),
            TOBS_SIM_EVENTS=str(events_w),
            TOBS_SIM_CONTROL=str(control_r),
            TOBS_SIM_FLASH=str(self.flash),
            TOBS_SIM_UID=self.uid,
            TOBS_SIM_CLOCK=self.clock,
        )
        command = [fw.micropython()]
        if self.repl:
            command.append("-i")
        if self.heap:
            command += ["-X", "heapsize=" + self.heap]
        command.append(str(self._entry_script()))
        with open(self.stderr_path, "wb") as stderr:
            self.proc = subprocess.Popen(
                command,
                cwd=self.firmware,
                env=env,
                stdin=cpu_slave,
                stdout=cpu_slave,
                stderr=stderr,
                pass_fds=(events_w, control_r),
                start_new_session=True,
                preexec_fn=_take_terminal,
            )
        for fd in (cpu_slave, events_w, control_r):
            os.close(fd)
        self._cpu_master = cpu_master
        self._control_w = control_w
        self._threads = [
            threading.Thread(target=self._read_events, args=(events_r,), daemon=True, name="sim-events"),
            threading.Thread(target=self._bridge, args=(cpu_master,), daemon=True, name="sim-serial"),
        ]
        for t in self._threads:
            t.start()
        self.boots += 1
        if self.boot == "flash":
            # Not one of self._threads: it outlives this process to start the next one.
            threading.Thread(target=self._reboot_when_exited, args=(self.proc,), daemon=True, name="sim-reset").start()

    def _reboot_when_exited(self, proc: subprocess.Popen) -> None:
        proc.wait()
        with self._life:
            if not self._powered or self.proc is not proc:
                return  # powered off (kill/stop) or already replaced
            self._end(signal.SIGKILL)
            now = time.monotonic()
            self._boot_times = [t for t in self._boot_times if now - t < _BOOT_LOOP_WINDOW_S] + [now]
            if len(self._boot_times) > _BOOT_LOOP_COUNT:
                self._gave_up = "it rebooted %d times within %g s, so it was left off (last exit: %s)" % (
                    len(self._boot_times),
                    _BOOT_LOOP_WINDOW_S,
                    self.exit_message(),
                )
                self._powered = False
                return
            try:
                self._launch()
            except (OSError, FirmwareDied) as e:
                # Nobody to raise to in this thread: check() and the waiters report it.
                self._gave_up = "it could not be started again after a reset (%s)" % e
                self._powered = False
                with self._cond:
                    self._exit_message = "exited"
                    self._cond.notify_all()

    def _entry_script(self) -> Path:
        if self.boot == "repo":
            return self.entry
        return self.firmware / "board_sim_boot.py"

    def _boot_path(self) -> list[Path]:
        if self.boot == "repo":
            return self.import_path()
        # Only the board file: the boot script then puts the flash on the import path, and nothing else.
        if not self.precompile:
            return [self.firmware]  # the boot script replaces sys.path before anything but board_sim is imported
        _compile_tree(_board_files(self.firmware), self.build_dir / "board")
        return [self.build_dir / "board"]

    def wait_ready(self, timeout: float = 15) -> None:
        """Wait for the firmware's first idle report after start: it is up and its first screen is drawn. When
        booting from flash, the REPL taking the serial port (empty flash, or main.py ended) counts as ready too,
        and main.py stopping with an exception raises FirmwareDied."""
        if self.boot == "repo":
            self._wait_idle(0, timeout, "start")
            return
        with self._cond:
            self._cond.wait_for(lambda: self.idles > 0 or self.in_repl or self._exit_message is not None, timeout)
            if self.idles > 0 or (self.in_repl and self._crash is None):
                return
            crash = self._crash
        if crash is not None:
            raise FirmwareDied("start: main.py on the flash stopped with %s%s" % (crash, self._tail()))
        if self._exit_message is not None:
            self._raise_died("start")
        raise TimeoutError("start: neither the firmware nor the REPL was ready within %g s%s" % (timeout, self._tail()))

    def import_path(self) -> list[Path]:
        """MicroPython's module path: firmware/lib, firmware and the SSD1306 driver; with precompile, first
        run_dir/device/lib with the library modules and the driver compiled to .mpy, laid out as the deploy step
        puts them on the Pico (/lib/..., with the firmware folder's data files beside it)."""
        drivers = fw.driver_folder(self.run_dir, self.firmware)
        path = [self.firmware / "lib", self.firmware, drivers]
        if not self.precompile:
            return path
        device = self.build_dir
        _compile_tree(_python_files(self.firmware / "lib") + _python_files(drivers), device / "lib")
        # The board file too, as board_pico.mpy is on the Pico (it sits beside main.py, outside lib/).
        _compile_tree(_board_files(self.firmware), device / "board")
        for data in self.firmware.iterdir():
            # Modules that find their data files relative to their own location (lib/..) look here.
            link = device / data.name
            if data.is_file() and data.suffix != ".py" and not link.is_symlink():
                link.symlink_to(data)
        return [device / "lib", device / "board", *path]

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        """Pull the power: SIGKILL, no chance to finish a write."""
        with self._life:
            self._powered = False
            self._end(signal.SIGKILL)

    def stop(self) -> None:
        """Power off and release everything, the serial port included."""
        with self._life:
            self._powered = False
            self._end(signal.SIGKILL)
        for fd in (self._port_master, self._port_slave):
            if fd is not None:
                os.close(fd)
        self._port_master = self._port_slave = None
        link = self.run_dir / "ttyV"
        if link.is_symlink():
            link.unlink()
        self.port = None

    def restart(self, wait: bool = True, timeout: float = 15) -> VirtualPico:
        self.kill()
        return self.start(wait=wait, timeout=timeout)

    def __enter__(self) -> VirtualPico:
        if not self.running:
            self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def _end(self, sig: int) -> None:
        if self.proc is not None:
            if self.proc.poll() is None:
                os.killpg(self.proc.pid, sig)
            self.proc.wait(timeout=10)
        self._stop.set()
        for t in self._threads:
            t.join(timeout=5)
        self._threads = []
        for fd in (self._control_w, self._cpu_master):
            if fd is not None:
                os.close(fd)
        self._control_w = self._cpu_master = None

    # ---- keys and clock -----------------------------------------------------------------------------------------
    def press(self, keys: str, timeout: float = 10) -> None:
        """Press each key in turn and wait until the firmware has handled it and flushed the display."""
        bad = [k for k in keys if k not in KEYS]
        if bad:
            raise ValueError("not keypad keys: %r (the keypad has %s)" % ("".join(bad), KEYS))
        for key in keys:
            self._control(key.encode(), timeout, "key %r" % key)

    def advance(self, ms: int, timeout: float = 10) -> None:
        """Move the virtual clock (ticks_ms and the wall clock) forward and wait until the firmware has seen it."""
        if ms < 0:
            raise ValueError("the clock only moves forward")
        while ms:
            step = min(ms, _MAX_ADVANCE_MS)
            self._control(b"T" + struct.pack(">I", step), timeout, "advance %d ms" % step)
            ms -= step

    def _control(self, data: bytes, timeout: float, what: str) -> None:
        if self._control_w is None:
            raise RuntimeError("the virtual Pico is not running")
        with self._cond:
            mark = self.idles
        try:
            os.write(self._control_w, data)
        except BrokenPipeError:
            self._raise_died(what)
        self._wait_idle(mark, timeout, what)

    def _wait_idle(self, mark: int, timeout: float, what: str) -> None:
        with self._cond:
            done = self._cond.wait_for(lambda: self.idles > mark or self._exit_message is not None, timeout)
            if self.idles > mark:
                return
        if not done:
            raise TimeoutError("%s: the firmware did not report idle within %g s%s" % (what, timeout, self._tail()))
        self._raise_died(what)

    def check(self) -> None:
        """Raise FirmwareDied if the firmware process has ended (when booting from flash: and is not rebooting)."""
        if self._gave_up is not None:
            raise FirmwareDied("running: " + self._gave_up)
        if self.proc is not None and self.proc.poll() is not None:
            if self.boot == "flash" and self._powered:
                return  # a reset: the reboot watcher starts it again
            self._raise_died("running")

    def _raise_died(self, what: str) -> None:
        if self.proc is not None:
            self.proc.wait(timeout=10)
        for t in self._threads:
            t.join(timeout=2)  # the serial bridge still holds the traceback's last bytes
        raise FirmwareDied("%s: %s" % (what, self.exit_message()))

    def exit_message(self) -> str:
        code = self.proc.poll() if self.proc is not None else None
        status = "still running" if code is None else "exited with status %d" % code
        return "the firmware %s%s" % (status, self._tail())

    def _tail(self, lines: int = 6) -> str:
        """The end of the process's stderr and of its serial output (where MicroPython prints a traceback)."""
        err = self.stderr_path.read_text(errors="replace") if self.stderr_path.exists() else ""
        out = bytes(self.serial_tail).decode("utf-8", "replace")
        kept = [line.strip() for line in (err + "\n" + out).splitlines() if line.strip()][-lines:]
        return (": " + " | ".join(kept)) if kept else ""

    # ---- screen and counters --------------------------------------------------------------------------------------
    def i2c_mark(self) -> int:
        return self.screen.bytes_received

    def i2c_bytes_since(self, mark: int) -> int:
        return self.screen.bytes_received - mark

    def wait_log(self, needle: str, timeout: float = 10) -> str:
        """The first log line containing needle (including lines already received)."""

        def first() -> str | None:
            return next((line for line in self.logs if needle in line), None)

        with self._cond:
            self._cond.wait_for(lambda: first() is not None or self._exit_message is not None, timeout)
            found = first()
        if found is not None:
            return found
        if self._exit_message is not None:
            self._raise_died("waiting for log %r" % needle)
        raise TimeoutError("no log line with %r within %g s%s" % (needle, timeout, self._tail()))

    # ---- threads --------------------------------------------------------------------------------------------------
    def _read_events(self, fd: int) -> None:
        buf = b""
        try:
            while True:
                chunk = os.read(fd, 65536)
                if not chunk:
                    break
                buf += chunk
                while len(buf) >= 3:
                    kind, length = buf[0], int.from_bytes(buf[1:3], "big")
                    if len(buf) < 3 + length:
                        break
                    payload, buf = buf[3 : 3 + length], buf[3 + length :]
                    self._event(kind, payload)
        finally:
            os.close(fd)
            with self._cond:
                self._exit_message = "exited"
                self._cond.notify_all()

    def _event(self, kind: int, payload: bytes) -> None:
        with self._cond:
            if kind == ord("W"):
                if payload:
                    self.screen.write(payload[0], payload[1:])
            elif kind == ord("I"):
                self.idles += 1
            elif kind == ord("L"):
                line = payload.decode("utf-8", "replace")
                self.logs.append(line)
                if self.boot == "flash" and line.startswith("boot: ") and line.endswith(_REPL_SUFFIX):
                    self.in_repl = True
                    if line.startswith("boot: main.py stopped with "):
                        self._crash = line[len("boot: main.py stopped with ") : -len(_REPL_SUFFIX)]
                with open(self.run_dir / "sim.log", "a", encoding="utf-8") as f:
                    f.write(line + "\n")
            else:
                self.logs.append("(unknown event %r, %d bytes)" % (chr(kind), len(payload)))
            self._cond.notify_all()

    def _open_port(self) -> None:
        # The USB serial port a client opens; it outlives restarts like the /dev/ttyACM path of a re-plugged Pico.
        if self._port_master is None:
            master, slave = pty.openpty()
            _raw(slave, interrupt=False)
            os.set_blocking(master, False)
            self._port_master, self._port_slave = master, slave
            self.port = os.ttyname(slave)
            link = self.run_dir / "ttyV"
            if link.is_symlink() or link.exists():
                link.unlink()
            link.symlink_to(self.port)
        # Whatever a client sent while the power was off never reached a device.
        termios.tcflush(self._port_master, termios.TCIFLUSH)

    def _bridge(self, cpu: int) -> None:
        port = self._port_master
        assert port is not None
        os.set_blocking(cpu, False)
        to_cpu = bytearray()
        to_port = bytearray()
        while not self._stop.is_set():
            readers = [cpu] if len(to_port) < _BRIDGE_BACKLOG else []
            if len(to_cpu) < _BRIDGE_BACKLOG:
                readers.append(port)
            writers = ([cpu] if to_cpu else []) + ([port] if to_port else [])
            try:
                readable, writable, _ = select.select(readers, writers, [], 0.1)
            except (OSError, ValueError):
                return  # a descriptor was closed under us: the process is being torn down
            try:
                if cpu in readable:
                    out = os.read(cpu, 4096)
                    to_port += out
                    self.serial_tail += out
                    del self.serial_tail[:-4096]
                if port in readable:
                    to_cpu += os.read(port, 4096)
                if cpu in writable and to_cpu:
                    del to_cpu[: os.write(cpu, to_cpu)]
                if port in writable and to_port:
                    del to_port[: os.write(port, to_port)]
            except BlockingIOError:
                continue
            except OSError as e:
                if e.errno == errno.EIO:
                    return  # the firmware's side of the pty closed: the process ended
                raise
        return
