"""The emulated RP2040 handheld: the official MicroPython rp2 firmware on an instruction-level RP2040 (npm
`rp2040js`, run by the Node harness in rp2040/), with a flash chip whose writes persist in run_dir/flash.img, the
SSD1306 decoded by the OLED emulator, a DS3231, the keypad matrix on the pin map's pins, and its USB serial port
bridged to a pty that mpremote and `tobs deploy/enroll/sync` open as they open a Pico's.

Beside the virtual Pico (the unix port, fast) it is the slow, faithful target: the firmware's `board_pico.py`
runs unchanged on a 32-bit heap, the real `_boot.py`, rp2.Flash and LittleFS, at a fraction of a real Pico's
speed (the emulated clock never runs ahead of the wall clock). Times it reports are emulated nanoseconds."""

from __future__ import annotations

import ast
import hashlib
import json
import os
import pty
import secrets
import select
import shutil
import struct
import subprocess
import sys
import threading
import time
import tty
from dataclasses import dataclass
from pathlib import Path

from tobs import firmware as fw
from tobs.device.ssd1306_emulator import SSD1306Emulator

KEYS = "0123456789*#ABCD"
HARNESS = Path(__file__).resolve().parent / "rp2040"
RP2040JS_VERSION = "1.4.1"
# The Pico's 2 MB flash: MicroPython's rp2 port keeps its LittleFS in the last 1,408 KB.
FLASH_BYTES = 2 * 1024 * 1024
FS_SIZE = 1_441_792
FS_OFFSET = FLASH_BYTES - FS_SIZE
FS_BLOCK = 4096
# The official MicroPython v1.28.0 RPI_PICO build and the RP2040's boot ROM (revision B1): nothing else is run.
FIRMWARE_FILES = {
    "micropython-v1.28.0-RPI_PICO.bin": "7b1cd3253423fb6947e4dbe10e778290139f01b6640d515deb060bd671c437a3",
    "rp2040-bootrom-B1.bin": "90b31e108faedfa6bbcfcc33ba05dac61e645108cfbbdc385f8dafc71fde44ae",
}
_BRIDGE_BACKLOG = 64 * 1024


class RP2040Unavailable(RuntimeError):
    """Node, the emulator package or the firmware files are missing; str() says what to do, in one sentence."""


class FlashUnreadable(Exception):
    """A flash image whose LittleFS does not mount; str() names the file."""


class FirmwareDied(RuntimeError):
    """The emulator process ended or the chip did not come up."""


@dataclass
class KeyTiming:
    """One key through the keypad, in emulated nanoseconds since the chip's power-on."""

    key: str
    down: float  # the column first read low with the key held
    reported: float  # the scan after which the firmware's debouncer had reported it (the key is then let go)
    idle: float  # the main loop's next scan after a sleep: the key is handled and the display flushed
    display_bytes: int  # I2C bytes to the display meanwhile
    bus_bytes: int  # every I2C byte meanwhile, address bytes included (the bus time's basis)
    last_display: float | None

    @property
    def on_screen_ns(self) -> float:
        """From the key's contact closing to the last display byte leaving the Pico (or to idle if none)."""
        return (self.last_display if self.last_display is not None else self.idle) - self.down


def firmware_dir() -> Path:
    """The folder holding the firmware image and the boot ROM (TOBS_RP2040_FIRMWARE, else shared/rp2040 beside the
    checkout)."""
    given = os.environ.get("TOBS_RP2040_FIRMWARE")
    candidates = [Path(given)] if given else []
    repo = Path(__file__).resolve().parents[3]
    candidates += [repo.parent / "shared" / "rp2040", Path.cwd().parent / "shared" / "rp2040"]
    main = _main_checkout(repo)
    if main is not None:
        candidates.append(main.parent / "shared" / "rp2040")
    for folder in candidates:
        if all((folder / name).is_file() for name in FIRMWARE_FILES):
            return folder
    raise RP2040Unavailable(
        "The MicroPython RPI_PICO image and the RP2040 boot ROM were not found: set TOBS_RP2040_FIRMWARE to the "
        "folder holding %s." % " and ".join(FIRMWARE_FILES)
    )


