"""`tobs fhir export`: plain vital-signs Observations that validate, byte-identical when exported again, owner-only,
audited."""

from __future__ import annotations

import json
import stat

import pytest
from exchange_support import CPR_1, filled_register, invoke, load
from register_support import SITE

from tobs.exchange import codes
from tobs.exchange.validate import bundle_problems, structural_problems
from tobs.register.audit import entries_for_patient
from tobs.register.db import open_register


@pytest.fixture
def db(tmp_path):
    return filled_register(tmp_path)


def export(db, out, *extra):
    result = invoke("fhir", "export", "--db", db, "--site", SITE, "--out", out, *extra)
    assert result.exit_code == 0, result.output
    return result


def observations(bundle: dict) -> list[dict]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Observation"]


def test_a_patient_export_validates_and_carries_the_vital_signs_codes(db, tmp_path):
    out = tmp_path / "p1.json"
    export(db, out, "--patient", "1")
    bundle = load(out)
    assert bundle["type"] == "collection" and bundle_problems(bundle) == []
    patient = bundle["entry"][0]["resource"]
    assert patient["identifier"][0] == {"system": codes.CPR, "value": CPR_1}
    found = observations(bundle)
    assert len(found) == 6 * 2  # patient 1 has sets 0 and 25
    loinc = {c["code"] for o in found for c in o["code"]["coding"] if c["system"] == codes.LOINC}
    assert {"8867-4", "9279-1", "8310-5", "85354-9", "80288-4"} <= loinc
    temp = next(o for o in found if o["code"]["coding"][0]["code"] == "8310-5")
    assert temp["bodySite"]["coding"][0]["system"] == codes.SNOMED
    bp = next(o for o in found if o["code"]["coding"][0]["code"] == "85354-9")
    assert bp["component"][0]["code"]["coding"][0]["code"] == "8480-6"
    totals = [o for o in found if o["code"]["coding"][0]["code"] == "MCS88125"]
    assert len(totals) == 2
    urls = {e["fullUrl"] for e in bundle["entry"]}
    for total in totals:
        assert len(total["derivedFrom"]) == 5 and all(r["reference"] in urls for r in total["derivedFrom"])
        assert total["valueQuantity"]["value"] == sum(c["valueInteger"] for c in total["component"])


def test_exporting_again_gives_the_same_bytes_and_ndjson_the_same_resources(db, tmp_path):
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    export(db, first)
    export(db, second)
    assert first.read_bytes() == second.read_bytes()
    lines_a, lines_b = tmp_path / "a.ndjson", tmp_path / "b.ndjson"
    export(db, lines_a, "--format", "ndjson")
    export(db, lines_b, "--format", "ndjson")
    assert lines_a.read_bytes() == lines_b.read_bytes()
    resources = [json.loads(line) for line in lines_a.read_text(encoding="utf-8").splitlines()]
    assert all(structural_problems(r) == [] for r in resources)
    in_bundle = [e["resource"]["id"] for e in load(first)["entry"]]
    assert [r["id"] for r in resources] == in_bundle
    assert len(resources) == 25 + 6 * 30


def test_the_export_is_owner_only_and_audited(db, tmp_path):
    out = tmp_path / "site.json"
    out.write_text("old", encoding="utf-8")
    out.chmod(0o644)
    export(db, out)
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    register = open_register(db, announce=None)
    try:
        rows = entries_for_patient(register, 1, SITE)
    finally:
        register.close()
    assert [(r.what, r.role, r.identity_shown) for r in rows] == [("fhir_export", "pc", True)]


def test_an_unknown_patient_is_one_sentence(db, tmp_path):
    result = invoke("fhir", "export", "--db", db, "--site", SITE, "--patient", "999", "--out", tmp_path / "x.json")
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [f"Error: Patient 999 at site {SITE} is not in the register."]
    assert not (tmp_path / "x.json").exists()


def test_the_validator_refuses_what_is_not_fhir(db, tmp_path):
    out = tmp_path / "p1.json"
    export(db, out, "--patient", "1")
    bundle = load(out)
    del bundle["entry"][1]["resource"]["code"]
    bundle["entry"][2]["resource"]["valueQuantity"]["value"] = "many"
    bundle["entry"][3]["resource"]["subject"]["reference"] = "urn:uuid:00000000-0000-4000-8000-000000000000"
    problems = bundle_problems(bundle)
    assert any("code: Field required" in p for p in problems)
    assert any("valueQuantity.value" in p for p in problems)
    assert any("names no entry of the bundle" in p for p in problems)


def test_a_reset_stores_sets_with_the_same_numbers_are_other_resources_and_sets_can_name_the_store(db, tmp_path):
    from datetime import datetime, timezone

    from register_support import DEVICE_A, batch

    from tobs.register.ingest import ingest

    before = tmp_path / "before.json"
    export(db, before, "--patient", "1")
    # The handheld's flash was wiped: its new store numbers from 0 again (patient 1 is set 0 of both).
    register = open_register(db, announce=None)
    ingest(register, DEVICE_A, batch(DEVICE_A, range(1)), pc_user="nurse", pc_host="pc1",
           started_at=datetime.now(timezone.utc), store_epoch=0x5EED)
    register.close()
    after = tmp_path / "after.json"
    export(db, after, "--patient", "1")
    ids_before = {o["id"] for o in observations(load(before))}
    ids_after = {o["id"] for o in observations(load(after))}
    assert bundle_problems(load(after)) == []
    # The old store's resources are unchanged, the new store's set adds six of its own.
    assert ids_before < ids_after and len(ids_after - ids_before) == 6
    ambiguous = invoke("fhir", "message", "--db", db, "--site", SITE, "--patient", "1", "--sets", "e6614103e7452d2f:0",
                       "--to", "123456789012345", "--out", tmp_path / "outbox")
    assert ambiguous.exit_code != 0 and "more than one store" in ambiguous.output
