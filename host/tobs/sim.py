"""`tobs sim`: the firmware on the virtual Pico, its OLED drawn in the terminal, keys from the keyboard or a
script, a numbered PNG per distinct screen; with --from-flash it boots what `tobs deploy` put in its flash."""

from __future__ import annotations

import os
import re
import select
import shutil
import sys
import termios
import time
import tty
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from tobs.ssd1306_emulator import SSD1306Emulator
from tobs.virtual_pico import KEYS, FirmwareDied, VirtualPico

SCRIPT_HELP = (
    "Keys 0-9 * # A-D (a-d too); whitespace is ignored; [+90s] [+10m] [+2h] [+500ms] [+1d] move the virtual "
    "clock forward; [wait 2s] pauses in real time."
)
_UNITS_MS = {"ms": 1, "s": 1000, "m": 60_000, "min": 60_000, "h": 3_600_000, "d": 86_400_000}
_STEP = re.compile(r"\[\s*(?:\+\s*(\d+)\s*(ms|s|min|m|h|d)|wait\s+(\d+(?:\.\d+)?)\s*(ms|s))\s*\]")
# Interactive keys besides the keypad's: quit, and moving the clock without a script.
_INTERACTIVE_ADVANCE = {"+": 60_000, ">": 600_000}


class ScriptError(ValueError):
    """A --keys script that does not parse; the message points at the offending place."""


@dataclass(frozen=True)
class Step:
    kind: str  # "key", "advance" (value ms) or "wait" (value s)
    value: str | int | float


def parse_script(text: str) -> list[Step]:
    steps: list[Step] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch.isspace():
            i += 1
        elif ch == "[":
            m = _STEP.match(text, i)
            if not m:
                end = text.find("]", i)
                bad = text[i : end + 1] if end >= 0 else text[i:]
                raise ScriptError("at position %d: %r is not a step. %s" % (i + 1, bad, SCRIPT_HELP))
            if m.group(1) is not None:
                steps.append(Step("advance", int(m.group(1)) * _UNITS_MS[m.group(2)]))
            else:
                seconds = float(m.group(3)) / (1000 if m.group(4) == "ms" else 1)
                steps.append(Step("wait", seconds))
            i = m.end()
        elif ch.upper() in KEYS:
            steps.append(Step("key", ch.upper()))
            i += 1
        else:
            raise ScriptError("at position %d: %r is not a keypad key. %s" % (i + 1, ch, SCRIPT_HELP))
    return steps


class Screenshots:
    """Saves the screen as DIR/0001.png, 0002.png, ... whenever it differs from the last one saved."""

    def __init__(self, folder: Path | None):
        self.folder = folder
        self.count = 0
        self._last: bytes | None = None
        if folder is not None:
            folder.mkdir(parents=True, exist_ok=True)

    def take(self, screen: SSD1306Emulator) -> Path | None:
        if self.folder is None:
            return None
        frame = screen.frame()
        if frame == self._last:
            return None
        self._last = frame
        self.count += 1
        return screen.png(self.folder / ("%04d.png" % self.count))


def _art(screen: SSD1306Emulator) -> str:
    compact = shutil.get_terminal_size((140, 40)).columns < 130
    return screen.art(compact=compact)


def run_script(pico: VirtualPico, steps: list[Step], shots: Screenshots, out) -> None:
    shots.take(pico.screen)
    for step in steps:
        if step.kind == "key":
            pico.press(str(step.value))
        elif step.kind == "advance":
            pico.advance(int(step.value))
        else:
            time.sleep(float(step.value))
        shots.take(pico.screen)
    out.write(_art(pico.screen) + "\n")
    out.write("\n".join(line.rstrip() for line in pico.screen.text_lines()).rstrip() + "\n")
    if shots.folder is not None:
        out.write("%d screenshots in %s\n" % (shots.count, shots.folder))


