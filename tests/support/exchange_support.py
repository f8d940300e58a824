"""A small register for the exchange tests: one handheld's sets synced at a site, CPR numbers for some patients."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

from register_support import DEVICE_A, SITE, batch
from typer.testing import CliRunner

from tobs.cli import app
from tobs.register.db import open_register
from tobs.register.ingest import ingest
from tobs.register.keys import enroll_device
from tobs.register.queries import set_patient_identity

runner = CliRunner()
# Fictitious CPR numbers (valid dates, serials no person has been given by these tests' authority).
CPR_1 = "0101409996"
CPR_2 = "1502519995"


def filled_register(folder: Path, sets: int = 30) -> str:
    """An SQLite register with `sets` sets of DEVICE_A at SITE (25 patients); patients 1 and 2 have CPR numbers."""
    url = str(folder / "register.sqlite3")
    register = open_register(url, announce=None)
    try:
        enroll_device(register, DEVICE_A, SITE)
        ingest(register, DEVICE_A, batch(DEVICE_A, range(sets)), pc_user="nurse", pc_host="pc1",
               started_at=datetime.now(timezone.utc))
        set_patient_identity(register, SITE, 1, name="Else Testesen", cpr=CPR_1)
        set_patient_identity(register, SITE, 2, cpr=CPR_2)
    finally:
        register.close()
    return url


def invoke(*args: str):
    return runner.invoke(app, [str(a) for a in args])


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))
