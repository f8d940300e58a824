"""The audit log takes every patient number a handheld can record (up to 2^32 - 1) on SQLite and PostgreSQL, and
says per patient whether a name or a whole CPR number was shown, not merely that the patient was listed."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from typer.testing import CliRunner
from web_support import CALM, PASSWORD, login, observation, store

from tobs.cli import app
from tobs.register.audit import entries_for_patient
from tobs.register.queries import set_patient_identity
from tobs.web.accounts import add_user

HIGHEST = 0xFFFFFFFF
DEVICE = "e6614103e7452d2f"
runner = CliRunner()


def shown(register, patient: int, what: str) -> list[bool]:
    return [e.identity_shown for e in entries_for_patient(register, patient, "ward") if e.what == what]


def test_the_highest_patient_number_is_audited_in_the_web_view_and_the_cli(register, register_url, tmp_path,
                                                                            monkeypatch):
    monkeypatch.setenv("TOBS_LOG_DIR", str(tmp_path / "log"))
    at = datetime.now(timezone.utc) - timedelta(hours=1)
    store(register, DEVICE, "ward", [observation(DEVICE, 1, HIGHEST, at, CALM), observation(DEVICE, 2, 7, at, CALM)])
    set_patient_identity(register, "ward", HIGHEST, name="Else Jensen", cpr="0101501234")
    set_patient_identity(register, "ward", 7, cpr="0202602345")  # a CPR number and no name
    add_user(register, "nurse", PASSWORD, "nurse", "ward")

    from fastapi.testclient import TestClient

    from tobs.web.app import create_app

    with TestClient(create_app(register), base_url="http://127.0.0.1") as client:
        login(client, "nurse")
        page = client.get(f"/site/ward/patient/{HIGHEST}")
        assert page.status_code == 200 and "Else Jensen" in page.text
    assert shown(register, HIGHEST, "patient_page") == [True]

    listed = runner.invoke(app, ["patients", "--json", "--db", register_url])
    assert listed.exit_code == 0, listed.output
    assert "0101501234" not in listed.output and "010150-****" in listed.output
    # Patient 7's CPR number was masked and it has no name: nothing identifying was printed.
    assert shown(register, HIGHEST, "cli_patients") == [True] and shown(register, 7, "cli_patients") == [False]

    whole = runner.invoke(app, ["patients", "--show-cpr", "--json", "--db", register_url])
    assert whole.exit_code == 0 and "0202602345" in whole.output
    assert shown(register, 7, "cli_patients") == [False, True]

    listed = runner.invoke(app, ["observations", "--patient", str(HIGHEST), "--db", register_url])
    assert listed.exit_code == 0, listed.output
    log = json.loads(runner.invoke(app, ["audit", "--patient", str(HIGHEST), "--json", "--db", register_url]).output)
    assert [(e["what"], e["patient"]) for e in log] == [
        ("patient_page", HIGHEST), ("cli_patients", HIGHEST), ("cli_patients", HIGHEST), ("cli_observations", HIGHEST)]


def test_a_register_made_before_the_migration_takes_the_highest_number_once_opened(register_url):
    from alembic import command
    from sqlalchemy import create_engine, text

    from tobs.register.db import _alembic_config, open_register

    # The register as the previous release left it: schema 0006, whose audit log has a 32-bit patient number.
    engine = create_engine(register_url.replace("postgresql://", "postgresql+psycopg://", 1))
    config = _alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        try:
            command.upgrade(config, "0006")
        finally:
            config.attributes.pop("connection", None)
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0006"
    engine.dispose()
    register = open_register(register_url, announce=None)  # upgrades to 0007
    try:
        from tobs.register.audit import Viewer, record_views

        assert record_views(register, Viewer("nurse", "nurse", "pc"), "patient_page", "ward", [HIGHEST],
                            identity_shown=False) == 1
        assert [e.patient_number for e in entries_for_patient(register, HIGHEST)] == [HIGHEST]
    finally:
        register.close()
