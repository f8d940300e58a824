"""The deployed firmware on a target (the virtual Pico, or a real Pico with --device PORT): the chart it reports, the
core tests on its MicroPython, the screen flow driven by key injection, enrolment and sync into a register, and
resets in the middle of an entry and of a sync that lose nothing. A production deploy refuses key injection."""

from __future__ import annotations

import statistics
import subprocess
import time

import pytest
from hil_support import PicoTarget, SimTarget, Target
from test_core_runtimes import collected_on_cpython
from tools_support import ROOT, tool

import tobs_core
from tobs import firmware
from tobs.device.link import Link, LinkError
from tobs.ops.sync import sync_port as sync
from tobs.register.db import open_register
from tobs.register.queries import list_observations

SITE = "hil"
LOGIN = "1001#1234##"  # staff number, PIN, then "new measurement" on the home screen
# From "Patientnummer:" to the next "Patientnummer:": values scoring 1+0+1+0+2 = 4 (each with its #, which after a
# field that filled up by itself is only its OK), the awareness and the action one key each, # for the next patient.
VALUES = "92#19#387#147#4#1#"
TOTAL = 4
THROUGHPUT_RECORDS = 200
# The emulated RP2040 runs at a fraction of a Pico's speed (each record entered takes it seconds of wall time):
# fewer records keep its run within CI's minutes. The sync's paths are the same for 8 records as for 200.
RECORDS = {"rp2040": 8}
MID_SYNC_RECORDS = {"rp2040": 5}


def observation(patient: int) -> str:
    return "%d#%s" % (patient, VALUES)


def shown(lines: list[str]) -> str:
    return "\n".join(line.rstrip() for line in lines)


def wait_for_screen(target: Target, needle: str, timeout: float = 10) -> str:
    deadline = time.monotonic() + timeout
    while True:
        text = shown(target.screen())
        if needle in text or time.monotonic() > deadline:
            return text
        time.sleep(0.05)


def logged_in(target: Target) -> None:
    """Wherever the flow is, start afresh: a reset, the log-in (a measurement the reset interrupted, offered back,
    is discarded), then "new measurement" on the home screen."""
    target.reset()
    assert "Medarbejdernr." in wait_for_screen(target, "Medarbejdernr.")
    target.press(LOGIN[:-1])
    if "Ufærdig måling" in shown(target.screen()):
        target.press("C#")
    assert "Medarb. 1001" in shown(target.screen())
    target.press("#")


def enter_over_link(target: Target, patients: list[int]) -> None:
    """Whole observations through KEY, one command each, on one connection: fast enough for hundreds."""
    # The SCREEN after each KEY answers once the observation is saved: how long that may take is the target's.
    with Link(target.port, timeout=target.work_seconds) as link:
        for patient in patients:
            link.request("KEY", observation(patient), expect="A")
            target.screen_after_keys(link)


def patients_in(url: str) -> list[int]:
    return sorted(r.patient for r in list_observations(open_register(url, announce=None), site=SITE))


