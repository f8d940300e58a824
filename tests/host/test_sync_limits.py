"""`tobs sync` against a handheld that does not stop: the pull is bounded by what the PC asked for (records, bytes,
time), and a handheld that goes past a bound, or whose end frame disagrees with what it sent, gets nothing
acknowledged. The handheld is a script behind a pty (fake_handheld_support), so every test takes well under a second
or two."""

from __future__ import annotations

import itertools

import pytest
from fake_handheld_support import DEVICE_ID, FakeHandheld, changed, hello, honest, json_frame, record
from typer.testing import CliRunner

from tobs.cli import app
from tobs.device.link import LinkError
from tobs.ops.sync import PullLimits, sync_port
from tobs.register import keys
from tobs.register.db import open_register
from tobs.register.queries import list_observations
from tobs.shared import tobs_protocol


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'register.sqlite3'}"


def enrolled_key(url: str) -> bytes:
    register = open_register(url, announce=None)
    try:
        return keys.enroll_device(register, DEVICE_ID, "test")
    finally:
        register.close()


def stored(url: str) -> int:
    register = open_register(url, announce=None)
    try:
        return len(list_observations(register, site="test"))
    finally:
        register.close()


def refused(script, url: str, match: str, **options) -> FakeHandheld:
    """Sync with the scripted handheld; it must fail with one sentence and the handheld must get no ACK."""
    with FakeHandheld(script, options.pop("unasked", ())) as device:
        with pytest.raises(LinkError, match=match) as failure:
            sync_port(device.port, url, timeout=2.0, **options)
    assert "ACK" not in device.verbs(), device.commands
    assert len(str(failure.value).splitlines()) == 1
    return device


def test_an_honest_scripted_handheld_syncs(register_url):
    # The control: the script, as the firmware would answer, is synced and acknowledged (SQLite and PostgreSQL).
    key = enrolled_key(register_url)
    with FakeHandheld(honest(key)) as device:
        result = sync_port(device.port, register_url, timeout=2.0)
    assert (result.pulled, result.new, result.acknowledged_to) == (2, 2, 2)
    assert ("PULL", ["0", "2"]) in device.commands  # it asks for what the HELLO says is pending, no more
    assert ("ACK", ["2", tobs_protocol.to_hex(tobs_protocol.ack_tag(key, bytes.fromhex(DEVICE_ID), 2, 7))]) in (
        device.commands)
    assert stored(register_url) == 2


def test_records_without_end_are_refused_after_the_ones_asked_for(sqlite_url):
    key = enrolled_key(sqlite_url)

    def endless(args):
        # Before the fix the PC kept every one of these in memory, waiting for an end frame that never comes.
        for seq in itertools.count(1):
            yield tobs_protocol.frame("R", record(key, seq))

    device = refused(changed(honest(key), "PULL", endless), sqlite_url, "more than the 2 records")
    assert stored(sqlite_url) == 0
    # What it wrote before the PC let go and the pty's buffers filled (13,836 bytes once, under load), not the
    # unbounded stream the PC once kept reading (547 MB in 4 s).
    assert device.sent < 1_000_000


def test_more_records_than_asked_for_are_refused(sqlite_url):
    key = enrolled_key(sqlite_url)
    three = [record(key, 1), record(key, 2), record(key, 3)]

    def too_many(args):
        yield tobs_protocol.frame("R", b"".join(three))
        yield json_frame("E", {"count": 3, "last_seq": 3, "store_epoch": 7})

    refused(changed(honest(key), "PULL", too_many), sqlite_url, "more than the 2 records")
    assert stored(sqlite_url) == 0


def test_empty_records_frames_without_end_are_refused(sqlite_url):
    key = enrolled_key(sqlite_url)

    def empty_frames(args):
        # No record in them, so no record ceiling is reached: before the fix the PC read these for ever.
        while True:
            yield tobs_protocol.frame("R", b"")

    refused(changed(honest(key), "PULL", empty_frames), sqlite_url, "partial record")


def test_more_bytes_than_the_records_asked_for_can_take_are_refused(sqlite_url):
    key = enrolled_key(sqlite_url)

    def padded(args):
        yield tobs_protocol.frame("R", record(key, 1) + record(key, 2))
        # Stray bytes (no sync pattern: the frame reader skips them) far beyond what 2 records can take.
        for _ in range(200):
            yield b"\x00" * 1024
        yield json_frame("E", {"count": 2, "last_seq": 2, "store_epoch": 7})

    refused(changed(honest(key), "PULL", padded), sqlite_url, "more than it was asked for")
    assert stored(sqlite_url) == 0


def test_a_pull_that_never_ends_meets_the_total_deadline(sqlite_url):
    key = enrolled_key(sqlite_url)

    def trickle(args):
        # A record now and then, never the end frame, never silent long enough to count as a pulled cable.
        import time

        for seq in itertools.count(1):
            yield tobs_protocol.frame("R", record(key, seq))
            time.sleep(0.2)

    script = changed(honest(key, hello(pending=1000)), "PULL", trickle)
    refused(script, sqlite_url, "longer than a sync may take",
            limits=PullLimits(base_seconds=1.0, seconds_per_record=0.0))
    assert stored(sqlite_url) == 0


@pytest.mark.parametrize(
    ("end", "match"),
    [
        ({"count": 3, "last_seq": 2, "store_epoch": 7}, "counted 3 records where 2 arrived"),
        ({"count": 1, "last_seq": 2, "store_epoch": 7}, "counted 1 records where 2 arrived"),
        ({"count": 2, "last_seq": 5, "store_epoch": 7}, "named record 5 as the last where it sent 2"),
        ({"count": 2, "last_seq": 1, "store_epoch": 7}, "named record 1 as the last where it sent 2"),
        ({"count": 2, "last_seq": None, "store_epoch": 7}, "named record None"),
        ({"count": 2, "last_seq": 2, "store_epoch": 8}, "store changed"),
    ],
    ids=["count-high", "count-low", "last-seq-beyond", "last-seq-before", "last-seq-missing", "epoch"],
)
def test_an_end_frame_that_disagrees_with_the_records_gets_nothing_acknowledged(sqlite_url, end, match):
    key = enrolled_key(sqlite_url)

    def pull(args):
        yield tobs_protocol.frame("R", record(key, 1) + record(key, 2))
        yield json_frame("E", end)

    refused(changed(honest(key), "PULL", pull), sqlite_url, match)
    assert stored(sqlite_url) == 0


def test_a_handheld_that_sends_without_being_asked_is_refused_before_anything_is_sent(sqlite_url):
    key = enrolled_key(sqlite_url)
    device = refused(honest(key), sqlite_url, "keeps sending without being asked",
                     unasked=itertools.repeat(b"\x00" * 4096))
    assert device.commands == []


def test_tobs_sync_against_a_handheld_that_never_ends_is_one_sentence(sqlite_url, tmp_path, monkeypatch):
    monkeypatch.setenv("TOBS_LOG_DIR", str(tmp_path / "log"))
    key = enrolled_key(sqlite_url)

    def endless(args):
        for seq in itertools.count(1):
            yield tobs_protocol.frame("R", record(key, seq))

    with FakeHandheld(changed(honest(key), "PULL", endless)) as device:
        result = CliRunner().invoke(app, ["sync", "--port", device.port, "--db", sqlite_url])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "more than the 2 records" in lines[0] and "keeps every record" in lines[0], lines
    assert "ACK" not in device.verbs()
