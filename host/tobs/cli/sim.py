"""`tobs sim`: the firmware on the virtual Pico, its OLED drawn in the terminal, keys from the keyboard or a
script, a numbered PNG per distinct screen; with --from-flash it boots what `tobs deploy` put in its flash."""

from __future__ import annotations

import os
import select
import sys
import termios
import time
import tty
from pathlib import Path
from typing import Annotated

import typer

from tobs.cli.options import fail, folder, heap_size, say
from tobs.device import rp2040_pico
from tobs.device.keyscript import Screenshots, ScriptError, parse_script, run_script, terminal_art
from tobs.device.virtual_pico import KEYS, FirmwareDied, VirtualPico
from tobs.firmware import FirmwareError
from tobs.ops.deploy import DeployError, deploy

# Interactive keys besides the keypad's: quit, and moving the clock without a script.
_INTERACTIVE_ADVANCE = {"+": 60_000, ">": 600_000}


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
                out.write("\x1b[H" + terminal_art(pico.screen) + "\n")
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
        Path | None, typer.Option(callback=folder, help="Folder for a numbered PNG of every distinct screen.")
    ] = None,
    heap: Annotated[
        str, typer.Option(callback=heap_size, help="MicroPython heap limit (the Pico has about 210k).")
    ] = "128k",
    run_dir: Annotated[
        Path, typer.Option("--run-dir", callback=folder,
                           help="Keeps the virtual Pico's flash image and id between runs.")
    ] = Path("run/sim"),
    clock: Annotated[str, typer.Option(help="unset (a bare Pico: 2021-01-01, not valid) or host (RTC).")] = "unset",
    entry: Annotated[str, typer.Option(help="Script to run instead of the firmware's main.py.")] = "main.py",
    target: Annotated[
        str,
        typer.Option(
            help="virtual (MicroPython's unix port, fast) or rp2040 (the official Pico firmware on an emulated "
            "RP2040: board_pico.py, rp2.Flash and LittleFS, USB serial; several times slower than a Pico).",
        ),
    ] = "virtual",
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
    if target not in ("virtual", "rp2040"):
        fail("--target must be virtual or rp2040.")
    if keys is not None and keys_file is not None:
        fail("give --keys or --keys-file, not both.")
    if clock not in ("unset", "host"):
        fail("--clock must be unset or host.")
    if from_flash and entry != "main.py":
        fail("--from-flash boots the flash's main.py: leave out --entry.")
    try:
        script_text = keys_file.read_text(encoding="utf-8") if keys_file is not None else keys
        steps = parse_script(script_text) if script_text is not None else None
    except UnicodeDecodeError:
        fail(f"--keys-file: {keys_file} is not UTF-8 text.")
    except (OSError, ScriptError) as e:
        fail(str(e))
    if target == "rp2040":
        if from_flash or entry != "main.py" or heap != "128k":
            fail("--target rp2040 boots the Pico's own MicroPython from its flash: leave out --from-flash, --entry "
                 "and --heap.")
        _run_rp2040(run_dir if run_dir != Path("run/sim") else Path("run/rp2040"), clock, steps,
                    Screenshots(screenshots))
        return
    # An entry given relative to where the command runs, else relative to the firmware folder (main.py).
    script = Path(entry).resolve() if Path(entry).is_file() else entry
    pico = VirtualPico(run_dir, heap=heap, clock=clock, entry=script, boot="flash" if from_flash else "repo")
    if not from_flash and not pico.entry.is_file():
        fail(f"--entry: there is no script {entry} here or in the firmware folder.")
    shots = Screenshots(screenshots)
    try:
        pico.start(wait=False)
        say("Serial port: %s (also %s)" % (pico.port, pico.run_dir / "ttyV"))
        pico.wait_ready()
        if pico.in_repl:
            say(_repl_hint(pico))
        if steps is None:
            run_interactive(pico, shots, sys.stdout)
        else:
            run_script(pico, steps, shots, sys.stdout)
    except (FirmwareDied, TimeoutError, ScriptError, FirmwareError) as e:
        # One line however long: the process's last words are joined with " | " and must not be wrapped.
        fail(str(e), 1)
    except KeyboardInterrupt:
        pass  # Ctrl-C in the terminal ends an interactive session like q does
    finally:
        pico.stop()


def _run_rp2040(run_dir: Path, clock: str, steps, shots: Screenshots) -> None:
    """The emulated RP2040: a blank flash gets the firmware first (tobs deploy over its USB serial port)."""
    pico = rp2040_pico.RP2040Pico(run_dir, clock=clock)
    try:
        blank = "/main.py" not in _flash_listing(pico)
        pico.start()
        say("Serial port: %s (the emulated Pico's USB; it goes and comes back with every reset)" % pico.port)
        if blank:
            say("The flash holds no firmware: deploying it (a few minutes on the emulated Pico)...")
            result = deploy(pico.port, timeout=180)
            say("Deployed %s, device %s." % (result.firmware, result.device_id))
        pico.wait_display(timeout=120)
        if steps is None:
            run_interactive(pico, shots, sys.stdout)  # type: ignore[arg-type]
        else:
            run_script(pico, steps, shots, sys.stdout)  # type: ignore[arg-type]
    except (rp2040_pico.RP2040Unavailable, rp2040_pico.FirmwareDied, TimeoutError, ScriptError, DeployError) as e:
        fail(str(e), 1)
    except KeyboardInterrupt:
        pass
    finally:
        pico.stop()


def _flash_listing(pico: rp2040_pico.RP2040Pico) -> set[str]:
    if not pico.flash.exists():
        return set()
    try:
        return set(rp2040_pico.flash_files(pico.flash))
    except rp2040_pico.FlashUnreadable as e:
        say("%s: the Pico's _boot.py will format it." % e)
        return set()
