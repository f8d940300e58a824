"""Shift-end sync against the real firmware on the virtual Pico: exactly once, whatever breaks.

Every test ends the same way: a clean sync afterwards leaves every record in the register exactly once, and
until then the handheld still holds every record it had."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest
import serial

import tobs_protocol
from tobs.device import link as link_module
from tobs.device.link import Link, LinkError
from tobs.device.virtual_pico import VirtualPico
from tobs.ops.sync import sync_port as sync
from tobs.register import keys
from tobs.register.db import RegisterUnavailable, open_register
from tobs.register.queries import list_observations

HEAP = "128k"
LOGIN = "1001# 1234# #"
# (patient, keys) -> totals 4, 7 (oral temperature) and 12 (three confirmed 3s); awareness and action one key each.
OBSERVATIONS = [
    ("201", "92# 19# 387# 147# 4 # 1"),
    ("202", "112# 23# A 381# 96# 2 # 2"),
    ("203", "134## 27## 396# 68## 3 # 4"),
]
TOTALS = {201: 4, 202: 7, 203: 12}


def enter(pico: VirtualPico, observations) -> None:
    pico.press(LOGIN.replace(" ", ""))
    for patient, typed in observations:
        pico.press(patient + "#" + typed.replace(" ", "") + "#")
    pico.press("*")


def hello(pico: VirtualPico) -> dict:
    with Link(pico.port) as link:
        return link.request("HELLO", expect="H").json()


@pytest.fixture(scope="module")
def device_template(tmp_path_factory) -> Path:
    """A virtual handheld's flash and identity with three observations entered by keypad, made once per module;
    each test starts a copy of it, so every test gets the same device in the same state."""
    folder = tmp_path_factory.mktemp("template")
    with VirtualPico(folder / "pico", heap=HEAP) as pico:
        enter(pico, OBSERVATIONS)
        assert hello(pico)["pending"] == len(OBSERVATIONS)
    return folder / "pico"


@pytest.fixture
def pico(device_template, tmp_path):
    run_dir = tmp_path / "pico"
    run_dir.mkdir()
    for name in ("flash.img", "uid"):
        (run_dir / name).write_bytes((device_template / name).read_bytes())
    device = VirtualPico(run_dir, heap=HEAP)
    device.start()
    yield device
    device.stop()


@pytest.fixture
def enrolled(pico, register_url):
    """The handheld enrolled in a fresh register (SQLite and PostgreSQL)."""
    register = open_register(register_url, announce=None)
    device_id = hello(pico)["device_id"]
    key = keys.enroll_device(register, device_id, "test")
    with Link(pico.port) as link:
        link.request("ENROLL", "test", key.hex(), expect="A")
    return register


def assert_exactly_once(pico, register_url) -> None:
    result = sync(pico.port, register_url)
    assert hello(pico)["pending"] == 0
    rows = list_observations(open_register(register_url, announce=None), site="test")
    assert sorted(r.patient for r in rows) == sorted(TOTALS), rows
    assert {r.patient: r.total for r in rows} == TOTALS
    assert len({(r.device_id, r.seq) for r in rows}) == len(rows)
    again = sync(pico.port, register_url)
    assert (again.pulled, again.new) == (0, 0)
    return result


def test_sync_brings_every_record_once_and_twice_adds_nothing(pico, enrolled, register_url):
    first = sync(pico.port, register_url)
    assert (first.pulled, first.new, first.rejected, first.conflicts) == (3, 3, 0, 0)
    assert first.clock_set and hello(pico)["clock_valid"]
    assert_exactly_once(pico, register_url)


class Cable:
    """Stands in for serial.Serial: records both directions, and can pull the cable after a number of bytes in
    one direction, flip a bit of what the handheld sends, or switch the handheld off at a byte."""

    def __init__(self, real: serial.Serial, cut_in=None, cut_out=None, flip_in=None, power_off_at=None):
        self.real, self.cut_in, self.cut_out, self.flip_in = real, cut_in, cut_out, flip_in
        self.power_off_at = power_off_at  # (byte offset, callable)
        self.stream_in, self.stream_out = bytearray(), bytearray()

    @property
    def in_waiting(self) -> int:
        return self.real.in_waiting

    def read(self, n: int) -> bytes:
        if self.cut_in is not None and len(self.stream_in) >= self.cut_in:
            raise serial.SerialException("cable pulled")
        data = bytearray(self.real.read(n))
        if self.cut_in is not None:
            data = data[: self.cut_in - len(self.stream_in)]
        if self.flip_in is not None and len(self.stream_in) <= self.flip_in < len(self.stream_in) + len(data):
            data[self.flip_in - len(self.stream_in)] ^= 0x10
        if self.power_off_at and len(self.stream_in) + len(data) >= self.power_off_at[0]:
            self.power_off_at[1]()
            self.power_off_at = None
        self.stream_in += data
        return bytes(data)

    def write(self, data: bytes) -> int:
        if self.cut_out is not None and len(self.stream_out) + len(data) > self.cut_out:
            part = data[: self.cut_out - len(self.stream_out)]
            self.real.write(part)
            self.stream_out += part
            raise serial.SerialException("cable pulled")
        self.stream_out += data
        return self.real.write(data)

    def flush(self) -> None:
        self.real.flush()

    def close(self) -> None:
        self.real.close()


def sync_through(monkeypatch, pico, register_url, timeout=5.0, **faults) -> Cable:
    """One sync over a Cable with the given faults; a LinkError (the fault noticed) is expected and ignored."""
    made = []
    real_serial = serial.Serial

    def cable(*args, **kwargs):
        made.append(Cable(real_serial(*args, **kwargs), **faults))
        return made[-1]

    monkeypatch.setattr(link_module.serial, "Serial", cable)
    try:
        sync(pico.port, register_url, timeout=timeout)
    except LinkError:
        pass  # what matters is what the register and the handheld hold afterwards
    finally:
        monkeypatch.setattr(link_module.serial, "Serial", real_serial)
    return made[0]


def frame_cut_points(stream: bytes) -> list[int]:
    """For every frame of a recorded handheld -> PC stream: in the header, in the middle of the payload, and
    just after the frame (a protocol step boundary)."""
    points, offset = set(), 0
    while (start := stream.find(tobs_protocol.SYNC, offset)) >= 0:
        length = (stream[start + 3] << 8) | stream[start + 4]
        end = start + tobs_protocol.HEADER + length + 4
        points |= {start + 3, start + tobs_protocol.HEADER + length // 2, end}
        offset = end
    return sorted(p for p in points if 0 < p <= len(stream))


def frame_ends(stream: bytes) -> list[int]:
    """The offsets just after each frame: the protocol step boundaries as the PC sees them."""
    ends, offset = [], 0
    while (start := stream.find(tobs_protocol.SYNC, offset)) >= 0:
        offset = start + tobs_protocol.HEADER + ((stream[start + 3] << 8) | stream[start + 4]) + 4
        ends.append(offset)
    return ends


def line_cut_points(stream: bytes) -> list[int]:
    """For every command line the PC sent: in its middle, and just before its newline."""
    points, start = set(), 0
    for line in bytes(stream).split(b"\n")[:-1]:
        if line:
            points |= {start + len(line) // 2, start + len(line)}
        start += len(line) + 1
    return sorted(points)


class Devices:
    """Fresh copies of the template handheld, each enrolled in a fresh register of one backend."""

    def __init__(self, template: Path, tmp_path: Path, backend: str, request):
        self.template, self.tmp_path, self.backend, self.request = template, tmp_path, backend, request
        self.made = 0

    def new(self) -> tuple[VirtualPico, str]:
        self.made += 1
        run_dir = self.tmp_path / ("pico%d" % self.made)
        run_dir.mkdir()
        for name in ("flash.img", "uid"):
            (run_dir / name).write_bytes((self.template / name).read_bytes())
        if self.backend == "sqlite":
            url = f"sqlite:///{self.tmp_path / ('register%d.db' % self.made)}"
        else:
            url = self.request.getfixturevalue("postgres_server").database()
        pico = VirtualPico(run_dir, heap=HEAP).start()
        register = open_register(url, announce=None)
        key = keys.enroll_device(register, hello(pico)["device_id"], "test")
        register.close()
        with Link(pico.port) as link:
            link.request("ENROLL", "test", key.hex(), expect="A")
        return pico, url


def assert_nothing_lost(pico, url) -> None:
    """Between a failed sync and the next: every record is in the register or still on the handheld, once."""
    rows = list_observations(open_register(url, announce=None), site="test")
    assert len({(r.device_id, r.seq) for r in rows}) == len(rows)
    if len(rows) < len(TOTALS):
        assert hello(pico)["pending"] == len(TOTALS)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_cable_pulled_at_every_protocol_step_and_mid_frame(backend, device_template, tmp_path, monkeypatch,
                                                           request):
    devices = Devices(device_template, tmp_path, backend, request)
    pico, url = devices.new()
    whole = sync_through(monkeypatch, pico, url)
    pico.stop()
    cuts = [{"cut_in": p} for p in frame_cut_points(whole.stream_in)]
    cuts += [{"cut_out": p} for p in line_cut_points(whole.stream_out)]
    assert len(cuts) >= 20  # 5 frames x 3 and 4 commands x 2
    for cut in cuts:
        pico, url = devices.new()
        try:
            sync_through(monkeypatch, pico, url, **cut)
            assert_nothing_lost(pico, url)
            assert_exactly_once(pico, url)
        finally:
            pico.stop()


def test_damaged_frames_abort_the_sync_and_nothing_is_acknowledged(device_template, tmp_path, monkeypatch,
                                                                   request):
    devices = Devices(device_template, tmp_path, "sqlite", request)
    pico, url = devices.new()
    whole = sync_through(monkeypatch, pico, url)
    pico.stop()
    # One flipped bit in each frame's header and in each frame's payload (every frame kind the sync reads).
    for flip in [p for p in frame_cut_points(whole.stream_in) if p not in frame_ends(whole.stream_in)]:
        pico, url = devices.new()
        try:
            sync_through(monkeypatch, pico, url, flip_in=flip)
            assert_nothing_lost(pico, url)
            assert_exactly_once(pico, url)
        finally:
            pico.stop()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_handheld_switched_off_mid_sync_keeps_everything(backend, device_template, tmp_path, monkeypatch, request):
    devices = Devices(device_template, tmp_path, backend, request)
    pico, url = devices.new()
    whole = sync_through(monkeypatch, pico, url)
    pico.stop()
    # Off just after each frame the PC receives: after HELLO, mid-stream of records, after the end of the pull,
    # after the ACK (the records are already in the register), after setting the clock.
    for at in frame_ends(whole.stream_in):
        pico, url = devices.new()
        try:
            # A switched-off handheld is silent: a short timeout tells that sooner, nothing else changes.
            sync_through(monkeypatch, pico, url, timeout=1.0, power_off_at=(at, pico.kill))
            pico.start()
            assert_nothing_lost(pico, url)
            assert_exactly_once(pico, url)
        finally:
            pico.stop()


def test_unknown_device_is_refused_and_keeps_everything(pico, register_url):
    with pytest.raises(LinkError, match="not enrolled"):
        sync(pico.port, register_url)
    assert hello(pico)["pending"] == 3


def test_wrong_key_is_refused_and_nothing_is_acknowledged(pico, register_url):
    register = open_register(register_url, announce=None)
    device_id = hello(pico)["device_id"]
    keys.enroll_device(register, device_id, "test")  # the register's key ...
    with Link(pico.port) as link:
        link.request("ENROLL", "test", (b"\x07" * 32).hex(), expect="A")  # ... and another one on the device
    with pytest.raises(LinkError, match="verifies"):
        sync(pico.port, register_url)
    assert hello(pico)["pending"] == 3
    assert list_observations(register, site="test") == []


def test_forged_acknowledgement_is_refused(pico, enrolled):
    with Link(pico.port) as link:
        with pytest.raises(LinkError, match="does not verify"):
            link.request("ACK", 3, "00" * 16, expect="A")
    assert hello(pico)["pending"] == 3


def test_unreachable_database_leaves_the_device_untouched(pico):
    with pytest.raises(RegisterUnavailable):
        sync(pico.port, "postgresql://nobody@127.0.0.1:9/none?connect_timeout=2")
    assert hello(pico)["pending"] == 3


def test_locked_sqlite_register_leaves_the_device_untouched(pico, tmp_path):
    url = f"sqlite:///{tmp_path / 'reg.db'}"
    register = open_register(url, announce=None)
    keys.enroll_device(register, hello(pico)["device_id"], "test")
    key = keys.device_key(register, hello(pico)["device_id"])
    with Link(pico.port) as link:
        link.request("ENROLL", "test", key.hex(), expect="A")
    register.close()
    locker = sqlite3.connect(tmp_path / "reg.db", check_same_thread=False)
    locker.execute("BEGIN EXCLUSIVE")
    release = threading.Timer(60, locker.rollback)
    release.start()
    try:
        with pytest.raises(RegisterUnavailable, match="(?i)lock|busy"):
            sync(pico.port, url, lock_timeout=2)
        assert hello(pico)["pending"] == 3
    finally:
        release.cancel()
        locker.rollback()
        locker.close()
    result = sync(pico.port, url)
    assert (result.new, hello(pico)["pending"]) == (3, 0)


def test_a_wiped_flash_is_a_new_store_and_the_register_says_what_of_the_old_one_never_arrived(
    pico, enrolled, register_url, monkeypatch
):
    first = sync(pico.port, register_url)
    assert (first.new, first.conflicts) == (3, 0)
    old_epoch = hello(pico).get("store_epoch")
    enter(pico, [("204", "92# 19# 387# 147# 4 # 1"), ("205", "93# 19# 387# 147# 4 # 1")])
    # A sync sees records 4 and 5 and is cut before it pulls them (the cable goes inside the PULL line) ...
    sync_through(monkeypatch, pico, register_url, cut_out=len(b"\n" + tobs_protocol.command("HELLO")) + 3)
    assert hello(pico)["pending"] == 2
    # ... then the flash is wiped (the rp2 port's _boot.py reformats a flash it cannot mount).
    pico.stop()
    pico.flash.unlink()
    pico.start()
    fresh = hello(pico)
    assert fresh["store_epoch"] not in (0, old_epoch) and fresh["next_seq"] == 1 and not fresh["enrolled"]
    key = keys.device_key(enrolled, fresh["device_id"])
    with Link(pico.port) as link:
        link.request("ENROLL", "test", key.hex(), expect="A")
    enter(pico, [("206", "92# 19# 387# 147# 4 # 1")])
    after = sync(pico.port, register_url)
    # Seq 1 of the new store is a new set, not a conflict with seq 1 of the old one.
    assert (after.pulled, after.new, after.conflicts, after.rejected) == (1, 1, 0, 0)
    assert any("was reset" in s and "records 4–5 of the previous store never arrived" in s
               for s in after.store_problems), after.store_problems
    rows = list_observations(enrolled, site="test")
    assert sorted(r.patient for r in rows) == [201, 202, 203, 206]
    assert {(r.store_epoch, r.seq) for r in rows if r.patient == 206} == {(fresh["store_epoch"], 1)}


def test_malformed_commands_leave_the_app_running_and_saving(pico, enrolled):
    """What someone holding only the cable once did to a handheld: each is refused with one X frame, and the nurse
    can still enter and save an observation afterwards."""
    with Link(pico.port) as link:
        # ACK -1 once raised OverflowError out of the link: the app died, the keypad went dead, the REPL took over.
        with pytest.raises(LinkError, match="refused: ACK: -1 is not 0..4294967295"):
            link.request("ACK", -1, "00", expect="A")
        # TIME 10^12 was once taken, and every save after it failed.
        with pytest.raises(LinkError, match="refused: TIME: 1000000000000 is not 1577836800..4102444800"):
            link.request("TIME", 10**12, expect="T")
        # A long line's tail once ran as a command of its own.
        link.send_raw(b"x" * 1025 + tobs_protocol.command("HELLO"))
        with pytest.raises(LinkError, match="longer than 1024"):
            link.read_frame()
        with pytest.raises(LinkError, match="stopped answering"):
            link.read_frame(timeout=0.5)
        assert link.request("HELLO", expect="H").json()["pending"] == 3
    enter(pico, OBSERVATIONS[:1])
    pico.check()
    assert hello(pico)["pending"] == 4


def test_the_pin_sentence_names_only_what_is_not_zero():
    from tobs.cli.device import pin_lockout_sentence

    assert pin_lockout_sentence(1, 0) == "1 wrong PIN typed on this handheld since its last sync."
    assert pin_lockout_sentence(0, 2) == "2 staff numbers are locked out on this handheld now."
    assert pin_lockout_sentence(7, 2) == ("7 wrong PINs typed on this handheld since its last sync; 2 staff numbers "
                                          "are locked out on it now.")


def test_the_sync_summary_says_the_pin_lockouts_in_one_sentence_only_when_there_are_any(capsys):
    from tobs.cli.device import print_sync_summary
    from tobs.ops.sync import SyncResult, checked_hello

    result = SyncResult(device_id="e6605481db123456", pins_locked=1, pin_failures=5)
    print_sync_summary(result)
    said = " ".join(capsys.readouterr().out.split())
    assert "5 wrong PINs typed on this handheld since its last sync; 1 staff number is locked out on it now." in said
    print_sync_summary(SyncResult(device_id="e6605481db123456"))
    assert "PIN" not in capsys.readouterr().out
    hello = {"proto": tobs_protocol.PROTOCOL, "device_id": "e6605481db123456", "pending": 0, "next_seq": 1,
             "boot_count": 1, "ms_since_boot": 5, "now": 1790000000}
    assert checked_hello(hello)["pin_lockouts"] == {"locked": 0, "failures": 0}  # firmware from before the lockout
    assert checked_hello(dict(hello, pin_lockouts={"locked": 2, "failures": 9}))["pin_lockouts"] == {
        "locked": 2, "failures": 9}
