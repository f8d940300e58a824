"""`tobs fhir check`: a stated total is recomputed with the chart; a disagreement is reported parameter by
parameter with the chart's reason, and the parameter that accounts for it is named."""

from __future__ import annotations

import json

from exchange_support import filled_register, invoke, load
from register_support import SITE
from tools_support import ROOT

EXAMPLES = ROOT / "docs" / "examples"


def check(path, *extra):
    return invoke("fhir", "check", path, *extra)


def test_medcom_codes_stating_3_where_the_chart_gives_2():
    result = check(EXAMPLES / "check-medcom-codes-stated-3.json")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert "stated TOBS 3, the chart gives 2: DISAGREES." in lines[0]
    assert any(line.split()[:4] == ["Pulse", "92", "/min", "1"] and "(90–109 /min scores 1)" in line for line in lines)
    assert any("site not stated: taken as rectal" in line for line in lines)
    # Only the total is stated: the nearest parameter that alone gives 3 is the temperature, 0.3 °C short of a band.
    candidates = next(line for line in lines if "A single parameter" in line)
    assert candidates.split("it: ")[1].startswith("Temperature in 39.0–39.9 °C (0.3 °C from the value)")


def test_snomed_and_loinc_stating_3_where_the_chart_gives_4():
    result = check(EXAMPLES / "check-snomed-loinc-stated-3.json", "--json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    (found,) = report["sets"]
    assert (found["stated_total"], found["chart_total"], found["agrees"]) == (3, 4, False)
    by_name = {p["parameter"]: p for p in found["parameters"]}
    assert by_name["awareness"]["points"] == 2 and by_name["awareness"]["value"] == "responds only to pain"
    assert by_name["sys_bp"]["value"] == "147 mmHg"  # read from the panel's systolic component
    assert any(c.startswith("awareness") for c in found["candidates"])
    assert report["structural_problems"] == []


def test_our_own_export_agrees_and_a_changed_point_is_named(tmp_path):
    db = filled_register(tmp_path)
    out = tmp_path / "p1.json"
    assert invoke("fhir", "export", "--db", db, "--site", SITE, "--patient", "1", "--out", out).exit_code == 0
    agreed = check(out)
    assert agreed.exit_code == 0, agreed.output
    assert sum("the chart agrees" in line for line in agreed.stdout.splitlines()) == 2
    bundle = load(out)
    total = next(e["resource"] for e in bundle["entry"]
                 if e["resource"]["resourceType"] == "Observation"
                 and e["resource"]["code"]["coding"][0]["code"] == "MCS88125")
    respiration = next(c for c in total["component"] if c["code"]["text"] == "TOBS points: Respiration")
    respiration["valueInteger"] += 1
    total["valueQuantity"]["value"] += 1
    out.write_text(json.dumps(bundle), encoding="utf-8")
    flagged = check(out)
    assert flagged.exit_code == 1
    named = [line for line in flagged.stdout.splitlines() if "DISAGREES: stated" in line]
    assert len(named) == 1 and named[0].split()[0] == "Respiration"


def test_a_set_without_a_parameter_cannot_be_recomputed(tmp_path):
    bundle = load(EXAMPLES / "check-snomed-loinc-stated-3.json")
    bundle["entry"] = [e for e in bundle["entry"] if e["resource"]["id"] != "hanne-resp"]
    path = tmp_path / "partial.json"
    path.write_text(json.dumps(bundle), encoding="utf-8")
    result = check(path)
    assert result.exit_code == 1
    assert "cannot recompute it: no respiration observation for this set." in result.stdout


def test_what_is_not_a_tobs_bundle_is_one_sentence(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    result = check(bad)
    assert result.exit_code == 2 and result.stderr.count("\n") == 1 and "is not JSON" in result.stderr
    bad.write_text(json.dumps({"resourceType": "Bundle", "type": "collection", "entry": []}), encoding="utf-8")
    result = check(bad)
    assert result.exit_code == 2 and "states no TOBS total" in result.stderr
    result = check(tmp_path / "missing.json")
    assert result.exit_code == 2 and "There is no file" in result.stderr


def test_the_demo_message_in_the_docs_validates_and_agrees_with_the_chart():
    from tobs.exchange.invariants import message_problems
    from tobs.exchange.validate import bundle_problems

    bundle = load(EXAMPLES / "homecareobservation-demo-patient-104.json")
    assert bundle_problems(bundle) == [] and message_problems(bundle) == []
    result = check(EXAMPLES / "homecareobservation-demo-patient-104.json")
    assert result.exit_code == 0 and "stated TOBS 12, the chart agrees." in result.stdout
