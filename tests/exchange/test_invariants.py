"""Every MedCom rule tobs.exchange.invariants implements, each shown to catch the fault it is for on a message that
otherwise passes (a rule that cannot fail would be no check)."""

from __future__ import annotations

import copy

import pytest
from exchange_support import GP_SOR, with_exchange
from register_support import SITE

from tobs.exchange import codes, outbox
from tobs.exchange.invariants import RULES, message_problems
from tobs.register.db import open_register


@pytest.fixture(scope="module")
def sent(tmp_path_factory):
    folder = tmp_path_factory.mktemp("invariants")
    register = open_register(with_exchange(folder), announce=None)
    try:
        first = outbox.send_new(register, folder / "outbox", site=SITE, patient=1, receiver_sor=GP_SOR, chosen=None)
        second = outbox.modify(register, folder / "outbox", first.bundle_id, comment="Rettet.")
    finally:
        register.close()
    return second.bundle


def first(bundle, kind):
    return next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind)


def of(bundle, kind):
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def receiver(b):
    return next(r for r in of(b, "Organization") if codes.PROFILE_REQUESTER in r["meta"]["profile"])


def sender(b):
    return next(r for r in of(b, "Organization") if codes.PROFILE_PRODUCER in r["meta"]["profile"])


def practitioner(b):
    return first(b, "Practitioner")


BREAKS = {
    "medcom-messaging-message": [lambda b: b.update(type="collection"), lambda b: b.pop("timestamp")],
    "medcom-homecareObsMessage-1": [
        lambda b: b["entry"].append(b["entry"].pop(0)),
        lambda b: first(b, "MessageHeader")["eventCoding"].update(code="empty-message"),
        lambda b: first(b, "MessageHeader").update(definition="http://example.org/other"),
    ],
    "medcom-messaging-messageHeader": [
        lambda b: first(b, "MessageHeader")["destination"].append(
            copy.deepcopy(first(b, "MessageHeader")["destination"][0])),
        lambda b: first(b, "MessageHeader").pop("source"),
    ],
    "medcom-requesterorganization": [
        lambda b: receiver(b).update(identifier=receiver(b)["identifier"][:2]),
        lambda b: receiver(b).update(contact=[{"telecom": [{"system": "phone", "value": "1"}]}]),
    ],
    "medcom-producer-organization": [lambda b: sender(b).update(identifier=sender(b)["identifier"][:2])],
    "medcom-core-patient": [
        lambda b: first(b, "Patient").update(identifier=[{"system": codes.CPR, "value": "01014099"}]),
        lambda b: first(b, "Patient")["name"][0].pop("family"),
    ],
    "medcom-homecareobservation-diagnosticreport": [
        lambda b: first(b, "DiagnosticReport").update(status="preliminary"),
        lambda b: first(b, "DiagnosticReport")["code"]["coding"][0].update(code="Other"),
    ],
    "medcom-homecareReport-1-2-3": [
        lambda b: first(b, "DiagnosticReport")["performer"].pop(),
        lambda b: first(b, "PractitionerRole").pop("code"),
        lambda b: practitioner(b).pop("name"),
        lambda b: practitioner(b).pop("telecom"),
        lambda b: practitioner(b)["identifier"][0].update(value="urn:uuid:0f9c5a5e-2b1d-5c3e-8f7a-6d5e4c3b2a19"),
    ],
    "medcom-homecare-observation": [
        lambda b: first(b, "Observation")["interpretation"][0]["coding"][0].update(code="H"),
        lambda b: first(b, "Observation").update(effectiveDateTime="2026-12-03T10:00:00"),
        lambda b: first(b, "Observation")["code"]["coding"][0].update(system=codes.LOINC),
        lambda b: first(b, "Observation")["valueQuantity"].update(value=1234567890.123),
    ],
    "medcom-homecareObsMessage-2": [
        lambda b: of(b, "Provenance")[-1]["activity"]["coding"][0].update(code="modify-message"),
        lambda b: of(b, "Provenance")[-1]["entity"][0].update(role="removal"),
        lambda b: of(b, "Provenance")[-1].pop("entity"),
        lambda b: of(b, "Provenance")[0].update(entity=[{"role": "revision", "what": {"reference": "x"}}]),
        lambda b: b["entry"].pop(),
    ],
    "medcom-narrative": [lambda b: first(b, "Observation").pop("text")],
}


def test_every_rule_has_its_breaks():
    assert sorted(BREAKS) == sorted(RULES)


def test_the_message_passes_every_rule(sent):
    assert message_problems(sent) == []


@pytest.mark.parametrize("rule, index", [(rule, i) for rule, breaks in BREAKS.items() for i in range(len(breaks))])
def test_each_rule_catches_its_fault(sent, rule, index):
    broken = copy.deepcopy(sent)
    BREAKS[rule][index](broken)
    assert any(p.startswith(rule + ":") for p in message_problems(broken)), message_problems(broken)
