"""The register on SQLite and on a real PostgreSQL server: schema, exactly-once ingest, conflicts, rejects, flags,
locks and unreachable servers, clock repair and the CSV export."""

from __future__ import annotations

import csv
import io
import re
import sqlite3
from datetime import datetime, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from register_support import DEVICE_A, DEVICE_B, SITE, T0, batch, encoded, fields, record
from sqlalchemy import func, inspect, select, text

import tobs_core
import tobs_labels
import tobs_record
from tobs.register.checks import FLAG_CLOCK_UNKNOWN, FLAG_SCORE_MISMATCH, FLAG_UNKNOWN_CORE, content_hash
from tobs.register.clock import repair_times
from tobs.register.db import RegisterError, RegisterUnavailable, open_register, schema_head
from tobs.register.ingest import ingest
from tobs.register.keys import UnknownDevice, device_key, enroll_device, ensure_site
from tobs.register.models import Base, Conflict, Observation, Patient, RejectedRecord, Site, Staff, SyncLog
from tobs.register.queries import (
    EXPORT_COLUMNS,
    export_rows,
    list_observations,
    list_patients,
    set_patient_identity,
    write_csv,
)

TABLES = {"sites", "devices", "staff", "patients", "sync_log", "observations", "follow_ups", "conflicts",
          "rejected_records"}


def run(register, device, records):
    return ingest(register, device, records, pc_user="nurse", pc_host="pc1", started_at=datetime.now(timezone.utc))


def count(register, model, *where) -> int:
    with register.read() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


@pytest.fixture
def enrolled(register):
    enroll_device(register, DEVICE_A, SITE)
    return register


# --- schema -------------------------------------------------------------------------------------------------


def test_migrations_create_the_schema_from_empty(register_url):
    register = open_register(register_url, announce=None)
    try:
        assert TABLES <= set(inspect(register.engine).get_table_names())
        with register.engine.connect() as connection:
            assert MigrationContext.configure(connection).get_current_heads() == (schema_head(),)
            # The models and the migrated schema describe the same tables, columns, keys and indexes.
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
    finally:
        register.close()
    again = open_register(register_url, announce=None)  # at head: opening again changes nothing
    again.close()


def test_a_schema_newer_than_this_program_is_refused(register_url):
    open_register(register_url, announce=None).close()
    register = open_register(register_url, announce=None)
    with register.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999_from_the_future'"))
    register.close()
    with pytest.raises(RegisterUnavailable, match="newer than this program") as caught:
        open_register(register_url, announce=None)
    assert "\n" not in str(caught.value)


