"""Display on the real SSD1306 driver, seen through the emulator: partial flushes keep the panel equal to the
frame, text and glyphs read back; and the virtual Pico's board: key/idle sync, clock, flash, Ctrl-C."""

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from micropython_support import APPS, run_micropython_fixture, sim_build_fixture, sim_fixture  # noqa: F401  (fixtures)

from tobs.device.ssd1306_emulator import ADDRESS, SSD1306Emulator
from tobs.device.virtual_pico import FLASH_SIZE, FirmwareDied

FULL_FRAME_BYTES = 12 + 1 + 1024  # column/page window as six driver commands, control byte, 1,024 data bytes


def replay(output: str):
    """Feed flush_check.py's writes to an emulator; per flush yield (flush result, bytes seen on the bus,
    the panel's picture, the firmware's frame) and finally the emulator."""
    emu = SSD1306Emulator()
    mark = 0
    for line in output.splitlines():
        kind, _, rest = line.partition(" ")
        if kind == "W":
            emu.write(ADDRESS, bytes.fromhex(rest))
        elif kind == "M":
            mark = emu.bytes_received
        elif kind == "F":
            sent, frame = rest.split(" ")
            yield int(sent), emu.bytes_received - mark, emu.frame(), bytes.fromhex(frame)
            mark = emu.bytes_received
    yield emu


def test_driver_init_and_every_partial_flush_leave_the_panel_equal_to_the_frame(run_micropython):
    *flushes, emu = replay(run_micropython(APPS / "flush_check.py", "150"))
    assert len(flushes) == 151
    first_sent, first_seen, _, _ = flushes[0]
    assert first_sent == first_seen == FULL_FRAME_BYTES  # the first flush sends everything
    assert emu.unknown_commands == [] and emu.display_on and emu.contrast == 0xFF
    partial = 0
    for step, (sent, seen, shown, frame) in enumerate(flushes):
        assert shown == frame, "panel differs from the frame after flush %d" % step
        assert sent == seen, "flush %d reported %d bytes, the bus carried %d" % (step, sent, seen)
        partial += 0 < sent < FULL_FRAME_BYTES
    assert partial > 100  # most steps changed a little and sent only that


def test_one_digit_change_sends_a_few_bytes_and_matches_a_full_frame(sim):
    pico = sim()
    assert "flush %d" % FULL_FRAME_BYTES in pico.logs
    mark = pico.i2c_mark()
    pico.press("1")
    sent = pico.i2c_bytes_since(mark)
    assert sent < 32, sent
    assert pico.logs[-1] == "flush %d" % sent
    assert pico.screen.text_lines()[7].startswith("1 ")
    shown = pico.screen.frame()
    mark = pico.i2c_mark()
    pico.press("C")  # the driver's own show(): the whole frame again
    assert pico.i2c_bytes_since(mark) == FULL_FRAME_BYTES
    assert pico.screen.frame() == shown


def test_text_danish_glyphs_unknown_characters_and_inverse_rows(sim):
    pico = sim()
    lines = pico.screen.text_lines()
    assert lines[0] == "TOBS sim".ljust(16) and lines[2] == "Puls 92".ljust(16)
    assert pico.screen.inverted_rows() == [0]
    pico.press("AB")
    lines = pico.screen.text_lines()
    assert lines[3] == "Blodtryk æøå ÆØÅ"
    assert lines[4] == "38,5°C 1–3 ?".ljust(16)  # the euro sign has no glyph
    assert lines[5] == "Valgt".ljust(16)
    assert pico.screen.inverted_rows() == [0, 5]


def test_double_size_digits(sim):
    pico = sim()
    pico.press("9")
    assert pico.screen.big_text() == "7"
    assert pico.screen.text_lines()[2] == "Puls 92".ljust(12) + "??  "  # the 7's upper half: 2 cells


def test_each_key_is_handled_and_flushed_before_press_returns(sim):
    pico = sim()
    for keys in ("012345", "5", "4321", "3" * 12):
        pico.press("D")  # clear
        assert pico.screen.text() == ""
        pico.press(keys)
        assert pico.screen.text_lines()[7].rstrip() == keys[-16:]
    with pytest.raises(ValueError, match="not keypad keys"):
        pico.press("1x")


def clock(pico) -> dict:
    pico.press("8")
    line = pico.logs[-1] if pico.logs[-1].startswith("clock") else pico.wait_log("clock")
    return {k: int(v) for k, v in re.findall(r"(\w+)=(-?\d+)", line)}


def test_clock_starts_like_a_bare_pico_and_moves_with_advance(sim):
    pico = sim()
    before = clock(pico)
    assert before["valid"] == 0 and 1609459200 <= before["now"] < 1609459200 + 60
    pico.advance(600_000)
    after = clock(pico)
    assert 600 <= after["now"] - before["now"] < 660
    assert 600_000 <= after["ticks"] - before["ticks"] < 660_000
    pico.press("6")  # set_clock(1700000000)
    now = clock(pico)
    assert now["valid"] == 1 and 1700000000 <= now["now"] < 1700000000 + 60


