"""`tobs patients`, `tobs observations`, `tobs export` and `tobs patient-info` against a real register."""

from __future__ import annotations

import csv
import io
import json
import socket
from datetime import datetime, timezone

import pytest
from register_support import DEVICE_A, SITE, batch
from typer.testing import CliRunner

from tobs.cli import app
from tobs.register.db import open_register
from tobs.register.ingest import ingest
from tobs.register.keys import enroll_device
from tobs.register.queries import EXPORT_COLUMNS

runner = CliRunner()


@pytest.fixture
def filled(register_url):
    register = open_register(register_url, announce=None)
    enroll_device(register, DEVICE_A, SITE)
    ingest(register, DEVICE_A, batch(DEVICE_A, range(30)), pc_user="nurse", pc_host="pc1",
           started_at=datetime.now(timezone.utc))
    register.close()
    return register_url


def invoke(*args: str):
    return runner.invoke(app, list(args))


def test_patients_as_table_and_json(filled):
    table = invoke("patients", "--db", filled)
    assert table.exit_code == 0, table.output
    assert "Patients (25)" in table.stdout and SITE in table.stdout
    listed = json.loads(invoke("patients", "--db", filled, "--json").stdout)
    assert [(p["site"], p["patient"]) for p in listed] == [(SITE, n) for n in range(1, 26)]
    assert sum(p["observations"] for p in listed) == 30


def test_observations_filtered_by_patient_and_site(filled):
    mine = json.loads(invoke("observations", "--db", filled, "--patient", "3", "--json").stdout)
    assert [o["seq"] for o in mine] == [27, 2]
    assert all(o["patient"] == 3 and o["site"] == SITE for o in mine)
    assert json.loads(invoke("observations", "--db", filled, "--site", "elsewhere", "--json").stdout) == []
    table = invoke("observations", "--db", filled, "--limit", "5")
    assert table.exit_code == 0 and "Observations (5)" in table.stdout


def test_export_to_stdout_and_to_a_file(filled, tmp_path):
    result = invoke("export", "--db", filled, "--csv", "-")
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert tuple(rows[0]) == EXPORT_COLUMNS and len(rows) == 31
    target = tmp_path / "out.csv"
    result = invoke("export", "--db", filled, "--csv", str(target), "--patient", "1")
    assert result.exit_code == 0 and "Exported 2 observations" in result.stderr
    with open(target, newline="", encoding="utf-8") as stream:
        assert len(list(csv.reader(stream))) == 3
    assert not (tmp_path / "out.csv.part").exists()


def test_patient_info_is_stored_on_the_pc(filled):
    result = invoke("patient-info", "--db", filled, "--site", SITE, "--patient", "4", "--name", "Else Ærø",
                    "--cpr", "010203-1234")
    assert result.exit_code == 0, result.output
    listed = {p["patient"]: p for p in json.loads(invoke("patients", "--db", filled, "--json").stdout)}
    assert listed[4]["name"] == "Else Ærø" and listed[4]["cpr"] == "010203-****"
    shown = {p["patient"]: p for p in json.loads(invoke("patients", "--db", filled, "--json", "--show-cpr").stdout)}
    assert shown[4]["cpr"] == "0102031234"
    bad = invoke("patient-info", "--db", filled, "--site", SITE, "--patient", "4", "--cpr", "99")
    assert bad.exit_code == 2 and "10 digits" in bad.stderr


def one_sentence_error(result) -> str:
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: ")
    return lines[0]


def test_an_unreachable_register_is_one_sentence_and_a_failing_exit_code():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result = invoke("patients", "--db", f"postgresql://tobs@127.0.0.1:{port}/register")
    assert result.exit_code == 1
    assert "cannot be reached" in one_sentence_error(result)


def test_a_bad_db_url_and_a_missing_export_folder(tmp_path, register_url):
    assert "SQLite or PostgreSQL" in one_sentence_error(invoke("patients", "--db", "mysql://x@y/z"))
    error = one_sentence_error(invoke("export", "--db", register_url, "--csv", str(tmp_path / "no" / "x.csv")))
    assert "does not exist" in error


def test_the_register_can_come_from_the_environment(filled, monkeypatch):
    monkeypatch.setenv("TOBS_DB", filled)
    assert len(json.loads(invoke("observations", "--json").stdout)) == 30
