"""`tobs site push` on the real firmware at the Pico-sized heap: the new configuration is taken into use, a
measurement being entered is not cut short by it, and a push that arrives damaged changes nothing."""

import hashlib
import json
import subprocess
import time

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


@pytest.mark.parametrize(("content", "field"), [("{}", "site_id"), ("[]", "not a JSON object"),
                                                 ('{"site_id": "x"}', "site_id")])
def test_a_file_the_handheld_would_refuse_is_refused_by_the_pc_with_the_field_named(pico, tmp_path, content, field):
    # Pushed as they were, `{}` and a list made the handheld fall back to the example, whose published PINs open it.
    if field == "site_id" and content != "{}":
        config = json.loads((ROOT / "firmware" / "site_default.json").read_text(encoding="utf-8"))
        config["site_id"] = ""
        content = json.dumps(config)
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")
    before = config_id(pico)
    result = push(pico, path)
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert "would refuse it" in result.stderr and field in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert config_id(pico) == before
    assert not any("PUT" in line or "starting again" in line for line in pico.logs)


def raw_push(pico, data: bytes) -> None:
    """What someone with a cable and no `tobs` can send: the file commands, past the PC's own check."""
    import base64
    import binascii

    with Link(pico.port) as link:
        link.request("PUT", "site.json", len(data), expect="A")
        link.request("DATA", base64.b64encode(data).decode(), expect="A")
        link.request("COMMIT", "%08x" % (binascii.crc32(data) & 0xFFFFFFFF), expect="A")


def test_a_broken_file_that_reaches_the_handheld_lets_nobody_in_keeps_the_records_and_a_good_push_mends_it(
        pico, tmp_path):
    # `{}` pushed this way once made the handheld fall back to the example, and its published PINs opened it.
    pico.press("1001#1234##42#72#14#368#132#1#1")  # one measurement saved under the example configuration
    with Link(pico.port) as link:
        assert link.request("HELLO", expect="H").json()["pending"] == 1
    raw_push(pico, b"{}")
    pico.wait_log("no usable site configuration")
    deadline = time.monotonic() + 10  # the log line comes just before the screen is drawn
    while "Ingen kan logge ind" not in (screen := " ".join(line.strip() for line in pico.screen.text_lines())):
        assert time.monotonic() < deadline, screen
        time.sleep(0.05)
    pico.press("1001#1234#")
    assert " ".join(line.strip() for line in pico.screen.text_lines()) == screen  # no login, no other screen
    with Link(pico.port) as link:
        hello = link.request("HELLO", expect="H").json()
    assert hello["pending"] == 1 and hello["config_id"] is None and "site_id" in hello["config_error"]
    # IT pushes a good file over the same link: the handheld starts with it, the record still there.
    path, expected = pushed_config(tmp_path)
    assert push(pico, path).returncode == 0
    pico.wait_log("starting again")
    pico.press("1001#1234#")
    assert "Medarb. 1001" in " ".join(pico.screen.text_lines())
    with Link(pico.port) as link:
        hello = link.request("HELLO", expect="H").json()
    assert hello["config_id"] == expected and hello["pending"] == 1
