"""The web view's commands: accounts, the per-patient audit log (CLI listings and exports are audited too), site
configurations, and one-sentence errors."""

import json
from pathlib import Path

from typer.testing import CliRunner

from tobs.cli import app
from tobs.reports.guidance import example_config_path

runner = CliRunner()


def run(*args, stdin=None):
    return runner.invoke(app, [str(a) for a in args], input=stdin)


def test_user_add_list_and_errors(filled):
    db = filled.url.database
    added = run("user", "add", "ny-leder", "--role", "leader", "--site", "site-b", "--password-stdin", "--db", db,
                stdin="et-langt-kodeord\n")
    assert added.exit_code == 0, added.output
    listed = json.loads(run("user", "list", "--json", "--db", db).output)
    assert {"username": "ny-leder", "role": "leader", "site": "site-b", "name": None, "active": True} in listed
    short = run("user", "add", "kort", "--role", "nurse", "--site", "site-a", "--password-stdin", "--db", db,
                stdin="kort\n")
    assert short.exit_code == 2 and "at least 10 characters" in short.output and "Traceback" not in short.output
    no_site = run("user", "add", "uden", "--role", "nurse", "--password-stdin", "--db", db, stdin="et-langt-kodeord\n")
    assert no_site.exit_code == 2 and "--site" in no_site.output
    assert run("user", "disable", "ny-leder", "--db", db).exit_code == 0
    assert not [u for u in json.loads(run("user", "list", "--json", "--db", db).output)
                if u["username"] == "ny-leder"][0]["active"]


def test_exports_and_listings_are_in_the_patients_audit_log(filled, tmp_path):
    db = filled.url.database
    assert run("export", "--csv", tmp_path / "out.csv", "--site", "site-a", "--db", db).exit_code == 0
    assert run("observations", "--patient", "102", "--db", db).exit_code == 0
    log = json.loads(run("audit", "--patient", "102", "--site", "site-a", "--json", "--db", db).output)
    assert [entry["what"] for entry in log] == ["csv_export", "cli_observations"]
    assert all(entry["role"] == "pc" for entry in log)
    other = json.loads(run("audit", "--patient", "201", "--json", "--db", db).output)
    assert other == []  # the export was of site A only


def test_site_config_add_makes_its_bands_known(filled, tmp_path):
    db = filled.url.database
    config = json.loads(example_config_path().read_text())
    config["example"] = False
    config["site_id"] = "site-a"
    path = Path(tmp_path / "site.json")
    path.write_text(json.dumps(config))
    done = run("site-config", "add", path, "--db", db)
    assert done.exit_code == 0 and "is in the register" in done.output
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    refused = run("site-config", "add", broken, "--db", db)
    assert refused.exit_code == 2 and "is not JSON" in refused.output
