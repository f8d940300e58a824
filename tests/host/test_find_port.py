"""Finding the handheld by its USB IDs when no --port is given."""

from types import SimpleNamespace

import pytest

from tobs.device import ports
from tobs.device.link import LinkError

FTDI = ("/dev/ttyUSB0", 0x0403, 0x6001)  # some other USB serial adapter


def listed(*entries):
    return lambda: [SimpleNamespace(device=d, vid=v, pid=p) for d, v, p in entries]


def test_the_one_connected_pico_is_found(monkeypatch):
    monkeypatch.setattr(ports.list_ports, "comports", listed(FTDI, ("/dev/ttyACM0", 0x2E8A, 5)))
    assert ports.find_port(None) == "/dev/ttyACM0"


def test_no_pico_says_so_clearly(monkeypatch):
    monkeypatch.setattr(ports.list_ports, "comports", listed(FTDI, ("/dev/ttyS0", None, None)))
    with pytest.raises(LinkError, match="No handheld found"):
        ports.find_port(None)


def test_several_picos_ask_for_a_choice(monkeypatch):
    monkeypatch.setattr(ports.list_ports, "comports", listed(("/dev/ttyACM0", 0x2E8A, 5), ("/dev/ttyACM1", 0x2E8A, 5)))
    with pytest.raises(LinkError, match="Several handhelds.*ttyACM0.*ttyACM1"):
        ports.find_port(None)


def test_an_explicit_port_is_used_as_given(monkeypatch):
    monkeypatch.setattr(ports.list_ports, "comports", listed())
    assert ports.find_port("/dev/ttyV") == "/dev/ttyV"


def test_cli_without_a_handheld_exits_with_one_sentence(monkeypatch, tmp_path):
    from typer.testing import CliRunner

    from tobs.cli import app

    monkeypatch.setattr(ports.list_ports, "comports", listed())
    result = CliRunner().invoke(app, ["sync", "--db", f"sqlite:///{tmp_path / 'r.db'}"])
    assert result.exit_code != 0
    assert "No handheld found on USB" in result.output
    assert "Traceback" not in result.output
