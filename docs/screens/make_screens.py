"""The screenshots in this folder, taken from the real firmware on the virtual Pico (the SSD1306 emulator's PNG):
the review's guidance page and its values page, the home screen, a measurement offered back, a refused value.

    .venv/bin/python docs/screens/make_screens.py
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from tobs.device.virtual_pico import VirtualPico

HERE = Path(__file__).resolve().parent
IDLE_MS = 10 * 60_000 + 1_000


def wait(pico: VirtualPico, minutes: int) -> None:
    """Time passes on the home screen, with a key (ignored there) every 5 minutes so nobody is logged out."""
    for _ in range(minutes // 5):
        pico.advance(5 * 60_000)
        pico.press("0")


def shoot(pico: VirtualPico, name: str, first_row: str) -> None:
    shown = pico.screen.text_lines()[0].strip()
    if not shown.startswith(first_row):
        raise SystemExit("%s: the screen shows %r, expected %r:\n%s" % (name, shown, first_row, pico.screen.text()))
    pico.screen.png(HERE / (name + ".png"))
    print(name + ".png")


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="tobs-screens-") as tmp:
        with VirtualPico(Path(tmp), heap="128k") as pico:
            pico.press("1001#1234#")
            pico.press("#202#40#8##354#69##4")  # 1 + 3 + 2 + 3 + 2: total 11
            shoot(pico, "review", "Pt 202")
            pico.press("8")
            shoot(pico, "review-values", "Pt 202")
            pico.press("C#")  # not saved: the screenshots of the review are all this one is for
            pico.press("#51#135##22375" "85#" "5##" "#2")  # total 9: again in an hour
            pico.press("52#95#16385120" "2" "#1")  # total 3: again in two hours
            pico.press("207#130##30##395#85#3" "#")  # total 10, on the action menu ...
            pico.advance(IDLE_MS)  # ... when the nurse is called away: saved without its action
            pico.press("1002#5678#")
            pico.press("#53#135##22375" "85#" "5##" "#2" "*")  # another nurse's patient, an hour from now
            wait(pico, 60)
            shoot(pico, "home", "Medarb. 1002")
            pico.press("#7#72#16")
            pico.advance(IDLE_MS)
            pico.press("1002#5678#")
            shoot(pico, "resume", "Ufærdig måling")
            pico.press("#C#")  # continued, then discarded
            pico.press("#8#400")
            shoot(pico, "refused", "Pt 8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