def test_host_clock_is_valid_from_power_up(sim):
    pico = sim(clock="host")
    now = clock(pico)
    assert now["valid"] == 1 and abs(now["now"] - time.time()) < 30


def test_flash_and_identity_survive_a_power_cut(sim):
    pico = sim(uid="0123456789abcdef")
    assert pico.flash.stat().st_size == FLASH_SIZE
    assert "boots=1" in pico.logs and "flash: mount failed (84), formatting" in pico.logs
    pico.press("12#")
    pico.wait_log("saved 12")
    pico.kill()
    pico.restart()
    assert "boots=2" in pico.logs and not any("formatting" in line for line in pico.logs)
    assert pico.screen.text_lines()[7].startswith("12 ")
    pico.press("*")
    assert pico.wait_log("uid ") == "uid 0123456789abcdef"


def test_an_unmountable_flash_is_formatted_like_the_picos_boot(sim):
    pico = sim()
    pico.press("#")
    pico.kill()
    pico.flash.write_bytes(b"\x5a" * FLASH_SIZE)
    pico.start()
    assert "boots=1" in pico.logs and any("formatting" in line for line in pico.logs)


def test_the_emulated_bus_acknowledges_only_the_display(sim):
    pico = sim()
    assert "probe 0x3d: OSError 5" in pico.logs
    assert "scan [60]" in pico.logs


def test_ctrl_c_on_the_serial_port_interrupts_until_kbd_intr_is_disabled(sim):
    pico = sim()
    port = os.open(pico.port, os.O_RDWR | os.O_NOCTTY)
    try:
        pico.press("7")  # board.kbd_intr(False), then echo what arrives on the serial port
        os.write(port, b"\x03\x1a\x1c")
        pico.wait_log("serial 1c")
        assert pico.logs[-3:] == ["serial 03", "serial 1a", "serial 1c"]
        pico.restart()  # power-up: Ctrl-C interrupts again, as on the Pico
        os.write(port, b"\x03")
        with pytest.raises(FirmwareDied, match="KeyboardInterrupt"):
            for _ in range(50):
                pico.press("1")
                time.sleep(0.02)
    finally:
        os.close(port)


def test_a_firmware_crash_is_reported_with_its_traceback(sim, tmp_path):
    script = tmp_path / "crash.py"
    script.write_text('import board_sim\nraise RuntimeError("display cable loose")\n')
    with pytest.raises(FirmwareDied, match="RuntimeError: display cable loose"):
        sim(entry=script)


def test_driver_and_display_fit_the_heap_budget(sim):
    pico = sim(heap="128k")
    heap = int(pico.wait_log("heap display=").split("=")[1].split()[0])
    # Driver module, Display, frame buffer and shadow: measured near 18 KB on the 64-bit unix port.
    assert heap < 24 * 1024, heap


# ---- the tobs sim command ----------------------------------------------------------------------------------------
def test_key_scripts_parse_keys_clock_steps_and_waits():
    from tobs.device.keyscript import ScriptError, Step, parse_script

    assert parse_script(" 12a#\n[+10m] [ +90s ] [+500ms] [wait 0.2s] [+2h] [+1d] *") == [
        Step("key", "1"),
        Step("key", "2"),
        Step("key", "A"),
        Step("key", "#"),
        Step("advance", 600_000),
        Step("advance", 90_000),
        Step("advance", 500),
        Step("wait", 0.2),
        Step("advance", 7_200_000),
        Step("advance", 86_400_000),
        Step("key", "*"),
    ]
    for bad in ("1x", "[+10y]", "[wait]", "[+10m"):
        with pytest.raises(ScriptError, match="at position"):
            parse_script(bad)


def tobs_sim(tmp_path, *args):
    tobs = Path(sys.executable).parent / "tobs"
    return subprocess.run(
        [str(tobs), "sim", "--run-dir", str(tmp_path / "run"), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=dict(os.environ, COLUMNS="200"),
    )


def test_sim_command_runs_a_script_and_saves_each_distinct_screen(tmp_path):
    shots = tmp_path / "shots"
    result = tobs_sim(
        tmp_path, "--entry", str(APPS / "display_app.py"), "--keys", "12 [+1m] 12 C", "--screenshots", str(shots)
    )
    assert result.returncode == 0, result.stderr
    assert "Serial port: /dev/pts/" in result.stderr
    assert "TOBS sim\n\nPuls 92\n" in result.stdout and "\n1212\n" in result.stdout
    # start, "1", "12", "121", "1212"; the clock step and the full redraw (C) change nothing on the screen
    assert sorted(p.name for p in shots.iterdir()) == ["0001.png", "0002.png", "0003.png", "0004.png", "0005.png"]


def test_sim_command_reports_a_dead_firmware_in_one_line(tmp_path):
    script = tmp_path / "crash.py"
    script.write_text('import board_sim\nboard_sim.idle()\nraise RuntimeError("no keypad [row 3]")\n')
    result = tobs_sim(tmp_path, "--entry", str(script), "--keys", "1 [wait 0.5s] 2")
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and "RuntimeError: no keypad [row 3]" in errors[0]
    assert "Traceback (most recent call last)" not in result.stderr.replace(errors[0], "")
