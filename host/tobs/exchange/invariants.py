"""MedCom's profile rules for a HomeCareObservation message, as far as they can be checked without the official
validator: each rule has the invariant's id (or the profile element it constrains) and its own test in
tests/exchange/test_invariants.py. docs/exchange.md lists what only the official validator checks."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from tobs.exchange import codes

Resource = dict[str, Any]
UUID4 = re.compile(r"urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
DATETIME_WITH_ZONE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})")


class Message:
    """A message bundle with its entries found by fullUrl."""

    def __init__(self, bundle: Resource):
        self.bundle = bundle
        self.entries = [e for e in bundle.get("entry") or [] if isinstance(e, dict)]
        self.by_url = {e.get("fullUrl"): e.get("resource") for e in self.entries}

    def of_type(self, kind: str) -> list[Resource]:
        return [e["resource"] for e in self.entries
                if isinstance(e.get("resource"), dict) and e["resource"].get("resourceType") == kind]

    def resolve(self, ref: Any) -> Resource | None:
        target = ref.get("reference") if isinstance(ref, dict) else None
        found = self.by_url.get(target)
        return found if isinstance(found, dict) else None

    @property
    def header(self) -> Resource:
        first = self.entries[0].get("resource") if self.entries else None
        return first if isinstance(first, dict) else {}


def _profiles(resource: Resource | None) -> list[str]:
    return ((resource or {}).get("meta") or {}).get("profile") or []


def _identifier(resource: Resource | None, system: str) -> str | None:
    for ident in (resource or {}).get("identifier") or []:
        if ident.get("system") == system and ident.get("value"):
            return ident["value"]
    return None


def _has_text(resource: Resource | None) -> bool:
    text = (resource or {}).get("text") or {}
    return bool(text.get("status")) and "<div" in (text.get("div") or "")


# ---- the rules: each returns the problems it finds

def messaging_bundle(m: Message) -> list[str]:
    b = m.bundle
    found = []
    if b.get("type") != "message":
        found.append("Bundle.type must be message")
    if not b.get("id"):
        found.append("Bundle.id is required")
    if not b.get("timestamp"):
        found.append("Bundle.timestamp is required")
    return found


def header_first(m: Message) -> list[str]:
    h = m.header
    if h.get("resourceType") != "MessageHeader" or codes.PROFILE_HEADER not in _profiles(h):
        return ["entry[0] must be the MedComHomeCareObservationMessageHeader"]
    found = []
    event = h.get("eventCoding") or {}
    if (event.get("system"), event.get("code")) != (codes.MEDCOM_EVENTS, codes.EVENT_HOMECARE):
        found.append("MessageHeader.eventCoding must be medcom-messaging-eventCodes#homecareobservation-message")
    if h.get("definition") != codes.MESSAGE_DEFINITION:
        found.append("MessageHeader.definition must be the HomeCareObservation message definition, version 1.1")
    return found


def header_destination(m: Message) -> list[str]:
    found = []
    destinations = m.header.get("destination") or []
    uses = [next((x.get("valueCoding", {}).get("code") for x in d.get("extension") or []
                  if x.get("url") == codes.MEDCOM_DESTINATION_USE_EXTENSION), None) for d in destinations]
    if uses.count("primary") != 1 or len(uses) != 1:
        found.append("MessageHeader.destination: exactly one, the primary (no cc in HomeCareObservation)")
    for d in destinations:
        receiver = m.resolve(d.get("receiver"))
        if receiver is None or receiver.get("resourceType") != "Organization":
            found.append("MessageHeader.destination.receiver must be an Organization in the bundle")
        elif not d.get("endpoint"):
            found.append("MessageHeader.destination.endpoint is required")
    if not (m.header.get("source") or {}).get("endpoint"):
        found.append("MessageHeader.source.endpoint is required (where the acknowledgement goes)")
    return found


def requester_organization(m: Message) -> list[str]:
    """MedComRequesterOrganization: SOR, EAN and ydernummer; contact with the GP's initials or unknown
    (medcom-homecareObservation-4)."""
    found = []
    for d in m.header.get("destination") or []:
        gp = m.resolve(d.get("receiver"))
        if gp is None:
            continue
        for system, name in ((codes.SOR, "SOR"), (codes.EAN, "EAN"), (codes.YDERNUMMER, "ydernummer")):
            if not _identifier(gp, system):
                found.append(f"the receiver (MedComRequesterOrganization) must have its {name} identifier")
        contacts = gp.get("contact") or []
        if len(contacts) != 1:
            found.append("medcom-homecareObservation-4: the receiver has exactly one contact")
        for c in contacts:
            absent = any(x.get("url") == codes.DATA_ABSENT_REASON_EXTENSION for x in c.get("extension") or [])
            if not ((c.get("name") or {}).get("given") or absent):
                found.append("medcom-homecareObservation-4: the receiver's contact has initials or InitialsNotKnown")
    return found


def producer_organization(m: Message) -> list[str]:
    sender = m.resolve(m.header.get("sender"))
    if sender is None or sender.get("resourceType") != "Organization":
        return ["MessageHeader.sender must be an Organization in the bundle"]
    found = []
    for system, name in ((codes.SOR, "SOR"), (codes.EAN, "EAN"), (codes.MEDCOM_PRODUCENT_ID, "producent-ID")):
        if not _identifier(sender, system):
            found.append(f"the sender (MedComProducerOrganization) must have its {name} identifier")
    return found


def one_patient_by_cpr(m: Message) -> list[str]:
    patients = m.of_type("Patient")
    if len(patients) != 1:
        return ["the message holds exactly one Patient"]
    cpr = _identifier(patients[0], codes.CPR)
    found = [] if cpr and re.fullmatch(r"\d{10}", cpr) else ["the Patient is identified by a 10-digit CPR number"]
    names = patients[0].get("name") or []
    if not any(n.get("use") == "official" and n.get("family") for n in names):
        found.append("MedComCorePatient: an official name with a family name")
    return found


def focus_report(m: Message) -> list[str]:
    focus = m.header.get("focus") or []
    reports = [m.resolve(f) for f in focus]
    if len(reports) != 1 or reports[0] is None or reports[0].get("resourceType") != "DiagnosticReport":
        return ["MessageHeader.focus must be the one DiagnosticReport in the bundle"]
    r = reports[0]
    found = []
    if r.get("status") != "final":
        found.append("DiagnosticReport.status is fixed to final")
    coding = ((r.get("code") or {}).get("coding") or [{}])[0]
    if (coding.get("system"), coding.get("code")) != (codes.MEDCOM_REPORT_CODES, codes.REPORT_CODE):
        found.append("DiagnosticReport.code must be MedComDiagnosticReportCodes#HomeCareReport")
    if not r.get("issued"):
        found.append("DiagnosticReport.issued is required")
    if m.resolve(r.get("subject")) is not (m.of_type("Patient") or [None])[0]:
        found.append("DiagnosticReport.subject must be the message's Patient")
    for ref in r.get("result") or []:
        target = m.resolve(ref)
        if target is None or target.get("resourceType") != "Observation":
            found.append("DiagnosticReport.result must be Observations in the bundle")
    return found


def performers(m: Message) -> list[str]:
    """performer 2..2: the producer organisation and a PractitionerRole; medcom-homecareReport-1, -2, -3."""
    report = next(iter(m.of_type("DiagnosticReport")), {})
    targets = [m.resolve(p) for p in report.get("performer") or []]
    kinds = sorted((t or {}).get("resourceType", "?") for t in targets)
    if kinds != ["Organization", "PractitionerRole"]:
        return ["DiagnosticReport.performer: the producer Organization and one PractitionerRole"]
    found = []
    org = next(t for t in targets if t and t["resourceType"] == "Organization")
    if codes.PROFILE_PRODUCER not in _profiles(org):
        found.append("DiagnosticReport.performer[ProducerOrganization] must be a MedComProducerOrganization")
    role = next(t for t in targets if t and t["resourceType"] == "PractitionerRole")
    if not any(c.get("code") for cc in role.get("code") or [] for c in cc.get("coding") or []):
        found.append("medcom-homecareReport-1: the PractitionerRole must have a code")
    practitioner = m.resolve(role.get("practitioner"))
    if not (practitioner or {}).get("name"):
        found.append("medcom-homecareReport-2: the practitioner must have a name")
    if not any(t.get("system") == "phone" and t.get("value") for t in (practitioner or {}).get("telecom") or []):
        found.append("medcom-homecareReport-3: the practitioner must have a phone number")
    for who, name in ((role, "PractitionerRole"), (practitioner, "Practitioner")):
        idents = (who or {}).get("identifier") or []
        if len(idents) != 1 or not UUID4.fullmatch(idents[0].get("value") or ""):
            found.append(f"medcom-uuidv4: the {name} has one identifier, urn:uuid: with a version-4 UUID")
    return found


def observations(m: Message) -> list[str]:
    found = []
    patient = (m.of_type("Patient") or [None])[0]
    allowed = {codes.NPU, codes.MEDCOM_OBSERVATION}
    for o in m.of_type("Observation"):
        where = f"Observation/{o.get('id')}"
        if codes.PROFILE_OBSERVATION not in _profiles(o):
            found.append(f"{where}: must claim the MedComHomeCareObservation profile")
        if o.get("status") not in ("final", "corrected", "cancelled", "entered-in-error", "registered", "partial",
                                   "preliminary"):
            found.append(f"{where}: status from medcom-core-observation-status")
        interpretation = (o.get("interpretation") or [])
        if len(interpretation) != 1 or [c.get("code") for c in interpretation[0].get("coding") or []] != ["NI"]:
            found.append(f"{where}: interpretation is fixed to NI (not interpreted)")
        if not any(c.get("system") in allowed and c.get("code") for c in (o.get("code") or {}).get("coding") or []):
            found.append(f"{where}: code must be an NPU or a MedCom observation code")
        if not DATETIME_WITH_ZONE.fullmatch(o.get("effectiveDateTime") or ""):
            found.append(f"{where}: effectiveDateTime with a date, a time and a time zone")
        value = (o.get("valueQuantity") or {}).get("value")
        if value is None or len(str(value)) > 12:
            found.append(f"{where}: valueQuantity.value of at most 12 characters")
        if m.resolve(o.get("subject")) is not patient:
            found.append(f"{where}: subject must be the message's Patient")
    return found


def provenances(m: Message) -> list[str]:
    """MedComMessagingProvenance, and medcom-homecareObsMessage-2: activities from the HomeCareObservation value
    set; the last Provenance is this message's (target = its MessageHeader)."""
    found = []
    items = m.of_type("Provenance")
    if not items:
        return ["the message holds a Provenance"]
    header_ref = f"urn:uuid:{m.header.get('id')}"
    for p in items:
        where = f"Provenance/{p.get('id')}"
        codings = (p.get("activity") or {}).get("coding") or []
        if not codings or any(c.get("system") != codes.MEDCOM_ACTIVITIES or c.get("code") not in
                              codes.HOMECARE_ACTIVITIES for c in codings):
            found.append(f"medcom-homecareObsMessage-2: {where} activity must be in the HomeCareObservation value set")
        if len(p.get("target") or []) != 1:
            found.append(f"{where}: target 1..1 (a MessageHeader)")
        if not DATETIME_WITH_ZONE.fullmatch(p.get("occurredDateTime") or ""):
            found.append(f"{where}: occurredDateTime with a date, a time and a time zone")
        agents = p.get("agent") or []
        if not agents or any((m.resolve(a.get("who")) or {}).get("resourceType") != "Organization" for a in agents):
            found.append(f"{where}: agent.who must be a messaging Organization in the bundle")
        activity = codings[0].get("code") if codings else None
        entities = p.get("entity") or []
        if activity in codes.ENTITY_ROLE:
            if len(entities) != 1 or entities[0].get("role") != codes.ENTITY_ROLE[activity] or \
                    not (entities[0].get("what") or {}).get("reference"):
                found.append(f"{where}: a {activity} names the previous MessageHeader with role "
                             f"{codes.ENTITY_ROLE[activity]}")
        elif activity == codes.NEW and entities:
            found.append(f"{where}: a new-message has no entity")
    current = items[-1]
    if [t.get("reference") for t in current.get("target") or []] != [header_ref]:
        found.append("the last Provenance must target this message's MessageHeader")
    return found


