"""`tobs fhir message`, `modify`, `retract`, `ack`, `outbox`: MedCom HomeCareObservation messages that validate,
in an owner-only outbox, audited, corrected and cancelled on the same report, acknowledged."""

from __future__ import annotations

import json
import stat
from datetime import datetime, timedelta, timezone

import pytest
from exchange_support import CPR_1, GP_SOR, acknowledgement, invoke, load, with_exchange
from register_support import SITE

from tobs.exchange import codes, outbox
from tobs.exchange.invariants import message_problems
from tobs.exchange.validate import bundle_problems
from tobs.register.audit import entries_for_patient
from tobs.register.db import open_register


@pytest.fixture
def db(tmp_path):
    return with_exchange(tmp_path)


def send(db, box, *extra, patient="1"):
    result = invoke("fhir", "message", "--db", db, "--site", SITE, "--patient", patient, "--to", GP_SOR,
                    "--out", box, *extra)
    return result


def sent_bundle(result):
    assert result.exit_code == 0, result.output
    from pathlib import Path

    return Path(result.stdout.strip()), load(Path(result.stdout.strip()))


def resources(bundle, kind):
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def test_a_new_message_validates_and_is_owner_only_and_audited(db, tmp_path):
    path, bundle = sent_bundle(send(db, tmp_path / "outbox", "--comment", "Tiltagende uro i aftes."))
    assert bundle_problems(bundle) == [] and message_problems(bundle) == []
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    header = bundle["entry"][0]["resource"]
    assert header["resourceType"] == "MessageHeader" and header["eventCoding"]["code"] == "homecareobservation-message"
    (patient,) = resources(bundle, "Patient")
    assert patient["identifier"] == [{"system": codes.CPR, "value": CPR_1}]
    (report,) = resources(bundle, "DiagnosticReport")
    assert report["conclusion"] == "Tiltagende uro i aftes." and len(report["performer"]) == 2
    observations = resources(bundle, "Observation")
    assert len(observations) == 6  # the latest set: five parameters and the total
    assert {o["code"]["coding"][0]["code"] for o in observations} == {
        "NPU21692", "MCS88122", "NPU08676", "DNK05472", "MCS88126", "MCS88125"}
    (provenance,) = resources(bundle, "Provenance")
    assert provenance["activity"]["coding"][0]["code"] == "new-message" and "entity" not in provenance
    register = open_register(db, announce=None)
    try:
        assert [e.what for e in entries_for_patient(register, 1, SITE)] == ["fhir_message"]
    finally:
        register.close()


def test_no_cpr_no_message(db, tmp_path):
    result = send(db, tmp_path / "outbox", patient="3")
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        f"Error: Patient 3 at site {SITE} has no CPR number in the register: a MedCom message identifies the "
        "patient by CPR (add it with tobs patient-info --cpr)."]
    assert not (tmp_path / "outbox").exists() or list((tmp_path / "outbox").iterdir()) == []
    assert json.loads(invoke("fhir", "outbox", "--db", db, "--json").stdout) == []


def test_an_unknown_gp_and_an_unknown_set_are_one_sentence(db, tmp_path):
    result = invoke("fhir", "message", "--db", db, "--site", SITE, "--patient", "1", "--to", "999999",
                    "--out", tmp_path / "outbox")
    assert result.exit_code == 2 and "--to: SOR 999999 is not among the GP practices" in result.stderr
    result = send(db, tmp_path / "outbox", "--sets", "e6614103e7452d2f:2")
    assert result.exit_code == 2 and "--sets: e6614103e7452d2f:2 is not a set of patient 1" in result.stderr


def test_modify_and_retract_are_versions_of_the_same_report(db, tmp_path):
    box = tmp_path / "outbox"
    _, first = sent_bundle(send(db, box))
    first_header = first["entry"][0]["resource"]["id"]
    _, second = sent_bundle(invoke("fhir", "modify", first["id"], "--db", db, "--out", box, "--sets",
                                   "e6614103e7452d2f:0,e6614103e7452d2f:25", "--comment", "Begge målinger."))
    assert bundle_problems(second) == [] and message_problems(second) == []
    assert second["id"] != first["id"] and second["entry"][0]["resource"]["id"] != first_header
    assert resources(second, "DiagnosticReport")[0]["id"] == resources(first, "DiagnosticReport")[0]["id"]
    assert {o["id"] for o in resources(first, "Observation")} < {o["id"] for o in resources(second, "Observation")}
    history, current = resources(second, "Provenance")
    assert history["target"] == [{"reference": f"MessageHeader/{first_header}"}]
    assert current["activity"]["coding"][0]["code"] == "modified-message"
    assert current["entity"] == [{"role": "revision", "what": {"reference": f"MessageHeader/{first_header}"}}]
    second_header = second["entry"][0]["resource"]["id"]
    _, third = sent_bundle(invoke("fhir", "retract", second_header, "--db", db, "--out", box,
                                  "--reason", "Sendt på forkert CPR-nummer."))
    assert bundle_problems(third) == [] and message_problems(third) == []
    provenances = resources(third, "Provenance")
    assert [p["activity"]["coding"][0]["code"] for p in provenances] == [
        "new-message", "modified-message", "retract-message"]
    assert provenances[-1]["entity"][0] == {"role": "removal", "what": {"reference": f"MessageHeader/{second_header}"}}
    assert resources(third, "DiagnosticReport")[0]["conclusion"] == "Sendt på forkert CPR-nummer."
    again = invoke("fhir", "modify", first["id"], "--db", db, "--out", box)
    assert again.exit_code == 2 and "was retracted" in again.stderr
    listed = json.loads(invoke("fhir", "outbox", "--db", db, "--json").stdout)
    assert [(m["version"], m["activity"]) for m in listed] == [
        (3, "retract-message"), (2, "modified-message"), (1, "new-message")]
    assert len({m["thread_id"] for m in listed}) == 1