def _main_checkout(repo: Path) -> Path | None:
    """For a git worktree, the checkout it was made from (its .git file names <main>/.git/worktrees/<name>)."""
    marker = repo / ".git"
    if not marker.is_file():
        return None
    text = marker.read_text(encoding="utf-8", errors="replace").strip()
    if not text.startswith("gitdir:"):
        return None
    gitdir = Path(text[len("gitdir:") :].strip())
    return gitdir.parents[2] if len(gitdir.parents) > 2 and gitdir.parent.name == "worktrees" else None


def check_firmware(folder: Path) -> None:
    for name, digest in FIRMWARE_FILES.items():
        if hashlib.sha256((folder / name).read_bytes()).hexdigest() != digest:
            raise RP2040Unavailable(f"{folder / name} is not the expected build (its SHA-256 differs): replace it.")


def node_modules_dir() -> Path:
    """Where `npm ci` puts rp2040js for the harness: TOBS_RP2040_NODE_MODULES, else beside this Python's
    environment (share/tobs-rp2040), so each virtual environment has its own pinned copy."""
    given = os.environ.get("TOBS_RP2040_NODE_MODULES")
    return Path(given) if given else Path(sys.prefix) / "share" / "tobs-rp2040" / "node_modules"


def _installed_version(modules: Path) -> str | None:
    try:
        return json.loads((modules / "rp2040js" / "package.json").read_text())["version"]
    except (OSError, ValueError, KeyError):
        return None


def ensure_emulator(quiet: bool = True) -> Path:
    """Node present and rp2040js installed at its pinned version from the lockfile (npm ci, once); returns the
    node_modules folder."""
    if shutil.which("node") is None:
        raise RP2040Unavailable("Node.js is not installed: run scripts/ensure-node (make test does it).")
    modules = node_modules_dir()
    if _installed_version(modules) == RP2040JS_VERSION:
        return modules
    npm = shutil.which("npm")
    if npm is None:
        raise RP2040Unavailable("npm is not installed: run scripts/ensure-node (make test does it).")
    home = modules.parent
    home.mkdir(parents=True, exist_ok=True)
    for name in ("package.json", "package-lock.json"):
        shutil.copyfile(HARNESS / name, home / name)
    run = subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=home, capture_output=True, text=True
    )
    if run.returncode or _installed_version(modules) != RP2040JS_VERSION:
        last = (run.stderr or run.stdout).strip().splitlines()[-1:] or ["no message"]
        raise RP2040Unavailable(f"npm ci could not install rp2040js {RP2040JS_VERSION} ({last[0]}).")
    if not quiet:
        print(f"installed rp2040js {RP2040JS_VERSION} into {modules}")
    return modules


def pico_pins(firmware: Path | None = None) -> dict[str, int]:
    """board_pico.PINS, read from the file the firmware runs (hw/pinmap.md documents the same map; a test compares)."""
    source = ((firmware or fw.tree()) / "board_pico.py").read_text(encoding="utf-8")
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "PINS" for t in node.targets):
            return ast.literal_eval(node.value)
    raise RP2040Unavailable("board_pico.py has no PINS table: the emulated keypad and bus need it.")


