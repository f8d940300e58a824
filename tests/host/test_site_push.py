"""`tobs site push` on the real firmware at the Pico-sized heap: the new configuration is taken into use, a
measurement being entered is not cut short by it, and a push that arrives damaged changes nothing."""

import hashlib
import json
import subprocess

import pytest
from tools_support import ROOT, tool

from tobs.device.link import Link, LinkError
from tobs.device.virtual_pico import VirtualPico


def pushed_config(tmp_path):
    config = json.loads((ROOT / "firmware" / "site_default.json").read_text(encoding="utf-8"))
    config["site_id"] = "pushed"
    path = tmp_path / "site.json"
    path.write_text(json.dumps(config, ensure_ascii=False), encoding="utf-8")
    return path, hashlib.sha256(path.read_bytes()).hexdigest()[:8]


def config_id(pico):
    with Link(pico.port) as link:
        return link.request("HELLO", expect="H").json()["config_id"]


@pytest.fixture
def pico(tmp_path):
    with VirtualPico(tmp_path / "pico", heap="128k") as device:
        yield device


def push(pico, path):
    return subprocess.run([tool("tobs"), "site", "push", str(path), "--port", pico.port],
                          capture_output=True, text=True, timeout=60)


def test_a_pushed_configuration_is_in_use_after_the_push(pico, tmp_path):
    path, expected = pushed_config(tmp_path)
    before = config_id(pico)
    result = push(pico, path)
    assert result.returncode == 0, result.stderr
    assert expected in result.stdout
    pico.press("D")  # any key: the app has restarted with the new file by now
    assert config_id(pico) == expected != before
    assert any("starting again" in line for line in pico.logs)


def test_a_measurement_being_entered_is_finished_before_the_restart(pico, tmp_path):
    path, expected = pushed_config(tmp_path)
    pico.press("1001#1234##42#72#")  # logged in, patient 42, pulse entered
    assert push(pico, path).returncode == 0
    pico.press("14#")  # still the same measurement: respiration is asked next
    assert "Temp" in " ".join(pico.screen.text_lines())
    pico.press("368#132#1#1")  # ... saved
    assert config_id(pico) == expected


def test_a_damaged_push_keeps_the_old_configuration(pico, tmp_path):
    before = config_id(pico)
    with Link(pico.port) as link:
        link.request("PUT", "site.json", 10, expect="A")
        link.request("DATA", "eyJhIjogMX0=", expect="A")  # 8 of the 10 bytes announced
        with pytest.raises(LinkError, match="damaged"):
            link.request("COMMIT", "00000000", expect="A")
    assert config_id(pico) == before
