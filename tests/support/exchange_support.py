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


GP_SOR = "52581000016005"
# Example exchange details of the test site (numbers in the formats MedCom uses; no real organisation's).
EXCHANGE = {
    "site": SITE,
    "sender": {"name": "Randers Nord Rehabilitering", "sor": "1144561000016002", "ean": "5790000123117",
               "producent_id": "KAF"},
    "phone": "+45 87 12 34 56",
    "staff": {str(n): {"name": f"Sygeplejerske {n} Testsen"} for n in (100, 101, 102, 103)},
    "gps": [{"name": "Lægehuset Testvej", "sor": GP_SOR, "ean": "5790000127092", "ydernummer": "061654",
             "initials": "OKM"}],
    "ack_within_min": 120,
}


def with_exchange(folder: Path, sets: int = 30) -> str:
    url = filled_register(folder, sets)
    path = folder / "exchange.json"
    path.write_text(json.dumps(EXCHANGE), encoding="utf-8")
    result = invoke("fhir", "setup", path, "--db", url)
    assert result.exit_code == 0, result.output
    return url


def acknowledgement(answers: str, code: str = "ok", issue: str | None = None) -> dict:
    """A MedCom Acknowledgement as the GP's system would send it (written for the tests)."""
    header = {
        "resourceType": "MessageHeader", "id": "7d2c9b1e-4a3f-4e8d-9c6b-5a4f3e2d1c0b",
        "eventCoding": {"system": "http://medcomfhir.dk/ig/terminology/CodeSystem/medcom-messaging-eventCodes",
                        "code": "acknowledgement-message"},
        "source": {"endpoint": "https://sor2.sum.dsdn.dk/#id=" + GP_SOR},
        "response": {"identifier": answers, "code": code},
    }
    entries = [{"fullUrl": "urn:uuid:" + header["id"], "resource": header}]
    if issue:
        outcome = {"resourceType": "OperationOutcome", "id": "1b2c3d4e-5f60-4718-9a2b-3c4d5e6f7a8b",
                   "issue": [{"severity": "error", "code": "value", "details": {"text": issue}}]}
        header["response"]["details"] = {"reference": "urn:uuid:" + outcome["id"]}
        entries.append({"fullUrl": "urn:uuid:" + outcome["id"], "resource": outcome})
    return {"resourceType": "Bundle", "id": "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", "type": "message",
            "timestamp": "2026-12-03T10:00:00Z", "entry": entries}