def narratives(m: Message) -> list[str]:
    """The narrative text shall always be included when exchanging a MedCom FHIR Bundle."""
    return [f"{r.get('resourceType')}/{r.get('id')}: narrative text is required" for e in m.entries
            if isinstance(r := e.get("resource"), dict) and not _has_text(r)]


RULES: dict[str, tuple[str, Callable[[Message], list[str]]]] = {
    "medcom-messaging-message": ("Bundle of type message with an id and a timestamp", messaging_bundle),
    "medcom-homecareObsMessage-1": ("entry[0] is the HomeCareObservation MessageHeader", header_first),
    "medcom-messaging-messageHeader": ("one primary destination, receiver and endpoints", header_destination),
    "medcom-requesterorganization": ("the GP: SOR, EAN, ydernummer; homecareObservation-4", requester_organization),
    "medcom-producer-organization": ("the sender: SOR, EAN, producent-ID", producer_organization),
    "medcom-core-patient": ("one Patient, by CPR, with an official family name", one_patient_by_cpr),
    "medcom-homecareobservation-diagnosticreport": ("the focus report", focus_report),
    "medcom-homecareReport-1-2-3": ("two performers; role code, name, phone; uuidv4 identifiers", performers),
    "medcom-homecare-observation": ("observation codes, NI, time with zone, subject", observations),
    "medcom-homecareObsMessage-2": ("Provenance activities and entities", provenances),
    "medcom-narrative": ("a narrative in every resource", narratives),
}


def message_problems(bundle: Resource) -> list[str]:
    m = Message(bundle)
    return [f"{rule}: {problem}" for rule, (_words, check) in RULES.items() for problem in check(m)]