@pytest.fixture(scope="module")
def register_url(target, tmp_path_factory) -> str:
    """A fresh register with the target enrolled in it by `tobs enroll`, as at the bench."""
    url = "sqlite:///%s" % (tmp_path_factory.mktemp("register") / "register.db")
    result = subprocess.run(
        [tool("tobs"), "enroll", "--site", SITE, "--port", target.port, "--db", url],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert target.hello()["enrolled_site"] == SITE
    # Whatever an earlier bench run left on a real Pico goes into this register first.
    sync(target.port, url, timeout=target.work_seconds)
    return url


def test_the_deployed_test_build_reports_this_pcs_chart(target, bench):
    info = target.hello()
    assert info["core_id"] == tobs_core.CORE_ID == bench["core_id"]
    assert info["firmware"] == firmware.identity(target.firmware).version == bench["firmware"]
    assert info["board"] == ("sim" if target.kind == "sim" else "pico")


def test_the_core_tests_pass_on_the_targets_micropython(target, bench):
    expected = collected_on_cpython(ROOT, "tests/core")
    passed, failed, output = target.run_core_tests()
    bench["core_tests"] = {"collected_by_pytest": expected, "passed_on_target": passed, "failed_on_target": failed}
    assert failed == 0, output
    assert passed == expected > 0
    assert target.hello()["core_id"] == tobs_core.CORE_ID  # the app is back after the REPL session


def test_the_screen_flow_follows_injected_keys(target, bench):
    target.reset()
    assert "Medarbejdernr." in wait_for_screen(target, "Medarbejdernr.")
    # Key to screen, measured through the link (KEY, then SCREEN once the key is handled) on every target.
    link_ms = []
    for key in "1001":
        link_ms.append(target.timed_link_press(key))
    target.press("#")
    assert "PIN-kode:" in shown(target.screen())
    with Link(target.port) as link:
        with pytest.raises(LinkError, match="keys must be"):
            link.request("KEY", "1x", expect="A")  # not a keypad key: refused, nothing queued
    assert "PIN-kode:" in shown(target.screen())
    if target.kind == "sim":
        # The virtual keypad: from the key byte to the firmware's idle report after the display flush.
        keypad_ms = []
        for key in "1234":
            started = time.monotonic()
            target.press(key)
            keypad_ms.append((time.monotonic() - started) * 1000)
        bench["key_to_screen_ms_sim_keypad"] = round(statistics.median(keypad_ms), 1)
    else:
        target.press("1234")
    target.press("#")
    home = shown(target.screen())
    assert "Medarb. 1001" in home and "#=ny måling" in home
    target.press("#201#")
    assert "Pt 201" in shown(target.screen()) and "Puls" in shown(target.screen())
    target.press("92#19#387#147#4")
    review = shown(target.screen())
    assert "TOBS i alt" in review and "Kontakt" in review  # the guidance first
    target.press("8")
    review = shown(target.screen())
    assert "Puls      92  1" in review and "38,7" in review
    target.press("#1")
    saved = shown(target.screen())
    assert "Gemt" in saved and "TOBS %d" % TOTAL in saved
    target.press("#*")
    assert "Patientnummer" not in shown(target.screen())
    bench["key_to_screen_ms_link"] = round(statistics.median(link_ms), 1)
    # The link's view and the display's agree (on the sim the panel is decoded from the I2C writes).
    if target.kind == "sim":
        assert target.link_screen() == target.screen()


def test_the_real_pico_way_works_on_this_target(target):
    """A real Pico is driven through the link (KEY, SCREEN) and reset through the REPL; the same calls work on the
    virtual Pico's serial port, so `--device sim` checks the bench path as well."""
    bench_path = PicoTarget(target.port)
    # As patient as this target needs just after a boot and while it works through keys.
    bench_path.answer_seconds, bench_path.work_seconds = target.answer_seconds, target.work_seconds
    bench_path.reset()
    assert "Medarbejdernr." in wait_for_screen(bench_path, "Medarbejdernr.")
    bench_path.press("1001#")
    assert "PIN-kode:" in shown(bench_path.screen())
    boots = target.pico.boots if target.kind in ("sim", "rp2040") else None
    bench_path.reset()
    if boots is not None:
        assert target.pico.boots == boots + 1  # machine.reset() restarted the virtual Pico from its flash
    assert "Medarbejdernr." in shown(bench_path.screen())


def test_enrolled_target_syncs_every_record_once(target, register_url, bench):
    before = target.hello()
    logged_in(target)
    records = RECORDS.get(target.kind, THROUGHPUT_RECORDS)
    patients = list(range(1000, 1000 + records))
    started = time.monotonic()
    enter_over_link(target, patients)
    bench["entry_seconds_%d_records" % records] = round(time.monotonic() - started, 1)
    target.press("*")
    assert target.hello()["pending"] == before["pending"] + records

    result = sync(target.port, register_url, timeout=target.work_seconds)
    assert (result.pulled, result.new, result.rejected, result.conflicts) == (records,) * 2 + (0, 0)
    bench["sync_records"] = result.pulled
    bench["sync_seconds"] = round(result.seconds, 2)
    bench["sync_records_per_s"] = round(result.pulled / result.seconds, 1)
    in_register = patients_in(register_url)
    assert sorted(set(in_register) & set(patients)) == patients
    assert len(in_register) == len(set(in_register))  # each record once
    assert target.hello()["pending"] == 0
    again = sync(target.port, register_url, timeout=target.work_seconds)
    assert (again.pulled, again.new) == (0, 0)


def test_reset_mid_entry_keeps_every_saved_record_and_offers_back_the_half_one(target, register_url):
    logged_in(target)
    target.press(observation(2001))
    assert target.hello()["pending"] == 1
    target.press("2002#92#19#")  # half an observation
    assert "Temp" in shown(target.screen())
    target.reset()
    info = target.hello()
    assert info["pending"] == 1  # the saved record is there, the half one was never saved ...
    assert "Medarbejdernr." in wait_for_screen(target, "Medarbejdernr.")
    target.press(LOGIN[:-1])
    assert "for pt 2002?" in shown(target.screen())  # ... but kept as a draft on flash, and offered back
    target.press("#")
    assert "Temp" in shown(target.screen())  # where it was left: pulse and respiration are there
    target.press("387#147#4#1*")
    assert target.hello()["pending"] == 2
    sync(target.port, register_url, timeout=target.work_seconds)
    assert [p for p in patients_in(register_url) if p >= 2000] == [2001, 2002]


def test_reset_mid_sync_loses_nothing(target, register_url):
    logged_in(target)
    count = MID_SYNC_RECORDS.get(target.kind, 60)
    enter_over_link(target, list(range(3000, 3000 + count)))
    target.press("*")
    assert target.hello()["pending"] == count
    # Pull until the first records frame has arrived, then the power goes (sim) or the PC lets go (Pico).
    link = Link(target.port)
    try:
        link.request("HELLO", expect="H")
        link.send("PULL", 0, 1000000)
        assert link.read_frame(timeout=30).kind == "R"
        target.power_cut()
    finally:
        link.close()
    target.reset()
    assert target.hello()["pending"] == count  # nothing was acknowledged, so nothing was forgotten
    result = sync(target.port, register_url, timeout=target.work_seconds)
    assert (result.pulled, result.new) == (count, count)
    in_register = [p for p in patients_in(register_url) if p >= 3000]
    assert in_register == list(range(3000, 3000 + count))
    assert target.hello()["pending"] == 0


def test_running_out_of_memory_while_a_nurse_types_leaves_the_app_running(target, register_url):
    """A MemoryError (the link's code in the heap beside a draft being written) once ended the app's loop: the keypad
    dead in the middle of a shift, the REPL on the port. HOG (test builds) holds all but a few hundred bytes of the
    heap for a few seconds while a whole set is typed on the keypad."""
    if target.kind == "rp2040":
        # An open finding, not a missing tool: on the emulated RP2040 the keys typed into the held heap were not
        # handled within 288 s (every allocation then runs a full collection of a 200 KB heap at the emulator's
        # pace, and the hog lets go only between keys). Until that is understood this runs on the virtual Pico.
        pytest.skip("typing into a full heap on the emulated RP2040 does not finish in CI's time yet")
    logged_in(target)
    before = target.hello()["count"]
    hold_ms = 3000
    with Link(target.port) as link:
        hog = link.request("HOG", 600, hold_ms, expect="A").json()
    assert hog["held_blocks"] > 100 and hog["free"] < 2048, hog
    target.press(observation(4001))
    time.sleep(hold_ms / 1000 + 0.5)
    # The app answers (had it died, the REPL would have the port) and either saved the set whole or not at all.
    assert target.hello()["count"] in (before, before + 1)
    if isinstance(target, SimTarget):
        assert any("MemoryError" in line or "out of memory" in line for line in target.pico.logs), target.pico.logs
    # The heap is back: the next set is saved as ever, and the register gets it.
    logged_in(target)
    saved = target.hello()["count"]
    target.press(observation(4002) + "*")
    assert target.hello()["count"] == saved + 1
    sync(target.port, register_url)
    assert 4002 in patients_in(register_url)


def test_a_production_deploy_refuses_key_injection(target):
    result = target.deploy(test_build=False)
    assert not result.test_build and "lib/testhooks.mpy" in result.removed
    assert result.core_id == tobs_core.CORE_ID
    with Link(target.port) as link:
        for verb in ("KEY", "SCREEN"):
            with pytest.raises(LinkError, match="unknown command " + verb):
                link.request(verb, *(("1",) if verb == "KEY" else ()), expect="A")
    assert target.hello()["pending"] == 0
