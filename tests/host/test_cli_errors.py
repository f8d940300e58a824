"""Every bad input a user can type ends with one sentence naming what is wrong and a non-zero exit, never a
traceback; files holding patients' data are owner-only; an unexpected fault is logged, not shown."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tobs.cli import app

runner = CliRunner()


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("TOBS_LOG_DIR", str(tmp_path / "log"))
    monkeypatch.delenv("TOBS_DB", raising=False)
    (tmp_path / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    (tmp_path / "latin1.json").write_bytes(b'{"site_id": "\xe6\xf8\xe5"}')
    (tmp_path / "broken.json").write_text("{")
    (tmp_path / "folder").mkdir()
    (tmp_path / "register.sqlite3").touch()
    return tmp_path


DB = ["--db", "{home}/register.sqlite3"]
SCORE = ["--pulse", "72", "--resp", "14", "--temp", "36.8", "--sys-bp", "132", "--awareness", "habitual"]
# (arguments, a word the one sentence must contain)
BAD = [
    (["patients", "--db", "postgresql://u@h:notaport/db"], "not a database URL"),
    (["patients", "--db", "postgresql://u@h:99999/db"], "port 99999"),
    (["patients", "--db", "/etc/passwd"], "not a tobs register"),
    (["patients", "--db", ""], "--db"),
    (["patients", "--db", "{home}/folder"], "is a folder"),
    (["patients", "--db", "{home}/no/such/register.sqlite3"], "does not exist"),
    (["patients", "--db", "{home}/deep.json"], "not a tobs register"),
    (["patients", "--site", "", *DB], "--site"),
    (["patients", "--site", "x" * 33, *DB], "--site"),
    (["export", "--csv", "", *DB], "--csv"),
    (["export", "--csv", "{home}/folder", *DB], "--csv"),
    (["export", "--csv", "{home}/no/such/x.csv", *DB], "does not exist"),
    (["export", "--csv", "-", "--patient", "-1", *DB], "--patient"),
    (["observations", "--patient", "99999999999999999999999", *DB], "--patient"),
    (["observations", "--patient", "4294967296", *DB], "--patient"),
    (["observations", "--patient", "ten", *DB], "--patient"),
    (["observations", "--limit", "0", *DB], "--limit"),
    (["observations", "--limit", "99999999999999999999999", *DB], "--limit"),
    (["patient-info", "--site", "ward", "--patient", "99999999999", "--name", "A", *DB], "--patient"),
    (["patient-info", "--site", "", "--patient", "1", "--name", "A", *DB], "--site"),
    (["audit", "--patient", "99999999999999999999", *DB], "--patient"),
    (["site-config", "add", "{home}/deep.json", *DB], "deeper than"),
    (["site-config", "add", "{home}/latin1.json", *DB], "UTF-8"),
    (["site-config", "add", "{home}/folder", *DB], "folder"),
    (["site-config", "add", "{home}/missing.json", *DB], "no file"),
    (["site-config", "add", "{home}/broken.json", *DB], "not JSON"),
    (["fhir", "export", "--site", "ward", "--out", "", *DB], "--out"),
    (["fhir", "check", "{home}/deep.json"], "deeper than"),
    (["site", "push", "{home}/deep.json", "--port", "{home}/no-such-port"], "deeper than"),
    (["site", "push", "{home}/latin1.json", "--port", "{home}/no-such-port"], "UTF-8"),
    (["fhir", "check", "{home}/latin1.json"], "UTF-8"),
    (["fhir", "check", "{home}/folder"], "folder"),
    (["fhir", "setup", "{home}/deep.json", *DB], "deeper than"),
    (["fhir", "ack", "{home}/deep.json", *DB], "deeper than"),
    # The device commands, the chart, the virtual handheld, reports, accounts, the web view, the GP message and the
    # PIN hash: each refuses by name before it touches a port, a file or a network.
    (["score", *SCORE, "--pulse", "\u0667\u0662"], "Pulse"),  # Arabic-Indic digits: isdigit() but no keypad
    (["score", *SCORE, "--pulse", "7_2"], "Pulse"),
    (["score", *SCORE, "--pulse", "-5"], "Pulse"),
    (["score", *SCORE, "--temp", "inf"], "Temperature"),
    (["score", *SCORE, "--temp", "nan"], "Temperature"),
    (["score", *SCORE, "--awareness", "asleep"], "Awareness"),
    (["sim", "--heap", "lots"], "--heap"),
    (["sim", "--heap", "-1"], "--heap"),
    (["sim", "--keys-file", "{home}/latin1.json"], "UTF-8"),
    (["sim", "--keys-file", "{home}/missing.keys"], "No such file"),
    (["sim", "--run-dir", "{home}/register.sqlite3"], "is a file"),
    (["sim", "--screenshots", "{home}/register.sqlite3/shots", "--keys", "1"], "is a file"),
    (["sim", "--entry", "{home}/missing.py"], "--entry"),
    (["sim", "--clock", "noon"], "--clock"),
    (["sim", "--target", "pico2"], "--target"),
    (["demo", "--heap", "lots"], "--heap"),
    (["demo", "--run-dir", "{home}/register.sqlite3"], "is a file"),
    (["deploy", "--port", "{home}/no-such-port"], "no serial port"),
    (["deploy", "--port", "{home}/folder"], "Cannot open"),
    (["sync", "--port", "{home}/no-such-port", *DB], "Cannot open"),
    (["sync", "--port", "{home}/register.sqlite3", *DB], "Cannot open"),
    (["enroll", "--site", "ward", "--port", "{home}/no-such-port", *DB], "Cannot open"),
    (["report", "--site", "ward", "--from", "someday", "--to", "2026-12-01", "--out", "{home}/r", *DB], "--from"),
    (["report", "--site", "ward", "--from", "2026-13-01", "--to", "2026-12-01", "--out", "{home}/r", *DB], "--from"),
    (["report", "--site", "ward", "--from", "2026-12-01", "--to", "2026-11-01", "--out", "{home}/r", *DB], "--to"),
    (["report", "--site", "ward", "--from", "2026-11-01", "--to", "2026-12-01", "--out", "{home}/r", "--unit",
      "year", *DB], "--unit"),
    (["user", "add", "Bad Name!", "--role", "nurse", "--site", "ward", "--password-stdin", *DB], "user name"),
    (["user", "add", "anna", "--role", "king", "--password-stdin", *DB], "role"),
    (["user", "disable", "nobody", *DB], "no user"),
    (["serve", "--host", "", *DB], "--host"),
    (["serve", "--host", " ", *DB], "--host"),
    (["serve", "--host", "no such host!", *DB], "--host"),
    (["serve", "--idle-min", "nan", *DB], "--idle-min"),
    (["serve", "--idle-min", "inf", *DB], "--idle-min"),
    (["serve", "--idle-min", "-1", *DB], "--idle-min"),
    (["serve", "--port", "70000", *DB], "--port"),
    (["fhir", "message", "--site", "ward", "--patient", "4294967296", "--to", "1", "--out", "{home}/o", *DB],
     "--patient"),
    (["fhir", "message", "--site", "ward", "--patient", "x", "--to", "1", "--out", "{home}/o", *DB], "--patient"),
    (["fhir", "message", "--site", "ward", "--patient", "1", "--to", "1", "--out", "{home}/o", "--sets", "x:y", *DB],
     "--sets"),
    (["site", "pin-hash", "--salt", "s", "--staff", "1001", "--pin", "\u0661\u0662\u0663\u0664"], "--pin"),
    (["site", "pin-hash", "--salt", "s", "--staff", "1001", "--pin", "\u00b2\u00b3\u00b9\u2074"], "--pin"),
    (["site", "pin-hash", "--salt", "s", "--staff", "1001", "--pin", "123"], "--pin"),
    (["site", "pin-hash", "--salt", "s", "--staff", "1001", "--pin", "123456789"], "--pin"),
    (["site", "pin-hash", "--salt", "s", "--staff", "0", "--pin", "1234"], "--staff"),
    (["site", "pin-hash", "--salt", "s", "--staff", "100000000", "--pin", "1234"], "--staff"),
    (["site", "pin-hash", "--salt", "", "--staff", "1001", "--pin", "1234"], "--salt"),
    (["patients", "--no-such-option"], "--no-such-option"),
    (["no-such-command"], "no-such-command"),
]


def one_sentence(result) -> str:
    assert "Traceback" not in result.output and "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.mark.parametrize(("args", "named"), BAD, ids=[" ".join(a)[:60] for a, _ in BAD])
def test_a_bad_input_is_one_sentence_naming_it(home, args, named):
    result = runner.invoke(app, [a.format(home=home) for a in args])
    assert result.exit_code not in (0, 70), result.output
    assert named in one_sentence(result)


def test_an_unexpected_fault_is_one_sentence_and_its_traceback_goes_to_an_owner_only_log(home, monkeypatch):
    from tobs.register import queries

    def broken(*_args, **_kwargs):
        raise ZeroDivisionError("0102031234 must not reach the terminal")

    monkeypatch.setattr(queries, "list_patients", broken)
    result = runner.invoke(app, ["patients", "--db", str(home / "register.sqlite3")])
    assert result.exit_code == 70
    line = one_sentence(result)
    assert "internal error (ZeroDivisionError)" in line and "0102031234" not in line
    log = home / "log" / "internal-errors.log"
    assert str(log) in line
    assert "ZeroDivisionError: 0102031234" in log.read_text() and "Traceback" in log.read_text()
    assert stat.S_IMODE(log.stat().st_mode) == 0o600
    assert stat.S_IMODE(log.parent.stat().st_mode) == 0o700


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_register_its_folder_and_its_wal_files_are_owner_only(home):
    os.umask(0o022)
    result = runner.invoke(app, ["patient-info", "--site", "ward", "--patient", "1", "--name", "A"])
    assert "not in the register" in result.stderr  # opened (and created) the default register
    folder = home / "data" / "tobs"
    assert mode(folder) == 0o700 and mode(folder / "register.sqlite3") == 0o600
    from tobs.register.db import open_register

    register = open_register(None, announce=None)
    try:
        with register.engine.connect() as connection:
            connection.exec_driver_sql("SELECT count(*) FROM sites").all()
            assert mode(folder / "register.sqlite3-wal") == 0o600
            assert mode(folder / "register.sqlite3-shm") == 0o600
    finally:
        register.close()


def test_a_register_others_could_read_is_tightened_and_said_so(home):
    path = home / "loose.sqlite3"
    assert runner.invoke(app, ["patients", "--db", str(path)]).exit_code == 0
    os.chmod(path, 0o644)
    result = runner.invoke(app, ["patients", "--db", str(path)])
    assert result.exit_code == 0 and "owner-only now" in result.stderr
    assert mode(path) == 0o600


def test_a_file_that_is_no_register_is_never_chmodded(home):
    other = home / "notes.txt"
    other.write_text("not a database")
    os.chmod(other, 0o644)
    assert runner.invoke(app, ["patients", "--db", str(other)]).exit_code == 2
    assert mode(other) == 0o644


def test_the_csv_export_is_owner_only(home):
    os.umask(0o022)
    target = home / "export.csv"
    result = runner.invoke(app, ["export", "--csv", str(target), "--db", str(home / "register.sqlite3")])
    assert result.exit_code == 0, result.output
    assert mode(target) == 0o600


def tobs(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", "from tobs.cli import main; main()", *args], capture_output=True,
                          text=True, timeout=120, **kwargs)


def test_the_entry_point_names_a_full_standard_output(home):
    with open("/dev/full", "w") as full:
        done = subprocess.run([sys.executable, "-c", "from tobs.cli import main; main()", "export", "--csv", "-",
                               "--db", str(home / "register.sqlite3")], stdout=full, stderr=subprocess.PIPE,
                              text=True, timeout=120)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines() == [
        "Error: standard output cannot be written (No space left on device); the output is incomplete."]


def test_the_entry_point_names_a_broken_pipe(home):
    reader = subprocess.Popen([sys.executable, "-c", "from tobs.cli import main; main()", "fhir", "--help"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert reader.stdout is not None and reader.stderr is not None
    reader.stdout.close()  # like `| head` that has read enough
    errors = reader.stderr.read()
    assert reader.wait(timeout=120) == 1
    assert errors.strip().splitlines() == [
        "Error: the program reading tobs' standard output closed it (broken pipe); the rest was not written."]
