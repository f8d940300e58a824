"""Plain FHIR R4 vital-signs Observations of TOBS sets, for systems that take standard vital signs: LOINC-coded
heart rate, respiratory rate, body temperature with its body site, a blood-pressure panel with the systolic value,
the level of consciousness, and the TOBS total with `derivedFrom` the five. As a collection Bundle or as NDJSON.

Nothing here depends on when it runs: ids derive from each record's identity and the bundle's timestamp is the
newest set's time, so exporting the same sets twice gives the same bytes."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from tobs.exchange import codes
from tobs.exchange.identity import derived_uuid, observation_id, patient_id, record_key
from tobs.exchange.sets import PatientIdentity
from tobs.register.queries import ObservationRow, iso_utc
from tobs.shared import tobs_labels

KIND = "vital-signs"
Ref = Callable[[str, str], dict[str, str]]


def bundle_ref(resource_type: str, rid: str) -> dict[str, str]:
    return {"reference": f"urn:uuid:{rid}"}


def relative_ref(resource_type: str, rid: str) -> dict[str, str]:
    return {"reference": f"{resource_type}/{rid}"}


def _quantity(value: float | int, unit: str) -> dict[str, Any]:
    return {"value": value, "unit": codes.UCUM_DISPLAY.get(unit, unit), "system": codes.UCUM, "code": unit}


def _loinc(code: str, display: str) -> dict[str, Any]:
    return {"coding": [{"system": codes.LOINC, "code": code, "display": display}], "text": display}


def patient_resource(who: PatientIdentity) -> dict[str, Any]:
    """The patient by CPR where the register has it, and always by the site's local number."""
    identifiers = []
    if who.cpr:
        identifiers.append({"system": codes.CPR, "value": who.cpr})
    identifiers.append({"system": f"urn:tobs:site:{who.site}:patient", "value": str(who.number)})
    resource: dict[str, Any] = {"resourceType": "Patient", "id": patient_id(KIND, who.site, who.number),
                                "identifier": identifiers}
    if who.name:
        resource["name"] = [{"text": who.name}]
    return resource


