"""Malformed answers from a handheld end `tobs sync` with one sentence and exit code 2, never a traceback or an
"internal error"; an answer that is wrong before the register has the records gets nothing acknowledged."""

from __future__ import annotations

import pytest
from fake_handheld_support import DEVICE_ID, FakeHandheld, changed, hello, honest, json_frame, record
from typer.testing import CliRunner

from tobs.cli import app
from tobs.register import keys
from tobs.register.db import open_register
from tobs.shared import tobs_protocol


def once(*chunks: bytes):
    """An answer of fixed bytes, whatever the arguments."""
    return lambda args: iter(chunks)


def bad_crc(kind: str, payload: bytes) -> bytes:
    whole = bytearray(tobs_protocol.frame(kind, payload))
    whole[-1] ^= 0xFF
    return bytes(whole)


def too_long_header(kind: str) -> bytes:
    # A header announcing 65,535 bytes, more than the protocol's 4,096: the PC must not wait for them.
    return tobs_protocol.SYNC + bytes((ord(kind), 0xFF, 0xFF)) + b"\x00" * 64


def pull_then(key: bytes, *after: bytes):
    return lambda args: iter([tobs_protocol.frame("R", record(key, 1) + record(key, 2)), *after])


# (id, verb answered wrongly, what it answers given the device key, a word of the sentence, acknowledged?)
MALFORMED = [
    ("hello-not-json", "HELLO", lambda k: once(tobs_protocol.frame("H", b"{not json")), "not JSON", False),
    ("hello-not-utf8", "HELLO", lambda k: once(tobs_protocol.frame("H", b'{"proto": "\xff"}')), "not JSON", False),
    ("hello-a-list", "HELLO", lambda k: once(json_frame("H", [1, 2])), "JSON list", False),
    ("hello-a-number", "HELLO", lambda k: once(json_frame("H", 7)), "JSON int", False),
    ("hello-nested-deep", "HELLO", lambda k: once(tobs_protocol.frame("H", b"[" * 2040 + b"]" * 2040)),
     "not JSON", False),
    ("hello-no-device-id", "HELLO", lambda k: once(json_frame("H", hello(device_id=None))), "device id", False),
    ("hello-device-id-not-hex", "HELLO", lambda k: once(json_frame("H", hello(device_id="zz" * 8))), "device id",
     False),
    ("hello-device-id-a-number", "HELLO", lambda k: once(json_frame("H", hello(device_id=12))), "device id", False),
    ("hello-pending-text", "HELLO", lambda k: once(json_frame("H", hello(pending="x"))), "pending", False),
    ("hello-pending-negative", "HELLO", lambda k: once(json_frame("H", hello(pending=-1))), "pending", False),
    ("hello-pending-true", "HELLO", lambda k: once(json_frame("H", hello(pending=True))), "pending", False),
    ("hello-pending-huge", "HELLO", lambda k: once(json_frame("H", hello(pending=10**30))), "pending", False),
    ("hello-no-next-seq", "HELLO", lambda k: once(json_frame("H", hello(next_seq=None))), "next_seq", False),
    ("hello-boot-count-float", "HELLO", lambda k: once(json_frame("H", hello(boot_count=1.5))), "boot_count",
     False),
    ("hello-now-text", "HELLO", lambda k: once(json_frame("H", hello(now="noon"))), "now", False),
    ("hello-epoch-negative", "HELLO", lambda k: once(json_frame("H", hello(store_epoch=-3))), "store_epoch", False),
    ("hello-pin-lockouts-a-list", "HELLO", lambda k: once(json_frame("H", hello(pin_lockouts=[1]))), "pin_lockouts",
     False),
    ("hello-pin-lockouts-negative", "HELLO",
     lambda k: once(json_frame("H", hello(pin_lockouts={"locked": -1, "failures": 0}))), "pin_lockouts", False),
    ("hello-pin-lockouts-no-failures", "HELLO", lambda k: once(json_frame("H", hello(pin_lockouts={"locked": 1}))),
     "pin_lockouts", False),
    ("hello-no-proto", "HELLO", lambda k: once(json_frame("H", hello(proto=None))), "link protocol", False),
    ("hello-unknown-kind", "HELLO", lambda k: once(json_frame("Z", hello())), "unexpected 'Z'", False),
    ("hello-refused-not-json", "HELLO", lambda k: once(tobs_protocol.frame("X", b"\x00\x01")), "not JSON", False),
    ("hello-refused-a-list", "HELLO", lambda k: once(json_frame("X", ["no"])), "JSON list", False),
    ("hello-crc", "HELLO", lambda k: once(bad_crc("H", b"{}")), "CRC", False),
    ("hello-too-long", "HELLO", lambda k: once(too_long_header("H")), "larger than the protocol allows", False),
    ("end-without-count", "PULL", lambda k: pull_then(k, json_frame("E", {"last_seq": 2, "store_epoch": 7})),
     "counted None", False),
    ("end-count-text", "PULL", lambda k: pull_then(k, json_frame("E", {"count": "2", "last_seq": 2})),
     "counted '2'", False),
    ("end-not-json", "PULL", lambda k: pull_then(k, tobs_protocol.frame("E", b"count=2")), "not JSON", False),
    ("end-last-seq-true", "PULL", lambda k: pull_then(k, json_frame("E", {"count": 2, "last_seq": True,
                                                                           "store_epoch": 7})), "named record",
     False),
    ("pull-unknown-kind", "PULL", lambda k: pull_then(k, json_frame("Q", {})), "Unexpected 'Q'", False),
    ("pull-crc-mid-stream", "PULL", lambda k: once(tobs_protocol.frame("R", record(k, 1)),
                                                   bad_crc("R", record(k, 2))), "CRC", False),
    ("pull-too-long", "PULL", lambda k: once(tobs_protocol.frame("R", record(k, 1)), too_long_header("R")),
     "larger than the protocol allows", False),
    ("pull-partial-record", "PULL", lambda k: once(tobs_protocol.frame("R", record(k, 1)[:-3])), "partial record",
     False),
    # The ACK's answer comes after the register has committed the records: the sentence must say so.
    ("ack-wrong-synced-to", "ACK", lambda k: once(json_frame("A", {"synced_to": 1})), "register holds them", True),
    ("ack-no-synced-to", "ACK", lambda k: once(json_frame("A", {})), "register holds them", True),
    ("ack-not-json", "ACK", lambda k: once(tobs_protocol.frame("A", b"\xfe")), "not JSON", True),
]


@pytest.fixture
def sqlite_url(tmp_path, monkeypatch) -> str:
    monkeypatch.setenv("TOBS_LOG_DIR", str(tmp_path / "log"))
    return f"sqlite:///{tmp_path / 'register.sqlite3'}"


@pytest.mark.parametrize(("verb", "answer", "named", "acknowledged"), [m[1:] for m in MALFORMED],
                         ids=[m[0] for m in MALFORMED])
def test_a_malformed_answer_is_one_sentence_and_nothing_is_acknowledged_before_the_register_has_it(
    sqlite_url, verb, answer, named, acknowledged
):
    register = open_register(sqlite_url, announce=None)
    key = keys.enroll_device(register, DEVICE_ID, "test")
    register.close()
    with FakeHandheld(changed(honest(key), verb, answer(key))) as device:
        result = CliRunner().invoke(app, ["sync", "--port", device.port, "--db", sqlite_url])
    assert "Traceback" not in result.output and "internal error" not in result.output, result.output
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert named in lines[0], lines[0]
    assert ("ACK" in device.verbs()) == acknowledged, device.commands

