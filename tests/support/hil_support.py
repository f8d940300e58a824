"""The hardware-in-the-loop Target: the same methods for the virtual Pico (`--device sim`) and a real Pico on a
serial port, so every test in tests/hil runs unchanged on both."""

from __future__ import annotations

import os
import re
import subprocess
import time
from pathlib import Path

from tools_support import ROOT, tool

from tobs import firmware
from tobs.device.link import Link, LinkError
from tobs.device.rp2040_pico import RP2040Pico
from tobs.device.ssd1306_emulator import SSD1306Emulator
from tobs.device.virtual_pico import VirtualPico
from tobs.ops.deploy import DeployResult, deploy

# The virtual Pico's heap: the Pico has about 210 KB for 32-bit objects; the unix port's objects are 64-bit, and
# running the core tests through `mpremote mount` after the app needs this much there.
SIM_HEAP = "256k"
REPORT_DIR = ROOT / "run" / "hil-report"
# Runs at the target's REPL after the app has left: drop what the app left in the heap (its modules and the
# names main.py defined), then run the shared core tests from the PC's working copy, mounted by mpremote.
CORE_TESTS = (
    "import sys, gc\n"
    "for k in ('board', 'app', 'testhooks'):\n"
    "    globals().pop(k, None)\n"
    "for k in list(sys.modules):\n"
    "    if k.startswith(('handheld', 'adafruit', 'tobs', 'testhooks')):\n"
    "        del sys.modules[k]\n"
    "gc.collect()\n"
    "sys.path.append('tests'); import mpy_runner; mpy_runner.main(['tests/core'])\n"
)


def screen_lines_from_frame(frame: bytes) -> list[str]:
    """The 8 text rows of a 1,024-byte frame as the firmware's Display holds it (MONO_VLSB, page-major)."""
    emulator = SSD1306Emulator()
    emulator.gddram[:] = frame
    # The driver's orientation, so that frame() shows the RAM as drawn.
    emulator.display_on = emulator.seg_remap = emulator.com_reverse = True
    return emulator.text_lines()