def set_observations(row: ObservationRow, subject: dict[str, str], ref: Ref) -> list[dict[str, Any]]:
    """The six Observations of one set; the last is the TOBS total."""
    if row.measured_at is None:
        raise ValueError("a set without a known time has no effectiveDateTime")
    key = record_key(row)
    when = iso_utc(row.measured_at)
    made: dict[str, dict[str, Any]] = {}

    def observation(parameter: str, category: str, profile: str | None) -> dict[str, Any]:
        resource: dict[str, Any] = {"resourceType": "Observation", "id": observation_id(KIND, parameter, key)}
        if profile:
            resource["meta"] = {"profile": [codes.VITAL_PROFILE + profile]}
        resource.update({
            "status": "final",
            "category": [{"coding": [{"system": codes.OBSERVATION_CATEGORY, "code": category}]}],
        })
        made[parameter] = resource
        return resource

    for parameter, value in (("pulse", row.pulse), ("resp", row.resp)):
        code, display, unit, profile = codes.LOINC_CODES[parameter]
        obs = observation(parameter, "vital-signs", profile)
        obs.update({"code": _loinc(code, display), "subject": subject, "effectiveDateTime": when,
                    "valueQuantity": _quantity(value, unit)})

    code, display, unit, profile = codes.LOINC_CODES["temp"]
    site_code, site_display = codes.BODY_SITES[row.temp_site]
    obs = observation("temp", "vital-signs", profile)
    obs.update({"code": _loinc(code, display), "subject": subject, "effectiveDateTime": when,
                "valueQuantity": _quantity(row.temp_raw / 10, unit),
                "bodySite": {"coding": [{"system": codes.SNOMED, "code": site_code, "display": site_display}],
                             "text": row.temp_site}})

    code, display, unit, profile = codes.LOINC_CODES["sys_bp"]
    obs = observation("sys_bp", "vital-signs", profile)
    obs.update({"code": _loinc(code, display), "subject": subject, "effectiveDateTime": when, "component": [
        {"code": _loinc(*codes.LOINC_SYSTOLIC), "valueQuantity": _quantity(row.sys_bp, unit)},
        # The handheld records the systolic pressure only: TOBS scores nothing else.
        {"code": _loinc(*codes.LOINC_DIASTOLIC),
         "dataAbsentReason": {"coding": [{"system": codes.DATA_ABSENT_REASON, "code": "not-performed"}]}},
    ]})

    code, display, _unit, _profile = codes.LOINC_CODES["awareness"]
    finding, finding_display = codes.AWARENESS_FINDINGS[row.awareness]
    obs = observation("awareness", "survey", None)
    obs.update({"code": {"coding": [{"system": codes.LOINC, "code": code, "display": display},
                                    {"system": codes.SNOMED, "code": codes.SNOMED_LEVEL_OF_CONSCIOUSNESS}],
                         "text": display},
                "subject": subject, "effectiveDateTime": when,
                "valueCodeableConcept": {"coding": [{"system": codes.SNOMED, "code": finding,
                                                     "display": finding_display}],
                                         "text": tobs_labels.label("en", row.awareness)}})

    system, code, display, unit = codes.MEDCOM_CODES["total"]
    obs = observation("total", "survey", None)
    obs.update({
        "code": {"coding": [{"system": system, "code": code, "display": display}], "text": "TOBS score"},
        "subject": subject, "effectiveDateTime": when, "valueQuantity": _quantity(row.total, unit),
        "derivedFrom": [ref("Observation", made[p]["id"]) for p in ("pulse", "resp", "temp", "sys_bp", "awareness")],
        # Each parameter's points on the chart (core id in the method), so a receiver can see how the total came.
        "method": {"text": f"TOBS chart {row.core_id}"},
        "component": [{"code": {"text": f"TOBS points: {tobs_labels.label('en', p)}"},
                       "valueInteger": row.points[p]} for p in ("pulse", "resp", "temp", "sys_bp", "awareness")],
    })
    return list(made.values())


def exportable(rows: list[ObservationRow]) -> tuple[list[ObservationRow], int]:
    """The sets that can be exported, and how many cannot (their time is unknown: no effectiveDateTime)."""
    kept = [r for r in rows if r.measured_at is not None]
    return kept, len(rows) - len(kept)


def resources(patients: dict[tuple[str, int], PatientIdentity], rows: list[ObservationRow],
              ref: Ref) -> list[dict[str, Any]]:
    """Each patient followed by their sets' Observations, in the order of the patients and of the sets."""
    out: list[dict[str, Any]] = []
    for (site, number), who in sorted(patients.items()):
        patient = patient_resource(who)
        out.append(patient)
        subject = ref("Patient", patient["id"])
        for row in rows:
            if (row.site, row.patient) == (site, number):
                out.extend(set_observations(row, subject, ref))
    return out


def collection_bundle(patients: dict[tuple[str, int], PatientIdentity], rows: list[ObservationRow]) -> dict[str, Any]:
    content = resources(patients, rows, bundle_ref)
    newest = max((r.measured_at for r in rows if r.measured_at is not None), default=None)
    bundle: dict[str, Any] = {
        "resourceType": "Bundle",
        "id": derived_uuid("vital-signs-bundle", *(f"{d}:{e}:{s}" for d, e, s in map(record_key, rows)),
                           *(f"{s}:{n}" for s, n in sorted(patients))),
        "type": "collection",
    }
    if newest is not None:
        bundle["timestamp"] = iso_utc(newest)
    bundle["entry"] = [{"fullUrl": f"urn:uuid:{r['id']}", "resource": r} for r in content]
    return bundle


def ndjson_lines(patients: dict[tuple[str, int], PatientIdentity], rows: list[ObservationRow]) -> list[str]:
    return [json.dumps(r, ensure_ascii=False, separators=(",", ":")) for r in resources(patients, rows, relative_ref)]
