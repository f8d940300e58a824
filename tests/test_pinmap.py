"""hw/pinmap.md and the Pico board file must describe the same wiring."""

import ast
import re

from testsupport import ROOT

# Physical header pin of each RP2040 GPIO on the Pico (from the Pico's pinout).
HEADER_PIN = {0: 1, 1: 2, 2: 4, 3: 5, 4: 6, 5: 7, 6: 9, 7: 10, 8: 11, 9: 12, 10: 14, 11: 15, 12: 16, 13: 17,
              14: 19, 15: 20, 16: 21, 17: 22, 18: 24, 19: 25, 20: 26, 21: 27, 22: 29, 26: 31, 27: 32, 28: 34}


def firmware_pins() -> dict:
    tree = ast.parse((ROOT / "firmware" / "board_pico.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == "PINS":
            return ast.literal_eval(node.value)
    raise AssertionError("board_pico.py has no PINS table")


def documented_pins() -> dict:
    rows = re.findall(r"^\| (\w+) \| GP(\d+) \| (\d+) \|", (ROOT / "hw" / "pinmap.md").read_text(), re.M)
    assert rows, "no pin rows found in hw/pinmap.md"
    for signal, gpio, header in rows:
        assert HEADER_PIN[int(gpio)] == int(header), f"{signal}: GP{gpio} is header pin {HEADER_PIN[int(gpio)]}"
    return {signal: int(gpio) for signal, gpio, _header in rows}


def test_docs_and_firmware_agree_on_every_pin():
    assert documented_pins() == firmware_pins()


def test_no_gpio_is_used_twice():
    pins = firmware_pins()
    assert len(set(pins.values())) == len(pins)
