"""The emulated RP2040 itself, before any TOBS firmware is on it: the official MicroPython image boots, `_boot.py`
formats a blank flash through the flash chip model, files survive a power cut and machine.reset(), the chip's
unique ID is machine.unique_id(), and erases and programs take the datasheet's busy times."""

from __future__ import annotations

import json
import subprocess

import pytest
from tools_support import ROOT, tool

from tobs.device.rp2040_pico import FS_SIZE, RP2040Pico, flash_files, pico_pins

UID = "e661a4d41723262a"


def repl(port: str, code: str, timeout: float = 60) -> str:
    run = subprocess.run(
        [tool("mpremote"), "connect", port, "resume", "exec", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    return run.stdout


@pytest.fixture
def pico(tmp_path):
    made = RP2040Pico(tmp_path / "pico", uid=UID)
    made.start()
    yield made
    made.stop()


def test_a_blank_flash_is_formatted_by_boot_py_and_keeps_files_through_power_cuts_and_resets(pico, tmp_path):
    out = repl(
        pico.port,
        "import os, machine, binascii, sys\n"
        "print(sys.implementation._machine)\n"
        "print(binascii.hexlify(machine.unique_id()).decode(), os.statvfs('/')[2])\n"
        "f = open('kept.txt', 'w'); f.write('x' * 5000); f.close()\n",
    )
    assert "Raspberry Pi Pico with RP2040" in out
    assert "%s 352" % UID in out  # the flash chip's ID, and LittleFS on the rp2 port's 352 blocks
    pico.kill()
    assert pico.flash.stat().st_size == FS_SIZE
    assert flash_files(pico.flash)["/kept.txt"] == b"x" * 5000  # on the image file, readable on the PC
    pico.start()
    boots = pico.boots
    assert repl(pico.port, "print(len(open('kept.txt').read()))").strip() == "5000"
    subprocess.run(
        [tool("mpremote"), "connect", pico.port, "resume", "exec", "import machine; machine.reset()"],
        capture_output=True,
        timeout=60,
    )
    pico.wait_usb(boots_after=boots)
    assert pico.boots == boots + 1
    assert repl(pico.port, "print(len(open('kept.txt').read()))").strip() == "5000"


def test_erases_and_programs_take_the_datasheets_busy_times(pico, tmp_path):
    log = tmp_path / "ops.jsonl"
    pico.record_flash(log)
    repl(pico.port, "f = open('a.bin', 'wb'); f.write(bytes(9000)); f.close()")
    pico.record_flash(None)
    ops = [json.loads(line) for line in log.read_text().splitlines()]
    pages = [op for op in ops if op["kind"] == "P"]
    erases = [op for op in ops if op["kind"] == "E"]
    assert len(pages) >= 9000 // 256 and erases
    assert {op["t1"] - op["t0"] for op in pages} == {400_000}  # W25Q16JV: page program 0.4 ms typical
    assert {op["t1"] - op["t0"] for op in erases} == {45_000_000}  # 4 KB sector erase 45 ms typical
    # The ROM waits for each one: nothing starts while the chip is busy.
    ordered = sorted(ops, key=lambda op: op["t0"])
    assert all(b["t0"] >= a["t1"] for a, b in zip(ordered, ordered[1:], strict=False))
    assert (tmp_path / "ops.jsonl.base").stat().st_size == FS_SIZE  # the image as it was when recording began


def test_the_keypad_and_bus_sit_on_the_pin_maps_pins():
    pins = pico_pins()
    assert (pins["i2c_sda"], pins["i2c_scl"]) == (4, 5)
    assert sorted(pins[f"key_row_{i}"] for i in range(1, 5)) == [6, 7, 8, 9]
