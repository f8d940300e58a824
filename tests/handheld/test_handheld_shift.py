"""`tobs sim --keys` runs a whole short shift on the real firmware unattended: logins, several patients (a high
score, an oral temperature and the rectal rule), time passing with reminders and idle logout; the screenshots it
writes are read back as text and show the Danish screens with æ, ø and å."""

import os
import subprocess
import sys
from pathlib import Path

from handheld_support import read_flash
from PIL import Image

from tobs.device.ssd1306_emulator import ADDRESS, COLS, HEIGHT, WIDTH, SSD1306Emulator

SHIFT = """
    1001# 1111# 1234#                   // wrong PIN first, then the right one
    #1# 72# 16 375 120 1 88 # #         // patient 1: all normal, total 0 (values looked at), no action
    2# 135## 22 A380 85# 5## 88 #       // patient 2, typed on the saved screen: two 3s confirmed, oral 38,0: 10
    5 2 *                               // action "observe" with a reason; home
    #3# 88# 18 A354 385 130 2 #         // patient 3: oral 35,4 must be measured rectally; total 2
    1 *                                 // action required: called the nurse
    D 8 #                               // status screen
    [+61m]                              // an hour later: logged out when idle
    1001# 1234#                         // patient 2 overdue, patient 3 due soon
    1 90# 20 375 120 1 # # *            // patient 2 again, picked on the home screen with one key: total 1
    * #                                 // log out (asked first)
"""
# (patient, total, action, reason, temperature site) of the records the shift leaves on the flash
EXPECTED_RECORDS = [(1, 0, 0, 0, "rectal"), (2, 10, 5, 2, "oral"), (3, 2, 1, 0, "rectal"), (2, 1, 0, 0, "rectal")]


def keys_only(script: str) -> str:
    """The shift for `tobs sim --keys`: each line without its // comment."""
    return "\n".join(line.split("//")[0].strip() for line in script.strip().splitlines())


def screenshot_text(png: Path) -> list[str]:
    """Read a screenshot back into the SSD1306 emulator (as a full frame written over I2C) and return its text rows:
    what the PNG shows, decoded with the firmware's own glyphs."""
    image = Image.open(png).convert("L")
    scale = image.width // WIDTH
    assert image.size == (WIDTH * scale, HEIGHT * scale)
    frame = bytearray(WIDTH * HEIGHT // 8)
    for y in range(HEIGHT):
        for x in range(WIDTH):
            if image.getpixel((x * scale + scale // 2, y * scale + scale // 2)) > 64:
                frame[(y // 8) * WIDTH + x] |= 1 << (y % 8)
    emu = SSD1306Emulator()
    # Display on, upright orientation, horizontal addressing over the whole panel, then the 1,024 data bytes.
    emu.write(ADDRESS, bytes([0x00, 0xAF, 0xA1, 0xC8, 0x20, 0x00, 0x21, 0, WIDTH - 1, 0x22, 0, 7]))
    emu.write(ADDRESS, b"\x40" + bytes(frame))
    lines = emu.text_lines()
    assert all(len(line) == COLS for line in lines)
    return [line.rstrip() for line in lines]


def test_a_whole_shift_runs_unattended_and_its_screenshots_show_readable_danish(tmp_path):
    shots = tmp_path / "shots"
    run_dir = tmp_path / "run"
    result = subprocess.run(
        [str(Path(sys.executable).parent / "tobs"), "sim", "--run-dir", str(run_dir), "--keys", keys_only(SHIFT),
         "--screenshots", str(shots)],
        capture_output=True,
        text=True,
        timeout=300,
        env=dict(os.environ, COLUMNS="200"),
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    pngs = sorted(shots.glob("*.png"))
    assert len(pngs) >= 60, len(pngs)  # one per distinct screen
    assert "%d screenshots in %s" % (len(pngs), shots) in result.stdout
    # The shift ends logged out, on the start screen, which the command prints as text too.
    assert "Beslutnings-\nstøtte – ikke\ndiagnose\nMedarbejdernr.:" in result.stdout

    screens = [screenshot_text(png) for png in pngs]
    seen = "\n".join("\n".join(s) for s in screens)
    assert {"æ", "ø", "å"} <= set(seen), "Danish letters missing from the screenshots"

    def shown(*texts: str) -> bool:
        return any(all(t in "\n".join(s) for t in texts) for s in screens)

    assert shown("Forkert PIN.", "Prøv igen.")
    assert shown("Bekræft: 3 point", "Er det rigtigt?")
    assert shown("Mål rektalt", "(kor. 35,9).", "Temp. rektal")
    assert shown("Temp.   38,0  1", " oral = 38,5")
    assert shown("Kontakt læge nu.")
    assert shown("Gemt", "TOBS 10", "Observeres", "Mål igen om 1 t.", "#=næste *=hjem")
    assert shown("Ingen handling.", "Mål igen efter") and shown("skøn.")
    assert shown("EKSEMPEL-OPSÆTN.")
    # After the hour: patient 2 overdue, patient 3 due within the hour, on one home screen.
    home = [s for s in screens if s[0] == "Medarb. 1001" and any(r.startswith("1 2 ") for r in s)]
    assert any(r.startswith("1 2 ") and r.endswith("m over") for s in home for r in s), home
    assert any(any(r.startswith("2 3 ") and " om " in r for r in s) for s in home), home

    flash = read_flash(run_dir / "flash.img", tmp_path / "dump")
    found = [(r["patient"], r["total"], r["action"], r["reason"], r["temp_site"]) for r in flash["records"]]
    assert found == EXPECTED_RECORDS and flash["problems"] == []
