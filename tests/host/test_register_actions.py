"""The action taken, as the register keeps it: the reason after "Observeres" in `tobs observations` and the export, a
set the handheld saved without the action its guidance wants shown as missing, and the follow-up record that names
it later (the same sync or a later one) taking its place; follow-ups are stored exactly once like observations, and
a register made before follow-ups existed is upgraded in place. Ends with the whole path on the virtual Pico."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timezone

import pytest
from register_support import DEVICE_A, SITE, T0, encoded, fields
from sqlalchemy import select, text
from typer.testing import CliRunner
from web_support import HIGH, store
from web_support import observation as web_observation

import tobs_core
import tobs_record
from tobs.cli import app
from tobs.device.link import Link
from tobs.device.virtual_pico import VirtualPico
from tobs.ops.enroll import enroll
from tobs.ops.sync import sync
from tobs.register.db import open_register
from tobs.register.ingest import ingest
from tobs.register.keys import enroll_device
from tobs.register.models import Conflict, FollowUp, Observation
from tobs.register.queries import EXPORT_COLUMNS, list_observations, write_csv
from tobs.web.ward import patient_record, ward_board

runner = CliRunner()


def run(register, records):
    return ingest(register, DEVICE_A, records, pc_user="nurse", pc_host="pc1", started_at=datetime.now(timezone.utc))


def observation(seq, **changes):
    f = fields(seq)
    f.update(changes)
    return tobs_record.decode(encoded(f, seq))


def follow_up(seq, refers_to, action=2, reason=0, staff=104):
    f = {
        "measured_at": T0 + 60 * seq, "clock_valid": True, "boot_count": 3, "ms_since_boot": 1000 * seq,
        "device_id": bytes.fromhex(DEVICE_A), "staff": staff, "patient": fields(refers_to)["patient"],
        "follow_up": refers_to, "core_id": tobs_core.CORE_ID, "config_id": "00c0ffee", "action": action,
        "reason": reason,
    }
    return tobs_record.decode(encoded(f, seq))


@pytest.fixture
def enrolled(register):
    enroll_device(register, DEVICE_A, SITE)
    return register


def by_seq(register):
    return {o.seq: o for o in list_observations(register)}


def exported(register):
    stream = io.StringIO(newline="")
    write_csv(register, stream)
    return {int(row["seq"]): row for row in csv.DictReader(io.StringIO(stream.getvalue(), newline=""))}


def test_the_reason_after_observe_is_in_the_listing_the_json_and_the_export(enrolled, register_url):
    run(enrolled, [observation(1, action=5, reason=2), observation(2, action=1, reason=0)])
    rows = by_seq(enrolled)
    assert (rows[1].action, rows[1].reason, rows[2].action, rows[2].reason) == (5, 2, 1, 0)
    listed = json.loads(runner.invoke(app, ["observations", "--db", register_url, "--json"]).stdout)
    assert {o["seq"]: (o["action"], o["reason"], o["action_missing"]) for o in listed} == {
        1: (5, 2, False), 2: (1, 0, False)}
    table = runner.invoke(app, ["observations", "--db", register_url], env={"COLUMNS": "200"})
    assert table.exit_code == 0 and "Action" in table.stdout and "5/2" in table.stdout
    export = exported(enrolled)
    assert (export[1]["action"], export[1]["reason"], export[1]["action_missing"]) == ("5", "2", "0")
    assert list(export[1]) == list(EXPORT_COLUMNS)


def test_a_set_saved_without_its_action_is_missing_until_a_follow_up_names_it(enrolled, register_url):
    outcome = run(enrolled, [observation(1, action=0, action_missing=True), observation(2, action=0)])
    assert (outcome.new, outcome.conflicts, outcome.rejected) == (2, 0, 0)
    rows = by_seq(enrolled)
    assert rows[1].action_missing and not rows[2].action_missing  # 2 was a level with nothing to document
    table = runner.invoke(app, ["observations", "--db", register_url], env={"COLUMNS": "200"})
    assert "missing" in table.stdout
    assert exported(enrolled)[1]["action_missing"] == "1"
    # A later sync brings the follow-up; the observation itself is never changed.
    outcome = run(enrolled, [follow_up(3, 1, action=5, reason=3)])
    assert (outcome.new, outcome.already_had, outcome.conflicts) == (1, 0, 0)
    rows = by_seq(enrolled)
    assert (rows[1].action, rows[1].reason, rows[1].action_missing) == (5, 3, False)
    assert rows[1].action_followup_at == datetime.fromtimestamp(T0 + 180, timezone.utc)
    assert rows[1].action_followup_staff == 104 and len(rows) == 2  # a follow-up is not an observation
    export = exported(enrolled)[1]
    assert (export["action"], export["reason"], export["action_missing"]) == ("5", "3", "0")
    assert export["action_followup_at"] == "2026-11-18T11:09:40Z"
    with enrolled.read() as session:
        stored = session.get(Observation, (DEVICE_A, 0, 1))
        assert stored is not None and (stored.action, stored.action_missing) == (0, True)


def test_follow_ups_are_stored_exactly_once_and_a_clash_is_kept_aside(enrolled):
    first = [observation(1, action=0, action_missing=True), follow_up(2, 1)]
    assert run(enrolled, first).new == 2  # in one sync with its observation
    again = run(enrolled, first)
    assert (again.new, again.already_had, again.conflicts) == (0, 2, 0)
    changed = run(enrolled, [follow_up(2, 1, action=3)])  # the same seq with other content
    assert (changed.new, changed.conflicts) == (0, 1)
    clash = run(enrolled, [observation(2)])  # an observation numbered like the stored follow-up
    assert (clash.new, clash.conflicts) == (0, 1)
    with enrolled.read() as session:
        assert len(session.scalars(select(FollowUp)).all()) == 1
        assert len(session.scalars(select(Observation)).all()) == 1
        assert len(session.scalars(select(Conflict)).all()) == 2
    assert by_seq(enrolled)[1].action == 2  # the first follow-up stands


def test_a_follow_up_naming_no_action_or_a_later_record_is_rejected(enrolled):
    outcome = run(enrolled, [follow_up(5, 4, action=0), follow_up(6, 9)])
    assert (outcome.new, outcome.rejected) == (0, 2)


def test_a_register_from_before_follow_ups_is_upgraded_with_its_observations_kept(register_url):
    from alembic import command

    from tobs.register.db import _alembic_config

    register = open_register(register_url, announce=None)
    enroll_device(register, DEVICE_A, SITE)
    run(register, [observation(1, action=0, action_missing=True)])
    with register.engine.begin() as connection:  # back to the schema before follow-ups, as an older tobs left it
        config = _alembic_config()
        config.attributes["connection"] = connection
        command.downgrade(config, "0002")
        assert connection.execute(text("SELECT count(*) FROM observations")).scalar() == 1
    register.close()
    upgraded = open_register(register_url, announce=None)  # opening it upgrades it in place
    try:
        (row,) = list_observations(upgraded)
        assert (row.seq, row.action, row.action_missing) == (1, 0, False)  # stored before the flag existed
        assert run(upgraded, [follow_up(2, 1)]).new == 1 and by_seq(upgraded)[1].action == 2
    finally:
        upgraded.close()


# ---- the whole path ------------------------------------------------------------------------------------------------
def test_a_set_saved_at_an_idle_logout_is_missing_in_the_register_until_the_handheld_records_it(tmp_path):
    register = open_register(f"sqlite:///{tmp_path / 'register.sqlite3'}", announce=None)
    try:
        with VirtualPico(tmp_path / "pico", heap="128k") as pico:
            pico.press("1001#1234#" "#207#130##30##395#85#3" "#")  # total 10: the action menu
            pico.advance(10 * 60_000 + 1_000)  # idle logout: saved without the action
            with Link(pico.port) as link:
                enroll(link, register, "nat")
                assert sync(link, register).new == 1
            (row,) = list_observations(register, site="nat")
            assert (row.patient, row.total, row.action, row.action_missing) == (207, 10, 0, True)
            pico.press("1002#5678#" "1" "2")  # the next nurse records it: called the doctor
            assert pico.screen.text_lines()[0].strip() == "Gemt"
            with Link(pico.port) as link:
                assert sync(link, register).new == 1
            (row,) = list_observations(register, site="nat")
            assert (row.action, row.action_missing, row.action_followup_staff) == (2, False, 1002)
    finally:
        register.close()


def test_the_web_board_and_patient_page_take_an_action_recorded_later(tmp_path):
    register = open_register(f"sqlite:///{tmp_path / 'register.sqlite3'}", announce=None)
    try:
        now = datetime.now(timezone.utc)
        lacking = web_observation(DEVICE_A, 1, 207, now, HIGH)
        lacking["action_missing"] = True
        store(register, DEVICE_A, SITE, [lacking])
        (row,) = ward_board(register, SITE, now=now)
        assert row.escalation_missing
        later = follow_up(2, 1, action=2)
        later["patient"] = 207
        run(register, [later])
        (row,) = ward_board(register, SITE, now=now)
        assert not row.escalation_missing and row.action == 2
        record = patient_record(register, SITE, 207)
        assert record is not None and [s.action for s in record.sets] == [2]
    finally:
        register.close()
