"""The device-side scripts the PC sends to a MicroPython target are real files that run there: the deploy probe
describes a flash's files exactly as deploy reads them, and the font dump gives MicroPython's 95 glyphs."""

from __future__ import annotations

import hashlib
import subprocess

from tobs import firmware
from tobs.ops.deploy import _parse_probe, _probe_script


def test_the_deploy_probe_lists_and_hashes_what_a_deploy_could_replace(tmp_path):
    root = tmp_path / "flash"
    (root / "lib" / "handheld").mkdir(parents=True)
    files = {
        "main.py": b"print('app')\n",
        "board_pico.mpy": b"M\x06compiled",
        "site_default.json": b"{}",
        "lib/tobs_core.mpy": bytes(range(256)) * 5,  # more than one 512-byte read
        "lib/handheld/flow.mpy": b"flow",
    }
    for name, data in files.items():
        (root / name).write_bytes(data)
    (root / "records.bin").write_bytes(b"nurse's records: not the deploy's business")
    # The probe asks board_sim (the virtual Pico's board) where its flash is mounted.
    board = tmp_path / "board"
    board.mkdir()
    (board / "board_sim.py").write_text("boots_from_flash = True\n\n\ndef storage_root():\n    return %r\n" % str(root))
    script = "import board_sim\n" + _probe_script(["site_default.json"])
    ran = subprocess.run(
        [firmware.micropython(), "-c", script], capture_output=True, text=True, timeout=60,
        env={"MICROPYPATH": firmware.micropypath([board])},
    )
    assert ran.returncode == 0, ran.stderr
    target = _parse_probe(ran.stdout, "test")
    assert target.root == str(root) and target.boots_from_flash and target.free > 0
    assert target.dirs == {"lib", "lib/handheld"}
    assert target.files == {name: (hashlib.sha256(data).hexdigest(), len(data)) for name, data in files.items()}


def test_the_font_dump_renders_every_printable_ascii_glyph():
    lines = firmware.run_on_unix_port("font_dump").split("\n")
    glyphs = dict(line.split() for line in lines if line)
    assert sorted(int(code) for code in glyphs) == list(range(32, 127))
    assert glyphs["32"] == "00" * 8 and all(len(cell) == 16 for cell in glyphs.values())