def test_default_register_is_a_file_in_the_data_folder_announced_once(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    told: list[str] = []
    register = open_register(None, announce=told.append)
    register.close()
    expected = tmp_path / "data" / "tobs" / "register.sqlite3"
    assert expected.exists()
    assert told == [f"Created a new register: {expected}"]
    assert register.created_path == expected
    open_register(None, announce=told.append).close()
    assert len(told) == 1


def test_a_url_that_is_no_register_is_a_clear_error():
    with pytest.raises(RegisterError, match="SQLite or PostgreSQL"):
        open_register("mysql://someone@somewhere/db", announce=None)


# --- enrolment ----------------------------------------------------------------------------------------------


def test_enrolment_keeps_the_key_and_moves_the_site(register):
    assert device_key(register, DEVICE_A) is None
    key = enroll_device(register, DEVICE_A.upper(), SITE)
    assert len(key) == 32
    assert device_key(register, DEVICE_A) == key
    assert enroll_device(register, DEVICE_A, "skive") == key
    new = enroll_device(register, DEVICE_A, "skive", new_key=True)
    assert new != key and device_key(register, DEVICE_A) == new
    assert enroll_device(register, DEVICE_B, SITE) != new
    ensure_site(register, "skive", "Skive Kommune")
    with register.read() as session:
        assert session.get(Site, "skive").name == "Skive Kommune"
    with pytest.raises(RegisterError, match="not a site code"):
        enroll_device(register, DEVICE_A, "has space")
    with pytest.raises(RegisterError, match="not a device id"):
        enroll_device(register, "xyz", SITE)


# --- ingest ---------------------------------------------------------------------------------------------------


def test_ingest_counts_new_and_a_second_sync_adds_nothing(enrolled):
    records = batch(DEVICE_A, range(1, 41))
    first = run(enrolled, DEVICE_A, records)
    assert (first.new, first.already_had, first.conflicts, first.rejected, first.flagged) == (40, 0, 0, 0, 0)
    second = run(enrolled, DEVICE_A, batch(DEVICE_A, range(1, 41)))
    assert (second.new, second.already_had, second.conflicts, second.rejected) == (0, 40, 0, 0)
    assert count(enrolled, Observation) == 40
    with enrolled.read() as session:
        log = session.scalars(select(SyncLog).order_by(SyncLog.id)).all()
        assert [(s.new, s.already_had, s.device_id, s.pc_user, s.pc_host) for s in log] == [
            (40, 0, DEVICE_A, "nurse", "pc1"), (0, 40, DEVICE_A, "nurse", "pc1")]
        assert all(s.finished_at is not None and s.finished_at >= s.started_at for s in log)
        # Patients and staff are the site's local numbers, each once.
        assert session.scalar(select(func.count()).select_from(Patient)) == 25
        assert session.scalar(select(func.count()).select_from(Staff)) == 4
        assert {p.site_code for p in session.scalars(select(Patient))} == {SITE}


def test_an_empty_sync_is_still_audited(enrolled):
    outcome = run(enrolled, DEVICE_A, [])
    assert (outcome.new, outcome.already_had, outcome.rejected) == (0, 0, 0)
    assert count(enrolled, SyncLog) == 1


def test_the_stored_observation_keeps_raw_values_and_the_registers_score(enrolled):
    sent = record(7, DEVICE_A)
    run(enrolled, DEVICE_A, [sent])
    with enrolled.read() as session:
        o = session.get(Observation, (DEVICE_A, 0, 7))
    expected = tobs_core.score(sent["pulse"], sent["resp"], sent["temp_raw"] / 10, sent["sys_bp"], sent["awareness"],
                               sent["temp_site"])
    assert (o.pulse, o.resp, o.temp_raw, o.temp_site, o.sys_bp, o.awareness) == (
        sent["pulse"], sent["resp"], sent["temp_raw"], sent["temp_site"], sent["sys_bp"], sent["awareness"])
    assert o.temp_scored == expected.temp_scored_tenths
    assert {p: getattr(o, f"{p}_pts") for p in tobs_core.PARAMETERS} == expected.points
    assert o.total == expected.total == o.device_total
    assert (o.site_code, o.patient_number, o.staff_number, o.action) == (SITE, sent["patient"], sent["staff"], 1)
    assert o.measured_at == datetime.fromtimestamp(sent["measured_at"], timezone.utc)
    assert o.clock_quality == "device" and o.flags == ""
    assert o.content_hash == content_hash(sent)


def test_same_seq_with_other_content_is_a_conflict_and_the_original_stays(enrolled):
    original = record(5, DEVICE_A)
    run(enrolled, DEVICE_A, [original])
    changed = record(5, DEVICE_A, pulse=original["pulse"] + 1)
    outcome = run(enrolled, DEVICE_A, [changed, record(6, DEVICE_A)])
    assert (outcome.new, outcome.already_had, outcome.conflicts) == (1, 0, 1)
    with enrolled.read() as session:
        assert session.get(Observation, (DEVICE_A, 0, 5)).pulse == original["pulse"]
        kept = session.scalars(select(Conflict)).one()
        assert (kept.device_id, kept.seq, kept.content["pulse"]) == (DEVICE_A, 5, original["pulse"] + 1)
        assert kept.content_hash == content_hash(changed)
    again = run(enrolled, DEVICE_A, [changed])  # the same conflict sent again is counted but kept once
    assert again.conflicts == 1
    assert count(enrolled, Conflict) == 1


def test_a_batch_carrying_one_seq_twice(enrolled):
    first = record(3, DEVICE_A)
    other = record(3, DEVICE_A, staff=999)
    outcome = run(enrolled, DEVICE_A, [first, record(3, DEVICE_A), other])
    assert (outcome.new, outcome.already_had, outcome.conflicts) == (1, 1, 1)
    with enrolled.read() as session:
        assert session.get(Observation, (DEVICE_A, 0, 3)).staff_number == first["staff"]


def test_rejected_records_are_counted_and_kept_with_their_bytes(enrolled):
    good_raw = encoded(fields(10), 10)
    torn = bytearray(good_raw)
    torn[40] ^= 0xFF
    bad_tag = record(11, DEVICE_A)
    bad_tag.update(rejected_reason="authentication tag does not verify", raw=encoded(fields(11), 11))
    off_chart = record(12, DEVICE_A, pulse=12)  # below the plausible range: the register cannot score it
    other_device = record(13, DEVICE_B)
    records = [
        {"rejected_reason": "checksum: bad CRC: record is torn or corrupt", "raw": bytes(torn)},
        bad_tag, off_chart, other_device, record(14, DEVICE_A),
    ]
    outcome = run(enrolled, DEVICE_A, records)
    assert (outcome.new, outcome.rejected) == (1, 4)
    with enrolled.read() as session:
        kept = {r.seq: r for r in session.scalars(select(RejectedRecord))}
        assert set(kept) == {None, 11, 12, 13}
        assert kept[None].raw == bytes(torn) and kept[None].reason.startswith("checksum")
        assert kept[11].raw == bad_tag["raw"] and kept[11].reason == "authentication tag does not verify"
        assert kept[12].reason.startswith("values cannot be scored: Pulse must be between 20 and 250")
        assert kept[12].content["pulse"] == 12
        assert kept[13].reason == "the record belongs to another device"
        assert session.scalars(select(Observation.seq)).all() == [14]
    again = run(enrolled, DEVICE_A, records)  # sent again: counted again, stored once
    assert (again.rejected, again.already_had) == (4, 1)
    assert count(enrolled, RejectedRecord) == 4


def test_score_mismatch_and_unknown_core_are_flagged(enrolled):
    honest = record(20, DEVICE_A)
    wrong_points = dict(honest["points"], pulse=(honest["points"]["pulse"] + 1) % 4)
    mismatched = record(21, DEVICE_A, points=wrong_points, total=sum(wrong_points.values()))
    other_core = record(22, DEVICE_A, core_id="deadbeef")
    outcome = run(enrolled, DEVICE_A, [honest, mismatched, other_core])
    assert (outcome.new, outcome.flagged) == (3, 2)
    with enrolled.read() as session:
        stored = {o.seq: o for o in session.scalars(select(Observation))}
    assert stored[20].flags == ""
    assert stored[21].flags == FLAG_SCORE_MISMATCH
    assert stored[21].device_points == wrong_points and stored[21].device_total == sum(wrong_points.values())
    right = fields(21)
    assert stored[21].total == right["total"] and stored[21].pulse_pts == right["points"]["pulse"]
    assert stored[22].flags == FLAG_UNKNOWN_CORE and stored[22].core_id == "deadbeef"
    assert [o.flags for o in list_observations(enrolled) if o.seq == 21] == [[FLAG_SCORE_MISMATCH]]


def test_a_device_that_is_not_enrolled_writes_nothing(register):
    with pytest.raises(UnknownDevice, match="not enrolled"):
        run(register, DEVICE_A, batch(DEVICE_A, range(3)))
    assert count(register, SyncLog) == 0 and count(register, Observation) == 0


# --- unavailable and locked -------------------------------------------------------------------------------


def test_sqlite_locked_by_another_program(tmp_path):
    path = tmp_path / "register.sqlite3"
    register = open_register(str(path), announce=None, timeout=0.3)
    enroll_device(register, DEVICE_A, SITE)
    holder = sqlite3.connect(path, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")  # another program holds the write lock
        with pytest.raises(RegisterUnavailable) as caught:
            run(register, DEVICE_A, batch(DEVICE_A, range(50)))
        message = str(caught.value)
        assert "is locked by another program" in message and "nothing was written" in message
        assert "\n" not in message and message.endswith(".")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert count(register, Observation) == 0 and count(register, SyncLog) == 0 and count(register, Patient) == 0
    assert run(register, DEVICE_A, batch(DEVICE_A, range(50))).new == 50  # free again: all of it goes in
    register.close()


def test_postgresql_locked_by_another_session(postgres_url):
    register = open_register(postgres_url, announce=None, timeout=0.5)
    enroll_device(register, DEVICE_A, SITE)
    holder = register.engine.connect()
    try:
        holder.execute(text("LOCK TABLE observations IN ACCESS EXCLUSIVE MODE"))
        with pytest.raises(RegisterUnavailable, match="is locked by another program"):
            run(register, DEVICE_A, batch(DEVICE_A, range(20)))
    finally:
        holder.rollback()
        holder.close()
    assert count(register, SyncLog) == 0 and count(register, Patient) == 0
    register.close()


def test_unreachable_postgresql_is_unavailable():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens here once the socket is closed
    with pytest.raises(RegisterUnavailable, match="cannot be reached") as caught:
        open_register(f"postgresql://tobs:secret@127.0.0.1:{port}/register", announce=None, timeout=2)
    message = str(caught.value)
    assert "\n" not in message and "secret" not in message
    assert message.startswith(f"The register postgresql://tobs:***@127.0.0.1:{port}/register cannot be reached")


def test_sqlite_file_in_a_missing_folder_is_unavailable(tmp_path):
    with pytest.raises(RegisterUnavailable, match="cannot be opened"):
        open_register(str(tmp_path / "no" / "such" / "register.sqlite3"), announce=None)


# --- clock repair -------------------------------------------------------------------------------------------


def test_repair_times_cases():
    host_now = T0 + 10_000
    valid = record(1, DEVICE_A)
    this_boot = record(2, DEVICE_A, clock_valid=False, measured_at=0, boot_count=7, ms_since_boot=65_400)
    earlier_boot = record(3, DEVICE_A, clock_valid=False, measured_at=0, boot_count=6, ms_since_boot=5_000)
    backwards = record(4, DEVICE_A, clock_valid=False, measured_at=0, boot_count=7, ms_since_boot=900_000)
    rejected = {"rejected_reason": "checksum: bad CRC", "raw": b"x"}
    records = [valid, this_boot, earlier_boot, backwards, rejected]
    hashes = [content_hash(r) for r in records[:4]]
    returned = repair_times(records, device_now_unix=0, device_boot_count=7, device_ms_since_boot=125_400,
                            host_now_unix=host_now)
    assert returned is records
    assert (valid["clock_quality"], valid["measured_at"]) == ("device", fields(1)["measured_at"])
    # Measured 60 s of uptime before the device said hello: 60 s before the PC's clock.
    assert (this_boot["clock_quality"], this_boot["measured_at"]) == ("repaired", host_now - 60)
    assert earlier_boot["clock_quality"] == "unknown" and backwards["clock_quality"] == "unknown"
    assert rejected == {"rejected_reason": "checksum: bad CRC", "raw": b"x"}
    assert [content_hash(r) for r in records[:4]] == hashes  # what the device sent is what is compared
    repair_times(records, 0, 7, 125_400, host_now)  # twice gives the same times
    assert this_boot["measured_at"] == host_now - 60 and this_boot["device_measured_at"] == 0


def test_repaired_and_unknown_times_are_stored_and_a_resync_still_matches(enrolled):
    def pulled():
        return [
            record(1, DEVICE_A),
            record(2, DEVICE_A, clock_valid=False, measured_at=0, boot_count=7, ms_since_boot=1_500),
            record(3, DEVICE_A, clock_valid=False, measured_at=0, boot_count=5, ms_since_boot=1_500),
        ]

    outcome = run(enrolled, DEVICE_A, repair_times(pulled(), 0, 7, 61_500, T0))
    assert (outcome.new, outcome.flagged) == (3, 1)
    with enrolled.read() as session:
        stored = {o.seq: o for o in session.scalars(select(Observation))}
    assert stored[1].clock_quality == "device" and stored[1].clock_valid
    assert stored[2].clock_quality == "repaired" and not stored[2].clock_valid
    assert stored[2].measured_at == datetime.fromtimestamp(T0 - 60, timezone.utc)
    assert stored[3].clock_quality == "unknown" and stored[3].measured_at is None
    assert stored[3].flags == FLAG_CLOCK_UNKNOWN and stored[3].device_measured_at == 0
    # The acknowledgement was lost: the next sync (later, another uptime) sends the same records again.
    again = run(enrolled, DEVICE_A, repair_times(pulled(), 0, 7, 3_661_500, T0 + 3600))
    assert (again.new, again.already_had, again.conflicts) == (0, 3, 0)


# --- queries and export -------------------------------------------------------------------------------------


def test_csv_export_has_exactly_the_columns_and_the_charts_points(enrolled):
    enroll_device(enrolled, DEVICE_B, "skive")
    records_a = repair_times(
        batch(DEVICE_A, range(60)) + [record(60, DEVICE_A, clock_valid=False, measured_at=0, boot_count=9)],
        0, 9, 10_000_000, T0,
    )
    run(enrolled, DEVICE_A, records_a)
    run(enrolled, DEVICE_B, batch(DEVICE_B, range(30)))
    stream = io.StringIO(newline="")
    assert write_csv(enrolled, stream) == 91
    rows = list(csv.reader(io.StringIO(stream.getvalue(), newline="")))
    assert tuple(rows[0]) == EXPORT_COLUMNS == (
        "device_id", "seq", "site", "patient", "staff", "measured_at", "clock_valid", "pulse", "resp", "temp_raw",
        "temp_site", "temp_scored", "sys_bp", "awareness", "pulse_pts", "resp_pts", "temp_pts", "sys_bp_pts",
        "awareness_pts", "total", "core_id", "action", "reason", "action_missing", "action_followup_at",
    )
    assert len(rows) == 92
    sites = set()
    for line in rows[1:]:
        row = dict(zip(EXPORT_COLUMNS, line, strict=True))
        sites.add(row["site"])
        expected = tobs_core.score(int(row["pulse"]), int(row["resp"]), float(row["temp_raw"]), int(row["sys_bp"]),
                                   row["awareness"], row["temp_site"])
        assert [int(row[f"{p}_pts"]) for p in tobs_core.PARAMETERS] == [expected.points[p]
                                                                         for p in tobs_core.PARAMETERS]
        assert int(row["total"]) == expected.total
        assert row["temp_scored"] == tobs_labels.format_tenths(expected.temp_scored_tenths, "en")
        assert row["clock_valid"] in ("0", "1")
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", row["measured_at"])
        assert row["core_id"] == tobs_core.CORE_ID
    assert sites == {SITE, "skive"}
    assert [r[1] for r in rows[1:4]] == ["0", "1", "2"]
    # Record 60: measured at 60 s of uptime, the device said hello at 10,000 s, the PC's clock then read T0.
    assert (T0 - 9_940, rows[61][5], rows[61][6]) == (1_794_990_060, "2026-11-18T08:21:00Z", "0")
    only_b = list(export_rows(enrolled, site="skive"))
    assert len(only_b) == 30 and {r[0] for r in only_b} == {DEVICE_B}


def test_unknown_time_exports_an_empty_measured_at(enrolled):
    run(enrolled, DEVICE_A, [record(1, DEVICE_A, clock_valid=False, measured_at=0, boot_count=2)])
    (row,) = export_rows(enrolled)
    assert row[EXPORT_COLUMNS.index("measured_at")] == "" and row[EXPORT_COLUMNS.index("clock_valid")] == 0


def test_patient_and_observation_listings(enrolled):
    run(enrolled, DEVICE_A, batch(DEVICE_A, range(50)))
    patients = list_patients(enrolled)
    assert [(p.site, p.number) for p in patients] == [(SITE, n) for n in range(1, 26)]
    assert sum(p.observations for p in patients) == 50
    first = patients[0]  # patient 1: records 0 and 25; 25 is the later one
    assert first.last_measured_at == datetime.fromtimestamp(T0 + 60 * 25, timezone.utc)
    assert first.last_total == fields(25)["total"]
    mine = list_observations(enrolled, patient=1)
    assert [o.seq for o in mine] == [25, 0]
    assert list_observations(enrolled, site="elsewhere") == []
    assert len(list_observations(enrolled, limit=7)) == 7


def test_name_and_cpr_live_only_on_the_pc(enrolled):
    run(enrolled, DEVICE_A, batch(DEVICE_A, range(3)))
    set_patient_identity(enrolled, SITE, 2, name="Else Jensen", cpr="290200-1234")
    set_patient_identity(enrolled, SITE, 99, name="Ny Patient")  # not seen by a device yet
    by_number = {p.number: p for p in list_patients(enrolled)}
    assert (by_number[2].name, by_number[2].cpr) == ("Else Jensen", "2902001234")
    assert by_number[2].as_dict()["cpr"] == "290200-****"
    assert by_number[99].observations == 0
    set_patient_identity(enrolled, SITE, 2, cpr="")
    assert {p.number: p for p in list_patients(enrolled)}[2].cpr is None
    with pytest.raises(RegisterError, match="10 digits"):
        set_patient_identity(enrolled, SITE, 2, cpr="12345")
    with pytest.raises(RegisterError, match="valid date"):
        set_patient_identity(enrolled, SITE, 2, cpr="320100-1234")
    with pytest.raises(RegisterError, match="not in the register"):
        set_patient_identity(enrolled, "nowhere", 2, name="X")
    # Nothing a device could receive carries the name: the export and the record format have no such field.
    assert "name" not in EXPORT_COLUMNS and "cpr" not in EXPORT_COLUMNS
    assert "name" not in tobs_record.decode(encoded(fields(1), 1))


def test_a_new_register_file_and_its_folder_are_owner_only(tmp_path, monkeypatch):
    import os
    import stat

    from tobs.register import db as register_db

    monkeypatch.setattr(register_db, "default_path", lambda: tmp_path / "data" / "tobs" / "register.sqlite3")
    old = os.umask(0o022)  # what most machines have: files 0644 unless the program says otherwise
    try:
        register = open_register(None, announce=None)
        enroll_device(register, DEVICE_A, "test")  # a write, so SQLite makes its -wal file too
        register.close()
    finally:
        os.umask(old)
    made = tmp_path / "data" / "tobs"
    assert stat.S_IMODE(made.stat().st_mode) == 0o700
    for path in made.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    explicit = tmp_path / "elsewhere.sqlite3"
    open_register(str(explicit), announce=None).close()
    assert stat.S_IMODE(explicit.stat().st_mode) == 0o600
