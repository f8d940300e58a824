"""A MedCom HomeCareObservation message (FHIR R4) of TOBS sets: a Bundle of type message with the MessageHeader
first (event homecareobservation-message, the message definition), one Patient identified by CPR, the
DiagnosticReport with its two performers (the producing organisation and the PractitionerRole of who measured),
six Observations per set in MedCom's codes, interpretation "not interpreted" as the profile fixes it, a narrative
in every resource, the two organisations, and the Provenance of every version of the report so far.

Profiles followed (medcomdk): dk_HomeCareObservations (message, header, diagnostic report, observation),
dk-medcom-messaging (messaging message, header, provenance, producer and requester organisations),
dk-medcom-core (patient, practitioner, practitioner role), dk-medcom-terminology (codes and value sets)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from html import escape
from typing import Any

from tobs.exchange import codes
from tobs.exchange.files import ExchangeError
from tobs.exchange.identity import derived_uuid, observation_id, patient_id, record_key
from tobs.exchange.parties import Organization, SiteExchange
from tobs.exchange.sets import PatientIdentity
from tobs.register.queries import ObservationRow, iso_utc
from tobs.shared import tobs_labels

KIND = "medcom"
SOR_ENDPOINT = "https://sor2.sum.dsdn.dk/#id="  # how MedCom's examples write a SOR-addressed endpoint


@dataclass(frozen=True)
class Version:
    """A version of the report already sent (or being sent): what its Provenance says."""

    header_id: str
    activity: str
    sent_at: datetime
    previous_header_id: str | None


def _ref(rid: str) -> dict[str, str]:
    return {"reference": f"urn:uuid:{rid}"}


def _text(*paragraphs: str) -> dict[str, str]:
    body = "".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    return {"status": "generated", "div": f'<div xmlns="http://www.w3.org/1999/xhtml">{body}</div>'}


def _name(full: str) -> dict[str, Any]:
    parts = full.split()
    name: dict[str, Any] = {"use": "official", "family": parts[-1]}
    if len(parts) > 1:
        name["given"] = parts[:-1]
    return name


def _organization_resource(org: Organization, profile: str, requester: bool) -> dict[str, Any]:
    identifiers = [{"system": codes.SOR, "value": org.sor}, {"system": codes.EAN, "value": org.ean}]
    if org.producent_id:
        identifiers.append({"system": codes.MEDCOM_PRODUCENT_ID, "value": org.producent_id})
    if org.ydernummer:
        identifiers.append({"system": codes.YDERNUMMER, "value": org.ydernummer})
    rid = derived_uuid("organization", org.sor)
    resource: dict[str, Any] = {
        "resourceType": "Organization", "id": rid, "meta": {"profile": [profile]},
        "text": _text(f"{org.name}, SOR {org.sor}, EAN {org.ean}"
                      + (f", producent-ID {org.producent_id}" if org.producent_id else "")
                      + (f", ydernummer {org.ydernummer}" if org.ydernummer else "")),
        "identifier": identifiers, "name": org.name,
    }
    if requester:
        # The initials of the GP who asked for the observations, or "unknown" (medcom-homecareObservation-4).
        if org.initials:
            resource["contact"] = [{"name": {"given": [org.initials]}}]
        else:
            resource["contact"] = [{"extension": [{"url": codes.DATA_ABSENT_REASON_EXTENSION,
                                                   "valueCode": "unknown"}]}]
    return resource


def _observations(row: ObservationRow, subject: dict[str, str]) -> list[dict[str, Any]]:
    key = record_key(row)
    when = iso_utc(row.measured_at)
    temp = tobs_labels.format_tenths(row.temp_raw, "da")
    values = {
        "pulse": (row.pulse, f"Puls {row.pulse} /min"),
        "resp": (row.resp, f"Respiration {row.resp} /min"),
        "temp": (row.temp_raw / 10, f"Temperatur {temp} °C, målt {tobs_labels.label('da', row.temp_site)}"),
        "sys_bp": (row.sys_bp, f"Systolisk blodtryk {row.sys_bp} mmHg"),
        "awareness": (row.points["awareness"],
                      f"Bevidsthed: {tobs_labels.label('da', row.awareness)} ({row.points['awareness']} point)"),
        "total": (row.total, f"TOBS {row.total}"),
    }
    made = []
    for parameter, (value, words) in values.items():
        system, code, display, unit = codes.MEDCOM_CODES[parameter]
        obs: dict[str, Any] = {
            "resourceType": "Observation", "id": observation_id(KIND, parameter, key),
            "meta": {"profile": [codes.PROFILE_OBSERVATION]},
            "text": _text(f"{words}, {when}", "Ikke referencevurderet."),
            "status": "final",
            "code": {"coding": [{"system": system, "code": code, "display": display}]},
            "subject": subject, "effectiveDateTime": when,
            "valueQuantity": {"value": value, "unit": codes.UCUM_DISPLAY.get(unit, unit), "system": codes.UCUM,
                              "code": unit},
            "interpretation": [{"coding": [dict(codes.NOT_INTERPRETED)]}],
        }
        if parameter == "temp" and row.temp_site != "rectal":
            scored = tobs_labels.format_tenths(row.temp_scored, "da")
            obs["note"] = [{"text": f"Målt {tobs_labels.label('da', row.temp_site)}; TOBS regner med {scored} °C "
                                    "(rektal ækvivalent)."}]
        if parameter == "total":
            points = ", ".join(f"{tobs_labels.label('da', p)} {row.points[p]}"
                               for p in ("pulse", "resp", "temp", "sys_bp", "awareness"))
            obs["note"] = [{"text": f"Point: {points}. TOBS-skema {row.core_id}."}]
        made.append(obs)
    return made


def build(*, exchange: SiteExchange, receiver: Organization, who: PatientIdentity, rows: list[ObservationRow],
          thread_id: str, version: int, activity: str, history: list[Version], sent_at: datetime,
          comment: str | None) -> dict[str, Any]:
    """The message Bundle. `history` holds the versions sent before this one, oldest first."""
    if not who.cpr:
        raise ExchangeError(f"Patient {who.number} at site {who.site} has no CPR number in the register: a MedCom "
                            "message identifies the patient by CPR (add it with tobs patient-info --cpr).")
    if not who.name:
        raise ExchangeError(f"Patient {who.number} at site {who.site} has no name in the register: a MedCom "
                            "message names the patient (add it with tobs patient-info --name).")
    if not rows:
        raise ExchangeError(f"Patient {who.number} at site {who.site} has no sets to send.")
    for row in rows:
        if row.measured_at is None:
            raise ExchangeError(f"--sets: {row.device_id}:{row.seq} has no known time, so it cannot be sent.")
    signer = exchange.signer(rows[-1].staff)
    header_id = derived_uuid("message-header", thread_id, version)
    bundle_id = derived_uuid("message-bundle", thread_id, version)
    report_id = derived_uuid("report", thread_id)
    now = iso_utc(sent_at)

    sender = _organization_resource(exchange.sender, codes.PROFILE_PRODUCER, requester=False)
    gp = _organization_resource(receiver, codes.PROFILE_REQUESTER, requester=True)
    patient = {
        "resourceType": "Patient", "id": patient_id(KIND, who.site, who.number),
        "meta": {"profile": [codes.PROFILE_PATIENT]},
        "text": _text(f"{who.name}, CPR {who.cpr[:6]}-{who.cpr[6:]}"),
        "identifier": [{"system": codes.CPR, "value": who.cpr}],
        "name": [_name(who.name)],
    }
    practitioner_id = derived_uuid("practitioner", who.site, signer.staff)
    role_id = derived_uuid("practitioner-role", who.site, signer.staff)
    practitioner = {
        "resourceType": "Practitioner", "id": practitioner_id, "meta": {"profile": [codes.PROFILE_PRACTITIONER]},
        "text": _text(f"{signer.name}, telefon {exchange.phone}"),
        "identifier": [{"value": f"urn:uuid:{practitioner_id}"}],
        "name": [_name(signer.name)],
        "telecom": [{"system": "phone", "value": exchange.phone, "use": "work"}],
    }
    role = {
        "resourceType": "PractitionerRole", "id": role_id, "meta": {"profile": [codes.PROFILE_PRACTITIONER_ROLE]},
        "text": _text(f"{signer.name}: {signer.role}, {exchange.sender.name}"),
        "identifier": [{"value": f"urn:uuid:{role_id}"}],
        "practitioner": _ref(practitioner_id), "organization": _ref(sender["id"]),
        "code": [{"coding": [{"system": codes.MEDCOM_PRACTITIONER_ROLES, "code": signer.role}]}],
    }
    subject = _ref(patient["id"])
    observations = [o for row in rows for o in _observations(row, subject)]
    word = {codes.NEW: "Ny", codes.MODIFIED: "Rettet", codes.RETRACTED: "Annulleret"}[activity]
    totals = ", ".join(f"TOBS {r.total} ({iso_utc(r.measured_at)})" for r in rows)
    report: dict[str, Any] = {
        "resourceType": "DiagnosticReport", "id": report_id,
        "meta": {"profile": [codes.PROFILE_REPORT],
                 "security": [{"system": codes.CONFIDENTIALITY, "code": "R", "display": "Restricted"}]},
        "text": _text(f"{word} HomeCareObservation fra {exchange.sender.name}: {totals}.",
                      *([comment] if comment else [])),
        "status": "final",
        "code": {"coding": [{"system": codes.MEDCOM_REPORT_CODES, "code": codes.REPORT_CODE}]},
        "subject": subject, "issued": now,
        "performer": [_ref(sender["id"]), _ref(role_id)],
        "result": [_ref(o["id"]) for o in observations],
    }
    if comment:
        report["conclusion"] = comment
    header = {
        "resourceType": "MessageHeader", "id": header_id, "meta": {"profile": [codes.PROFILE_HEADER]},
        "text": _text(f"MessageHeader {header_id}: {codes.EVENT_HOMECARE} fra {exchange.sender.name} "
                      f"(SOR {exchange.sender.sor}) til {receiver.name} (SOR {receiver.sor})."),
        "eventCoding": {"system": codes.MEDCOM_EVENTS, "code": codes.EVENT_HOMECARE},
        "destination": [{
            "extension": [{"url": codes.MEDCOM_DESTINATION_USE_EXTENSION,
                           "valueCoding": {"system": codes.MEDCOM_DESTINATION_USE, "code": "primary"}}],
            "endpoint": SOR_ENDPOINT + receiver.sor, "receiver": _ref(gp["id"]),
        }],
        "sender": _ref(sender["id"]),
        "source": {"endpoint": SOR_ENDPOINT + exchange.sender.sor},
        "focus": [_ref(report_id)],
        "definition": codes.MESSAGE_DEFINITION,
    }
    previous = history[-1].header_id if history else None
    provenances = [_provenance(v, sender["id"], current=False) for v in history]
    provenances.append(_provenance(Version(header_id, activity, sent_at, previous), sender["id"], current=True))
    content = [header, patient, report, *observations, role, practitioner, sender, gp, *provenances]
    return {
        "resourceType": "Bundle", "id": bundle_id, "meta": {"profile": [codes.PROFILE_MESSAGE]},
        "type": "message", "timestamp": now,
        "entry": [{"fullUrl": f"urn:uuid:{r['id']}", "resource": r} for r in content],
    }


def _provenance(v: Version, sender_id: str, current: bool) -> dict[str, Any]:
    """The Provenance of one version: its activity, who did it, and (for a correction or a cancellation) the
    MessageHeader of the version before it. Earlier versions' headers are not in this bundle: named as
    MessageHeader/id, as the messaging guide asks."""
    target = _ref(v.header_id) if current else {"reference": f"MessageHeader/{v.header_id}"}
    resource: dict[str, Any] = {
        "resourceType": "Provenance", "id": derived_uuid("provenance", v.header_id),
        "meta": {"profile": [codes.PROFILE_PROVENANCE]},
        "text": _text(f"{v.activity} {iso_utc(v.sent_at)}, MessageHeader {v.header_id}"
                      + (f", efter MessageHeader {v.previous_header_id}" if v.previous_header_id else "")),
        "target": [target], "occurredDateTime": iso_utc(v.sent_at), "recorded": iso_utc(v.sent_at),
        "activity": {"coding": [{"system": codes.MEDCOM_ACTIVITIES, "code": v.activity}]},
        "agent": [{"who": _ref(sender_id)}],
    }
    if v.previous_header_id is not None:
        resource["entity"] = [{"role": codes.ENTITY_ROLE[v.activity],
                               "what": {"reference": f"MessageHeader/{v.previous_header_id}"}}]
    return resource