class RP2040Pico:
    def __init__(
        self,
        run_dir: str | Path,
        uid: str | None = None,
        clock: str = "unset",
        paced: bool = True,
        flash_image: str | Path | None = None,
    ):
        """run_dir keeps flash.img (the filesystem region), uid and ds3231.json between runs; uid is the flash chip's
        unique ID (16 hex digits), i.e. machine.unique_id(). clock: "unset" (the DS3231's oscillator-stopped flag set)
        or "host" (set to the PC's time). paced=False lets emulated time run as fast as the emulator can."""
        if clock not in ("unset", "host"):
            raise ValueError("clock must be 'unset' or 'host'")
        self.run_dir = Path(run_dir).resolve()
        self.run_dir.mkdir(parents=True, exist_ok=True)
        os.chmod(self.run_dir, 0o700)  # the flash holds health data
        uid_file = self.run_dir / "uid"
        if uid is None:
            uid = uid_file.read_text().strip() if uid_file.exists() else secrets.token_hex(8)
        if len(uid) != 16 or any(c not in "0123456789abcdefABCDEF" for c in uid):
            raise ValueError("uid must be 16 hex digits")
        self.uid = uid.lower()
        uid_file.write_text(self.uid + "\n")
        self.flash = Path(flash_image).resolve() if flash_image is not None else self.run_dir / "flash.img"
        self.clock = clock
        self.paced = paced
        self.screen = SSD1306Emulator()
        self.logs: list[str] = []
        self.boots = 0
        self.usb_up = 0  # enumerations seen
        self._usb_boot = 0  # the boot of the last enumeration
        self.powered = False
        self.keys: list[KeyTiming] = []
        self.display_writes: list[tuple[float, int]] = []  # (emulated ns, bytes) of this power-on, for timings
        self.buzzer: list[tuple[float, int]] = []
        self.power_offs: list[dict] = []
        self.port: str = str(self.run_dir / "ttyV")  # there while USB is enumerated
        self.serial_tail = bytearray()
        self.serial_since_boot = bytearray()  # everything the firmware printed on USB since the last boot
        self.proc: subprocess.Popen | None = None
        self._cond = threading.Condition()
        self._send_lock = threading.Lock()
        self._out = bytearray()
        self._stats: dict | None = None
        self._errors: list[str] = []
        self._ended = False
        self._port_master: int | None = None
        self._port_slave: int | None = None
        self._threads: list[threading.Thread] = []
        self._stop = threading.Event()
        self.stderr_path = self.run_dir / "emulator.log"

    # ---- life cycle ---------------------------------------------------------------------------------------------
    def _spawn(self) -> None:
        modules = ensure_emulator()
        folder = firmware_dir()
        check_firmware(folder)
        config = {
            "node_modules": str(modules),
            "firmware": str(folder / "micropython-v1.28.0-RPI_PICO.bin"),
            "bootrom": str(folder / "rp2040-bootrom-B1.bin"),
            "flash_image": str(self.flash),
            "fs_offset": FS_OFFSET,
            "fs_size": FS_SIZE,
            "uid": self.uid,
            "ds3231_state": str(self.run_dir / "ds3231.json"),
            "clock": self.clock,
            "paced": self.paced,
            "pins": pico_pins(),
        }
        self._stop.clear()
        self._ended = False
        with open(self.stderr_path, "ab") as err:
            self.proc = subprocess.Popen(
                ["node", str(HARNESS / "harness.mjs"), json.dumps(config)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=err,
                start_new_session=True,
            )
        self._threads = [
            threading.Thread(target=self._read_events, daemon=True, name="rp2040-events"),
            threading.Thread(target=self._bridge, daemon=True, name="rp2040-serial"),
        ]
        for t in self._threads:
            t.start()

    def start(self, wait: bool = True, timeout: float = 60) -> RP2040Pico:
        """Power on; with wait, return once USB has enumerated (the firmware is then at its REPL or in main.py)."""
        if self.proc is None or self.proc.poll() is not None:
            self._spawn()
        with self._cond:
            if self.powered:
                raise RuntimeError("the emulated Pico is already powered")
            mark = self.usb_up
            self.screen = SSD1306Emulator()  # the panel loses its RAM with the power
            self.display_writes = []
        self._send("P")
        if wait:
            self._wait(lambda: self.usb_up > mark, timeout, "power-on: USB did not enumerate")
        return self

    def wait_usb(self, boots_after: int | None = None, timeout: float = 60) -> None:
        """Wait until USB has enumerated (after a boot later than boots_after, if given)."""
        after = self.boots if boots_after is None else boots_after
        self._wait(lambda: self.boots > after and self._usb_boot > after, timeout, "USB enumeration after a reset")

    def kill(self) -> dict | None:
        """Pull the power at this instant: an erase or program in progress is left half done. Returns what the
        harness reports (emulated time, the flash operation cut, if any)."""
        with self._cond:
            if not self.powered:
                return None
            mark = len(self.power_offs)
        self._send("X")
        self._wait(lambda: len(self.power_offs) > mark, 30, "power off")
        return self.power_offs[-1]

    def cut_at(self, nanos: float) -> None:
        """Pull the power when the chip's emulated time (since power-on) reaches nanos."""
        self._send("C", struct.pack(">d", float(nanos)))

    def wait_off(self, timeout: float = 600) -> dict:
        self._wait(lambda: not self.powered, timeout, "waiting for the power to go")
        return self.power_offs[-1]

    def restart(self, wait: bool = True, timeout: float = 60) -> RP2040Pico:
        self.kill()
        return self.start(wait=wait, timeout=timeout)

    def stop(self) -> None:
        """Power off, end the emulator and release the serial port."""
        if self.proc is not None and self.proc.poll() is None:
            if self.powered:
                try:
                    self.kill()
                except (TimeoutError, FirmwareDied):
                    pass  # it is being ended below either way
            try:
                self._send("Q")
                self.proc.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired, FirmwareDied):
                self.proc.kill()
                self.proc.wait(timeout=10)
        self._stop.set()
        for t in self._threads:
            t.join(timeout=5)
        self._threads = []
        self._close_port()

    def __enter__(self) -> RP2040Pico:
        if not self.powered:
            self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self.powered

    def check(self) -> None:
        if self._ended:
            raise FirmwareDied("the emulator ended" + self._tail())

    # ---- keys, clock and figures --------------------------------------------------------------------------------
    def press(self, keys: str, timeout: float = 60) -> list[KeyTiming]:
        """Press each key on the keypad matrix in turn: held until the firmware's debouncer has reported it, then
        let go; returns once the firmware's main loop has gone back to sleep after handling the last one."""
        bad = [k for k in keys if k not in KEYS]
        if bad:
            raise ValueError("not keypad keys: %r (the keypad has %s)" % ("".join(bad), KEYS))
        with self._cond:
            mark = len(self.keys)
        self._send("K", keys.encode())
        self._wait(lambda: len(self.keys) >= mark + len(keys), timeout * max(1, len(keys)) ** 0.5, "keys %r" % keys)
        return self.keys[mark:]

    def advance(self, ms: int, timeout: float = 600) -> None:
        """Let ms of time pass at once: the chip runs through it without pacing, the DS3231 moves with it."""
        if ms < 0:
            raise ValueError("the clock only moves forward")
        self._send("A", struct.pack(">d", float(ms) * 1e6))
        before = self.stats()["nanos_since_power_on"] or 0
        deadline = time.monotonic() + timeout
        while (self.stats()["nanos_since_power_on"] or 0) < before + ms * 1e6:
            if time.monotonic() > deadline:
                raise TimeoutError("advance %d ms: the emulator did not get there within %g s" % (ms, timeout))
            time.sleep(0.2)

    def record_flash(self, path: str | Path | None) -> None:
        """Log every erase and page program (JSON lines with their emulated start and end) to path; None stops."""
        self._send("O", str(path).encode() if path is not None else b"")

    def stats(self, timeout: float = 30) -> dict:
        """Emulated time and cycles, wall time, flash and I2C counters (harness statistics)."""
        with self._cond:
            self._stats = None
        self._send("Y")
        self._wait(lambda: self._stats is not None, timeout, "statistics")
        assert self._stats is not None
        return self._stats

    def i2c_mark(self) -> int:
        return self.screen.bytes_received

    def i2c_bytes_since(self, mark: int) -> int:
        return self.screen.bytes_received - mark

    in_repl = False  # the keys always go to the keypad; whether an app reads them only the screen tells

    def wait_display(self, timeout: float = 60) -> None:
        """Wait until the firmware has written to the display since power-on."""
        self._wait(lambda: bool(self.display_writes), timeout, "waiting for the display")

    def wait_line(self, prefix: str, timeout: float = 60) -> str:
        """The first whole line the firmware has printed on USB since it last booted that starts with prefix,
        waiting for it; USB carries it whether or not a program has the port open."""
        wanted = prefix.encode()

        def found() -> str | None:
            for line in bytes(self.serial_since_boot).split(b"\n")[:-1]:
                if line.startswith(wanted):
                    return line.rstrip(b"\r").decode("utf-8", "replace")
            return None

        self._wait(lambda: found() is not None, timeout, "a line starting %r on USB" % prefix)
        line = found()
        assert line is not None
        return line

    def wait_screen(self, needle: str, timeout: float = 60) -> str:
        """The screen's text once it shows needle."""
        deadline = time.monotonic() + timeout
        while True:
            text = "\n".join(self.screen.text_lines())
            if needle in text:
                return text
            if time.monotonic() > deadline:
                raise TimeoutError("the screen did not show %r within %g s; it shows: %s" % (needle, timeout, text))
            self.check()
            time.sleep(0.05)

    # ---- plumbing -----------------------------------------------------------------------------------------------
    def _send(self, kind: str, payload: bytes = b"") -> None:
        proc = self.proc
        if proc is None or proc.stdin is None or proc.poll() is not None:
            raise FirmwareDied("the emulator is not running" + self._tail())
        with self._send_lock:
            try:
                proc.stdin.write(kind.encode() + struct.pack(">I", len(payload)) + payload)
                proc.stdin.flush()
            except (BrokenPipeError, ValueError) as e:
                raise FirmwareDied("the emulator stopped taking commands" + self._tail()) from e

    def _wait(self, ready, timeout: float, what: str) -> None:
        with self._cond:
            done = self._cond.wait_for(lambda: ready() or self._ended or self._errors, timeout)
            if ready():
                return
            if self._errors:
                raise FirmwareDied("%s: the emulator refused it (%s)" % (what, self._errors.pop()))
        if self._ended:
            raise FirmwareDied("%s: the emulator ended%s" % (what, self._tail()))
        assert not done
        raise TimeoutError("%s: nothing within %g s%s" % (what, timeout, self._tail()))

    def _tail(self) -> str:
        err = self.stderr_path.read_text(errors="replace") if self.stderr_path.exists() else ""
        kept = [line.strip() for line in err.splitlines() if line.strip()][-4:]
        return (": " + " | ".join(kept)) if kept else ""

    def _read_events(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        stream = self.proc.stdout
        try:
            while True:
                head = stream.read(5)
                if len(head) < 5:
                    break
                length = struct.unpack(">I", head[1:5])[0]
                payload = stream.read(length)
                self._event(chr(head[0]), payload)
        finally:
            with self._cond:
                self._ended = True
                self.powered = False
                self._cond.notify_all()

    def _event(self, kind: str, payload: bytes) -> None:
        if kind == "S":
            self._to_port(payload)
            with self._cond:
                self.serial_since_boot += payload
                del self.serial_since_boot[: -(1 << 20)]  # a long session's sync traffic is not kept
                self._cond.notify_all()
            return
        with self._cond:
            if kind == "W":
                nanos = struct.unpack(">d", payload[1:9])[0]
                self.screen.write(payload[0], payload[9:])
                self.display_writes.append((nanos, len(payload) - 9))
            elif kind == "I":
                self.keys.append(KeyTiming(**json.loads(payload)))
            elif kind == "B":
                self._close_port()  # a reset: the Pico drops off USB (closed already after a power-off)
                self.boots += 1
                self.powered = True
                self.serial_since_boot = bytearray()
                info = json.loads(payload)
                if info["reason"] == "reset":
                    self.screen = SSD1306Emulator()
                    self.display_writes = []
                self.logs.append("boot %d (%s)" % (info["boot"], info["reason"]))
            elif kind == "U":
                self._open_port()
                self.usb_up += 1
                self._usb_boot = json.loads(payload)["boot"]
                self.logs.append("usb enumerated at %.1f ms" % (json.loads(payload)["t"] / 1e6))
            elif kind == "X":
                self._close_port()
                info = json.loads(payload)
                self.power_offs.append(info)
                if info["why"] != "reset":
                    self.powered = False
                self.logs.append("power off (%s) at %.1f ms" % (info["why"], info["t"] / 1e6))
            elif kind == "Y":
                self._stats = json.loads(payload)
            elif kind == "G":
                info = json.loads(payload)
                self.buzzer.append((info["t"], info["value"]))
            elif kind == "L":
                self.logs.append(payload.decode("utf-8", "replace"))
            elif kind == "E":
                self._errors.append(payload.decode("utf-8", "replace"))
            self._cond.notify_all()

    # ---- the USB serial port as a pty ---------------------------------------------------------------------------
    # Like a Pico's /dev/ttyACM path, run_dir/ttyV (self.port) appears when USB enumerates and goes when the chip
    # resets or loses power: a client holding the port then gets an error, and opens it again after the reset.
    def _open_port(self) -> None:
        with self._send_lock:
            if self._port_master is not None:
                return
            master, slave = pty.openpty()
            tty.setraw(slave)
            os.set_blocking(master, False)
            self._port_master, self._port_slave = master, slave
            self._out = bytearray()
            link = self.run_dir / "ttyV"
            fresh = self.run_dir / "ttyV.new"
            if fresh.is_symlink() or fresh.exists():
                fresh.unlink()
            fresh.symlink_to(os.ttyname(slave))
            os.replace(fresh, link)
            self.port = str(link)

    def _close_port(self) -> None:
        with self._send_lock:
            fds = (self._port_master, self._port_slave)
            self._port_master = self._port_slave = None
            self._out = bytearray()
            link = self.run_dir / "ttyV"
            if link.is_symlink():
                link.unlink()
        for fd in fds:
            if fd is not None:
                os.close(fd)

    def _to_port(self, data: bytes) -> None:
        self.serial_tail += data
        del self.serial_tail[:-4096]
        with self._send_lock:
            if self._port_master is not None:
                self._out += data

    def _bridge(self) -> None:
        while not self._stop.is_set():
            with self._send_lock:
                port = self._port_master
                pending = bool(self._out)
            if port is None:
                time.sleep(0.02)
                continue
            try:
                readable, writable, _ = select.select([port], [port] if pending else [], [], 0.02)
                if port in readable:
                    data = os.read(port, 4096)
                    if data and self.powered:
                        self._send("S", data)
                if port in writable:
                    with self._send_lock:
                        if port == self._port_master:
                            n = os.write(port, bytes(self._out[:4096]))
                            del self._out[:n]
            except (BlockingIOError, InterruptedError):
                continue
            except FirmwareDied:
                return
            except (OSError, ValueError):
                continue  # the port was closed under us by a reset: the next one is picked up above


def flash_files(image: Path) -> dict[str, bytes]:
    """Every file in a flash image's LittleFS (PyPI littlefs-python with the rp2 port's geometry)."""
    from littlefs import LittleFS, LittleFSError

    fs = LittleFS(block_size=FS_BLOCK, block_count=FS_SIZE // FS_BLOCK, prog_size=256, read_size=32,
                  lookahead_size=32, mount=False)
    fs.context.buffer = bytearray(image.read_bytes())
    try:
        fs.mount()
    except LittleFSError as e:
        raise FlashUnreadable(f"The flash image {image} holds no filesystem LittleFS can mount ({e})") from e
    found = {}
    for root, _dirs, names in fs.walk("/"):
        for name in names:
            path = root.rstrip("/") + "/" + name
            with fs.open(path, "rb") as f:
                found[path] = f.read()
    return found



def main(argv: list[str] | None = None) -> int:
    """`python -m tobs.device.rp2040_pico --install`: install the emulator's npm package (scripts/ensure-node)."""
    args = sys.argv[1:] if argv is None else argv
    if args != ["--install"]:
        print("usage: python -m tobs.device.rp2040_pico --install", file=sys.stderr)
        return 2
    try:
        ensure_emulator(quiet=False)
        check_firmware(firmware_dir())
    except RP2040Unavailable as e:
        print(e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
