"""Key scripts for a handheld target: "1001#1234# [+10m] ..." parsed into steps (keys, a clock moved forward, a
pause), played on a target, with a PNG of every distinct screen."""

from __future__ import annotations

import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from tobs.device.ssd1306_emulator import SSD1306Emulator
from tobs.device.virtual_pico import KEYS, VirtualPico

SCRIPT_HELP = (
    "Keys 0-9 * # A-D (a-d too); whitespace is ignored; [+90s] [+10m] [+2h] [+500ms] [+1d] move the virtual "
    "clock forward; [wait 2s] pauses in real time."
)
_UNITS_MS = {"ms": 1, "s": 1000, "m": 60_000, "min": 60_000, "h": 3_600_000, "d": 86_400_000}
_STEP = re.compile(r"\[\s*(?:\+\s*(\d+)\s*(ms|s|min|m|h|d)|wait\s+(\d+(?:\.\d+)?)\s*(ms|s))\s*\]")
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


def terminal_art(screen: SSD1306Emulator) -> str:
    """The screen as block art, compact when the terminal is too narrow for the full size."""
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
    out.write(terminal_art(pico.screen) + "\n")
    out.write("\n".join(line.rstrip() for line in pico.screen.text_lines()).rstrip() + "\n")
    if shots.folder is not None:
        out.write("%d screenshots in %s\n" % (shots.count, shots.folder))