def run_interactive(pico: VirtualPico, shots: Screenshots, out) -> None:
    if not sys.stdin.isatty():
        raise ScriptError("standard input is not a terminal: give the keys with --keys or --keys-file")
    fd = sys.stdin.fileno()
    saved = termios.tcgetattr(fd)
    tty.setcbreak(fd)
    shown = -1
    changed_at = 0.0
    seen_version = pico.screen.version
    status = ""
    try:
        out.write("\x1b[2J")
        while True:
            version = pico.screen.version
            if version != seen_version:
                seen_version, changed_at = version, time.monotonic()
            # Redraw once the screen has been still for a moment, not in the middle of a flush.
            if version != shown and time.monotonic() - changed_at > 0.03:
                shown = version
                shots.take(pico.screen)
                out.write("\x1b[H" + _art(pico.screen) + "\n")
                out.write("\x1b[Kkeys 0-9 * # A-D (a-d) | + = 1 min, > = 10 min later | q quits   %s\n" % status)
                out.write("\x1b[Kserial port %s\n" % pico.port)
                out.flush()
            pico.check()
            ready, _, _ = select.select([fd], [], [], 0.05)
            if not ready:
                continue
            ch = os.read(fd, 1).decode("latin-1")
            if ch in ("q", "Q", "\x04"):
                return
            if ch.upper() in KEYS and (pico.in_repl or not pico.running):
                status = "no app to press keys in: the REPL has the serial port"
            elif ch.upper() in KEYS:
                pico.press(ch.upper())
                status = "pressed %s" % ch.upper()
            elif ch in _INTERACTIVE_ADVANCE:
                pico.advance(_INTERACTIVE_ADVANCE[ch])
                status = "clock +%d min" % (_INTERACTIVE_ADVANCE[ch] // 60_000)
            shown = -1  # redraw the status line even when the screen did not change
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)


def _repl_hint(pico: VirtualPico) -> str:
    if "boot: no main.py on the flash" in "\n".join(pico.logs):
        return "The flash holds no firmware: the REPL has the serial port. Install it with: tobs deploy --port %s" % (
            pico.port
        )
    return "The app has left: the REPL has the serial port (%s)." % pico.port


def sim(
    keys: Annotated[
        str | None,
        typer.Option(
            help="Scripted keys; exits when the script ends. Keys 0-9 * # A-D, whitespace ignored, "
            "\\[+10m] (ms s m h d) moves the clock, \\[wait 2s] pauses.",
        ),
    ] = None,
    keys_file: Annotated[Path | None, typer.Option("--keys-file", help="Read the key script from a file.")] = None,
    screenshots: Annotated[
        Path | None, typer.Option(help="Folder for a numbered PNG of every distinct screen.")
    ] = None,
    heap: Annotated[str, typer.Option(help="MicroPython heap limit (the Pico has about 210k).")] = "128k",
    run_dir: Annotated[
        Path, typer.Option("--run-dir", help="Keeps the virtual Pico's flash image and id between runs.")
    ] = Path("run/sim"),
    clock: Annotated[str, typer.Option(help="unset (a bare Pico: 2021-01-01, not valid) or host (RTC).")] = "unset",
    entry: Annotated[str, typer.Option(help="Script to run instead of the firmware's main.py.")] = "main.py",
    from_flash: Annotated[
        bool,
        typer.Option(
            "--from-flash",
            help="Boot like a Pico from what `tobs deploy --port <serial port>` installed in the flash; an empty "
            "flash gives the REPL, and a reset reboots on the same serial port.",
        ),
    ] = False,
) -> None:
    """Run the handheld's firmware on the virtual Pico: the OLED in the terminal, keys from the keyboard."""
    err = Console(stderr=True)

    def fail(message: str) -> None:
        err.print("[bold red]Error:[/] " + escape(message), highlight=False, soft_wrap=True)
        raise typer.Exit(2)

    if keys is not None and keys_file is not None:
        fail("give --keys or --keys-file, not both.")
    if clock not in ("unset", "host"):
        fail("--clock must be unset or host.")
    if from_flash and entry != "main.py":
        fail("--from-flash boots the flash's main.py: leave out --entry.")
    try:
        script_text = keys_file.read_text(encoding="utf-8") if keys_file is not None else keys
        steps = parse_script(script_text) if script_text is not None else None
    except (OSError, ScriptError) as e:
        fail(str(e))
        return
    # An entry given relative to where the command runs, else relative to the firmware folder (main.py).
    script = Path(entry).resolve() if Path(entry).is_file() else entry
    pico = VirtualPico(run_dir, heap=heap, clock=clock, entry=script, boot="flash" if from_flash else "repo")
    shots = Screenshots(screenshots)
    try:
        pico.start(wait=False)
        err.print("Serial port: %s (also %s)" % (pico.port, pico.run_dir / "ttyV"), highlight=False)
        pico.wait_ready()
        if pico.in_repl:
            err.print(_repl_hint(pico), highlight=False, soft_wrap=True)
        if steps is None:
            run_interactive(pico, shots, sys.stdout)
        else:
            run_script(pico, steps, shots, sys.stdout)
    except (FirmwareDied, TimeoutError, ScriptError) as e:
        # One line however long: the process's last words are joined with " | " and must not be wrapped.
        err.print("[bold red]Error:[/] " + escape(str(e)), highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        pass  # Ctrl-C in the terminal ends an interactive session like q does
    finally:
        pico.stop()


def register_commands(app: typer.Typer) -> None:
    """Mount `tobs sim` on the tobs command."""
    app.command()(sim)