def mpremote(port: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [tool("mpremote"), "connect", port, "resume", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


class Target:
    """What the suite does to a handheld, on the virtual Pico or a real one."""

    kind = "?"
    port: str
    # What deploy() installs; the suite points it at a snapshot of the working tree.
    firmware: Path = firmware.tree()

    # ---- link ------------------------------------------------------------------------------------------------
    # How long one HELLO waits for its answer before it is sent again: an answer that comes after a connection has
    # given up is left on the port and would be read as the next command's answer.
    answer_seconds = 2.0
    # How long a command may wait for its answer while the target works: a whole observation's injected keys, its
    # save on flash and the redraws come before the next command is read. A Pico does that well inside a second.
    work_seconds = 5.0

    def hello(self, timeout: float = 20) -> dict:
        """HELLO, retried while the target is (re)booting."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                with Link(self.port, timeout=self.answer_seconds) as link:
                    return link.request("HELLO", expect="H").json()
            except LinkError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def link_key(self, keys: str) -> None:
        with Link(self.port, timeout=self.work_seconds) as link:
            link.request("KEY", keys, expect="A")

    def timed_link_press(self, key: str) -> float:
        """Milliseconds from sending KEY to holding the SCREEN that shows it, on an already open connection."""
        with Link(self.port, timeout=self.work_seconds) as link:
            started = time.monotonic()
            link.request("KEY", key, expect="A")
            self.screen_after_keys(link)
            return (time.monotonic() - started) * 1000

    def link_screen(self) -> list[str]:
        """The screen through the test build's SCREEN command (asked again while injected keys are queued)."""
        with Link(self.port, timeout=self.work_seconds) as link:
            return self.screen_after_keys(link)

    def screen_after_keys(self, link: Link) -> list[str]:
        """SCREEN on an open connection once the keys injected before it have been handled (and saved)."""
        return self._screen(link, self.work_seconds)

    @staticmethod
    def _screen(link: Link, timeout: float) -> list[str]:
        deadline = time.monotonic() + timeout
        while True:
            try:
                return screen_lines_from_frame(link.request("SCREEN", expect="S").payload)
            except LinkError as e:
                if "busy" not in str(e) or time.monotonic() > deadline:
                    raise
            time.sleep(0.01)

    def leave_app(self, timeout: float = 5) -> None:
        with Link(self.port, timeout=timeout) as link:
            link.request("REPL", expect="A")
        time.sleep(0.3)

    # ---- what differs ------------------------------------------------------------------------------------------
    def deploy(self, test_build: bool = True) -> DeployResult:
        return deploy(self.port, firmware=self.firmware, test_build=test_build)

    def press(self, keys: str) -> None:
        raise NotImplementedError

    def screen(self) -> list[str]:
        raise NotImplementedError

    def reset(self) -> None:
        """Restart the target and wait until the app answers again."""
        raise NotImplementedError

    def power_cut(self) -> None:
        """Stop the target at once (used mid-sync); reset() brings it back."""
        raise NotImplementedError

    def run_core_tests(self) -> tuple[int, int, str]:
        """(passed, failed, output) of tests/core on the target's MicroPython; the app is back afterwards."""
        self.leave_app()
        run = mpremote(self.port, "mount", ".", "exec", CORE_TESTS, timeout=600)
        out = run.stdout + run.stderr
        self.reset()
        found = re.search(r"^micropython: (\d+) passed, (\d+) failed", out, re.M)
        assert found, out
        return int(found.group(1)), int(found.group(2)), out

    def stop(self) -> None:
        return None


class SimTarget(Target):
    """The virtual Pico booting from its flash: keys on its control channel, screen from the emulated SSD1306,
    reset = kill the process (a power cut) and boot it again."""

    kind = "sim"

    def __init__(self, run_dir: Path):
        self.pico = VirtualPico(run_dir, boot="flash", heap=SIM_HEAP)
        self.pico.start()
        assert self.pico.port is not None
        self.port = self.pico.port

    def press(self, keys: str) -> None:
        self.pico.press(keys)

    def screen(self) -> list[str]:
        return self.pico.screen.text_lines()

    def reset(self) -> None:
        self.pico.restart()
        self.hello()

    def power_cut(self) -> None:
        self.pico.kill()

    def stop(self) -> None:
        self.pico.stop()


class RP2040Target(Target):
    """The emulated RP2040 with the official MicroPython image, started on a blank flash (the first boot's
    `_boot.py` formats it): deploy, enrol and sync go through its USB serial pty as they go to a Pico, keys on the
    keypad matrix, screen from the SSD1306 decoded off its I2C pins, reset = pull the power and power on again.
    The firmware's board_pico.py runs unchanged."""

    kind = "rp2040"
    # Just after a boot the emulated chip can take seconds to answer (it runs at a fraction of a Pico's speed).
    answer_seconds = 20.0
    # An observation's keys, its save (a 45 ms sector erase and page programs) and the redraws take a Pico well
    # under a second; the emulator needs several times that in wall time, more on a loaded machine.
    work_seconds = 60.0

    def __init__(self, run_dir: Path):
        self.pico = RP2040Pico(run_dir)
        self.pico.start()
        self.port = self.pico.port

    def deploy(self, test_build: bool = True) -> DeployResult:
        # The first boot of the new image compiles nothing (the .mpy are built on the PC) but runs at the emulator's
        # pace: it may take longer than a Pico's 30 s to answer HELLO after the reset.
        return deploy(
            self.port, firmware=self.firmware, test_build=test_build, timeout=180, answer_timeout=self.answer_seconds
        )

    def press(self, keys: str) -> None:
        self.pico.press(keys)

    def screen(self) -> list[str]:
        return self.pico.screen.text_lines()

    def reset(self) -> None:
        if self.pico.powered:
            self.pico.kill()
        self.pico.start(timeout=120)
        self.hello(timeout=120)

    def power_cut(self) -> None:
        self.pico.kill()

    def stop(self) -> None:
        self.pico.stop()


class PicoTarget(Target):
    """A real Pico on a serial port: keys and screen through the test build's KEY and SCREEN link commands,
    reset through the REPL (machine.reset())."""

    kind = "pico"

    def __init__(self, port: str):
        self.port = port

    def press(self, keys: str) -> None:
        self.link_key(keys)
        self.link_screen()  # answers once every key has been handled

    def screen(self) -> list[str]:
        return self.link_screen()

    def reset(self) -> None:
        try:
            self.leave_app(timeout=2)
        except LinkError:
            pass  # already at the REPL (or mid-reboot): mpremote reset below still reaches it
        mpremote(self.port, "reset", timeout=30)
        self.hello(timeout=30)

    def power_cut(self) -> None:
        # A bench PC cannot pull the Pico's power; the sync in progress is cut off by the caller closing the
        # port, and reset() restarts the device before the next sync.
        return None


def connected(port: str) -> bool:
    return os.path.exists(port) or port.startswith(("COM", "socket:", "rfc2217:"))