def test_acknowledgements_mark_delivered_or_failed(db, tmp_path):
    box = tmp_path / "outbox"
    _, bundle = sent_bundle(send(db, box))
    header = bundle["entry"][0]["resource"]["id"]
    failed = tmp_path / "ack-failed.json"
    failed.write_text(json.dumps(acknowledgement(header, "fatal-error", "Ukendt ydernummer")), encoding="utf-8")
    result = invoke("fhir", "ack", failed, "--db", db)
    assert result.exit_code == 0 and "fatal-error, failed (error value: Ukendt ydernummer)." in result.stderr
    (row,) = json.loads(invoke("fhir", "outbox", "--db", db, "--json").stdout)
    assert (row["status"], row["ack_detail"]) == ("failed", "error value: Ukendt ydernummer")
    ok = tmp_path / "ack-ok.json"
    ok.write_text(json.dumps(acknowledgement(header)), encoding="utf-8")
    assert invoke("fhir", "ack", ok, "--db", db).exit_code == 0
    (row,) = json.loads(invoke("fhir", "outbox", "--db", db, "--json").stdout)
    assert row["status"] == "delivered"
    stranger = tmp_path / "ack-other.json"
    stranger.write_text(json.dumps(acknowledgement("6a5b4c3d-2e1f-4a0b-9c8d-7e6f5a4b3c2d")), encoding="utf-8")
    result = invoke("fhir", "ack", stranger, "--db", db)
    assert result.exit_code == 2 and "which is not in the register's outbox" in result.stderr


def test_a_message_without_acknowledgement_becomes_a_problem_after_the_sites_time(db, tmp_path):
    register = open_register(db, announce=None)
    try:
        sent_at = datetime(2026, 12, 3, 8, 0, tzinfo=timezone.utc)
        sent = outbox.send_new(register, tmp_path / "outbox", site=SITE, patient=1, receiver_sor=GP_SOR,
                               chosen=None, now=sent_at)
        assert outbox.problems(register, now=sent_at + timedelta(minutes=119)) == []
        (late,) = outbox.problems(register, now=sent_at + timedelta(minutes=121))
        assert late.bundle_id == sent.bundle_id and late.overdue
        ack = tmp_path / "ack.json"
        ack.write_text(json.dumps(acknowledgement(sent.header_id)), encoding="utf-8")
        outbox.acknowledge(register, ack)
        assert outbox.problems(register, now=sent_at + timedelta(days=2)) == []
    finally:
        register.close()


def test_who_measured_must_have_a_name(db, tmp_path):
    from exchange_support import EXCHANGE

    path = tmp_path / "exchange.json"
    path.write_text(json.dumps({**EXCHANGE, "staff": {"100": {"name": "Kun En"}}}), encoding="utf-8")
    assert invoke("fhir", "setup", path, "--db", db).exit_code == 0
    result = send(db, tmp_path / "outbox")  # patient 1's latest set was taken by staff 101
    assert result.exit_code == 2 and "Staff 101 has no name in the exchange file" in result.stderr


@pytest.mark.parametrize("field, value, words", [
    ("phone", "call me", "phone 'call me' is not a phone number"),
    ("sender", {"name": "X", "sor": "12", "ean": "5790000123117", "producent_id": "KAF"}, "sender.sor '12'"),
    ("site", "elsewhere", "site 'elsewhere' is not in the register"),
])
def test_a_wrong_exchange_file_names_the_field(db, tmp_path, field, value, words):
    from exchange_support import EXCHANGE

    path = tmp_path / "exchange.json"
    path.write_text(json.dumps({**EXCHANGE, field: value}), encoding="utf-8")
    result = invoke("fhir", "setup", path, "--db", db)
    assert result.exit_code == 2 and words in result.stderr and result.stderr.count("\n") == 1


def test_tobs_problems_lists_a_refused_and_an_unacknowledged_message(db, tmp_path):
    box = tmp_path / "outbox"
    _, refused = sent_bundle(send(db, box))
    header = refused["entry"][0]["resource"]["id"]
    failed = tmp_path / "ack-failed.json"
    failed.write_text(json.dumps(acknowledgement(header, "fatal-error", "Ukendt ydernummer")), encoding="utf-8")
    assert invoke("fhir", "ack", failed, "--db", db).exit_code == 0
    register = open_register(db, announce=None)
    try:
        # Sent two days ago and never acknowledged.
        late = outbox.send_new(register, box, site=SITE, patient=1, receiver_sor=GP_SOR, chosen=None,
                               now=datetime.now(timezone.utc) - timedelta(days=2))
    finally:
        register.close()
    result = invoke("problems", "--db", db, "--kind", "message", "--json")
    assert result.exit_code == 0, result.output
    found = {p["reason"].split()[2]: p["reason"] for p in json.loads(result.stdout)}
    assert set(found) == {header, late.header_id}
    assert "refused by the receiver (fatal-error: error value: Ukendt ydernummer)" in found[header]
    assert "no acknowledgement in the site's time" in found[late.header_id]
    # Problems name the message, never the patient.
    assert all("patient" not in text.lower() for text in found.values())
