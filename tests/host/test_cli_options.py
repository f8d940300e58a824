"""The options every command shares mean the same everywhere: each command that takes --db also reads TOBS_DB,
says so in its --help, and opens the register it names before touching anything else."""

from __future__ import annotations

import pytest
import typer
from typer.testing import CliRunner

from tobs.cli import app

runner = CliRunner()

# The other arguments each --db command needs to get as far as opening the register. A command that gains --db
# without an entry here fails test_every_db_command_is_covered: add it, so that it is tested too.
REQUIRED = {
    "demo": [],
    "sync": [],
    "enroll": ["--site", "ward"],
    "patients": [],
    "observations": [],
    "export": ["--csv", "-"],
    "patient-info": ["--site", "ward", "--patient", "1", "--name", "A"],
    "problems": [],
    "serve": [],
    "user add": ["nina", "--role", "admin", "--password-stdin"],
    "user list": [],
    "user passwd": ["nina", "--password-stdin"],
    "user disable": ["nina"],
    "user enable": ["nina"],
    "audit": ["--patient", "1"],
    "report": ["--site", "ward", "--from", "2026-01-01", "--to", "2026-01-31", "--out", "meeting"],
    "site-config add": ["site.json"],
    "fhir export": ["--site", "ward", "--out", "-"],
    "fhir setup": ["exchange.json"],
    "fhir message": ["--site", "ward", "--patient", "1", "--to", "123456", "--out", "outbox"],
    "fhir modify": ["0f9c5a5e-2b1d-4c3e-8f7a-6d5e4c3b2a19", "--out", "outbox"],
    "fhir retract": ["0f9c5a5e-2b1d-4c3e-8f7a-6d5e4c3b2a19", "--out", "outbox", "--reason", "wrong CPR"],
    "fhir ack": ["ack.json"],
    "fhir outbox": [],
}


def commands_with_db() -> dict:
    found = {}

    def walk(command, path: list[str]) -> None:
        if hasattr(command, "commands"):  # a group of subcommands
            for name, sub in command.commands.items():
                walk(sub, [*path, name])
        elif any(p.name == "db" for p in command.params):
            found[" ".join(path)] = command

    walk(typer.main.get_command(app), [])
    return found


def test_every_db_command_is_covered():
    assert sorted(commands_with_db()) == sorted(REQUIRED)


@pytest.mark.parametrize("name", sorted(REQUIRED))
def test_db_reads_tobs_db_and_says_so(name):
    command = commands_with_db()[name]
    (db,) = [p for p in command.params if p.name == "db"]
    assert db.envvar == "TOBS_DB"
    shown = runner.invoke(app, [*name.split(), "--help"], env={"COLUMNS": "200"})
    assert shown.exit_code == 0 and "TOBS_DB" in shown.stdout
    # A register URL that only TOBS_DB gives: the command must refuse it, naming it, before anything else.
    result = runner.invoke(app, [*name.split(), *REQUIRED[name]], env={"TOBS_DB": "mysql://nurse@db/tobs"})
    assert result.exit_code == 2, result.output
    assert "SQLite or PostgreSQL, not 'mysql'" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("name", ["patients", "export"])
def test_the_db_option_wins_over_tobs_db(name, tmp_path):
    register = tmp_path / "given.sqlite3"
    result = runner.invoke(
        app, [name, *REQUIRED[name], "--db", str(register)], env={"TOBS_DB": "mysql://nurse@db/tobs"}
    )
    assert result.exit_code == 0, result.output
    assert register.exists()
