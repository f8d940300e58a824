"""hw/pinmap.md and the Pico board file must describe the same wiring."""

import ast
import importlib.util
import json
import re

from tools_support import ROOT

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


def test_every_part_the_handheld_needs_has_its_pins():
    pins = firmware_pins()
    needed = {"i2c_sda", "i2c_scl", "buzzer"} | {f"key_{kind}_{i}" for kind in ("row", "col") for i in range(1, 5)}
    assert needed <= set(pins), sorted(needed - set(pins))


def load_wiring_generator():
    spec = importlib.util.spec_from_file_location("make_wiring", ROOT / "hw" / "make_wiring.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_wiring_diagram_and_wokwi_project_are_generated_from_the_pin_map():
    make_wiring = load_wiring_generator()
    for path, text in make_wiring.outputs().items():
        assert path.exists(), f"{path.name} is missing: run python hw/make_wiring.py"
        assert path.read_text(encoding="utf-8") == text, f"{path.name} is out of date: run python hw/make_wiring.py"


def test_wokwi_project_wires_every_pin_of_the_pin_map():
    diagram = json.loads((ROOT / "hw" / "wokwi" / "diagram.json").read_text(encoding="utf-8"))
    kinds = {part["type"] for part in diagram["parts"]}
    assert kinds == {"wokwi-pi-pico", "board-ssd1306", "wokwi-membrane-keypad", "wokwi-ds1307", "wokwi-buzzer"}
    wired = {a.split(":")[1] for a, _b, _colour, _route in diagram["connections"] if a.startswith("pico:")}
    assert {f"GP{gpio}" for gpio in firmware_pins().values()} | {"3V3", "GND.8"} == wired


def test_wiring_diagram_shows_every_signal_on_its_pin():
    svg = (ROOT / "hw" / "wiring.svg").read_text(encoding="utf-8")
    for signal, gpio in documented_pins().items():
        assert f">{signal} GP{gpio}<" in svg, signal


def test_moving_a_pin_in_the_pin_map_changes_both_generated_files(tmp_path):
    make_wiring = load_wiring_generator()
    moved = tmp_path / "pinmap.md"
    text = (ROOT / "hw" / "pinmap.md").read_text(encoding="utf-8")
    assert "| buzzer | GP15 | 20 |" in text
    moved.write_text(text.replace("| buzzer | GP15 | 20 |", "| buzzer | GP14 | 19 |"), encoding="utf-8")
    committed, changed = make_wiring.outputs(), make_wiring.outputs(moved)
    for path in committed:
        assert changed[path] != committed[path], path.name
    assert '"pico:GP14",\n      "bz1:2"' in changed[make_wiring.WOKWI]
