"""`tobs fhir check`: read a Bundle that carries TOBS vitals and a stated total (MedCom's codes, LOINC vital signs,
SNOMED CT), score the vitals with the chart and report every disagreement, parameter by parameter, with the
chart's reason: the band each value falls in.

Which observations make one set: those the total is `derivedFrom`; else the results of the DiagnosticReport that
holds the total; else the subject's observations. Of these, each parameter's nearest in time to the total (within
an hour) is taken. Where only a total is stated, the parameters that alone could account for the difference are
named, nearest first (how far the value is from the band that would give the stated total)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from tobs.exchange import codes
from tobs.exchange.files import ExchangeError
from tobs.exchange.validate import structural_problems
from tobs.shared import tobs_core, tobs_labels

PARAMETERS = ("pulse", "resp", "temp", "sys_bp", "awareness")
WINDOW = timedelta(hours=1)
UNITS = {"pulse": "/min", "resp": "/min", "temp": "°C", "sys_bp": "mmHg"}

# (system or None for any, code) -> parameter. NPU and MedCom codes are unique strings, so any system is taken.
_CODES: dict[tuple[str | None, str], str] = {
    (codes.LOINC, "8867-4"): "pulse", (None, "NPU21692"): "pulse", (codes.SNOMED, "364075005"): "pulse",
    (codes.LOINC, "9279-1"): "resp", (None, "MCS88122"): "resp", (codes.SNOMED, "86290005"): "resp",
    (codes.LOINC, "8310-5"): "temp", (None, "NPU08676"): "temp", (codes.SNOMED, "276885007"): "temp",
    (codes.LOINC, "8332-9"): "temp:rectal", (codes.LOINC, "8331-1"): "temp:oral",
    (codes.LOINC, "8328-7"): "temp:axillary",
    (codes.LOINC, "8480-6"): "sys_bp", (None, "DNK05472"): "sys_bp", (codes.SNOMED, "271649006"): "sys_bp",
    (codes.LOINC, "85354-9"): "bp_panel", (codes.SNOMED, "75367002"): "bp_panel",
    (codes.LOINC, "80288-4"): "awareness", (codes.SNOMED, "6942003"): "awareness", (None, "MCS88126"): "awareness",
    (None, "MCS88125"): "total",
}
_SYSTOLIC = {(codes.LOINC, "8480-6"), (codes.SNOMED, "271649006"), (codes.SNOMED, "407554009"), (None, "DNK05472")}
_SITES = {code: site for site, (code, _display) in codes.BODY_SITES.items()}
_SITES["123851003"] = "oral"  # mouth region structure, which some systems use for an oral reading
_FINDINGS = {code: level for level, (code, _display) in codes.AWARENESS_FINDINGS.items()}
_POINTS_TO_LEVEL = {0: "habitual", 1: "voice", 2: "pain", 3: "unresponsive"}


@dataclass
class Value:
    parameter: str
    value: Any  # a number (temperature in °C), or an awareness level
    observation: str  # where it came from: Observation/id
    site: str | None = None  # temperature site
    site_assumed: bool = False
    stated_points: int | None = None


@dataclass
class ParameterResult:
    parameter: str
    shown: str  # the value as a nurse reads it
    points: int | None
    reason: str  # the chart's band, or why it cannot be scored
    stated_points: int | None = None
    note: str = ""

    @property
    def disagrees(self) -> bool:
        return self.stated_points is not None and self.points is not None and self.stated_points != self.points


@dataclass
class SetResult:
    total_observation: str
    subject: str
    when: str
    stated_total: float | None
    chart_total: int | None
    parameters: list[ParameterResult] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    candidates: list[str] = field(default_factory=list)

    @property
    def agrees(self) -> bool:
        return (not self.missing and self.chart_total is not None and self.stated_total == self.chart_total
                and not any(p.disagrees for p in self.parameters))

    def as_dict(self) -> dict[str, Any]:
        return {
            "total_observation": self.total_observation, "subject": self.subject, "effective": self.when,
            "stated_total": self.stated_total, "chart_total": self.chart_total, "agrees": self.agrees,
            "missing": self.missing, "candidates": self.candidates,
            "parameters": [{"parameter": p.parameter, "value": p.shown, "points": p.points, "reason": p.reason,
                            "stated_points": p.stated_points, "note": p.note} for p in self.parameters],
        }


@dataclass
class CheckResult:
    sets: list[SetResult]
    structural: list[str]

    @property
    def agrees(self) -> bool:
        return all(s.agrees for s in self.sets)


def _codings(concept: Any) -> list[tuple[str | None, str]]:
    if not isinstance(concept, dict):
        return []
    return [(c.get("system"), str(c.get("code"))) for c in concept.get("coding") or [] if isinstance(c, dict)]


def _kind(concept: Any, table: dict[tuple[str | None, str], str]) -> str | None:
    for system, code in _codings(concept):
        found = table.get((system, code)) or table.get((None, code))
        if found:
            return found
    return None


def _time(resource: dict[str, Any]) -> datetime | None:
    text = resource.get("effectiveDateTime") or (resource.get("effectivePeriod") or {}).get("start")
    if not isinstance(text, str):
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def _number(quantity: Any) -> float | None:
    if isinstance(quantity, dict) and isinstance(quantity.get("value"), (int, float)) and \
            not isinstance(quantity.get("value"), bool):
        return quantity["value"]
    return None


def _celsius(quantity: dict[str, Any]) -> float | None:
    value = _number(quantity)
    if value is None:
        return None
    if quantity.get("code") == "[degF]" or quantity.get("unit") in ("°F", "degF"):
        return round((value - 32) * 5 / 9, 1)
    return value


def _points_components(resource: dict[str, Any]) -> dict[str, int]:
    """Per-parameter points a total states in components (as `tobs fhir export` writes them)."""
    stated = {}
    for component in resource.get("component") or []:
        text = ((component.get("code") or {}).get("text") or "") if isinstance(component, dict) else ""
        for p in PARAMETERS:
            if text == f"TOBS points: {tobs_labels.label('en', p)}" and isinstance(component.get("valueInteger"), int):
                stated[p] = component["valueInteger"]
    return stated


def _values(resource: dict[str, Any], where: str) -> list[Value]:
    kind = _kind(resource.get("code"), _CODES)
    if kind is None or kind == "total":
        return []
    if kind == "bp_panel":
        for component in resource.get("component") or []:
            if isinstance(component, dict) and any(c in _SYSTOLIC or (None, c[1]) in _SYSTOLIC
                                                   for c in _codings(component.get("code"))):
                value = _number(component.get("valueQuantity"))
                return [] if value is None else [Value("sys_bp", value, where)]
        return []
    if kind.startswith("temp"):
        value = _celsius(resource.get("valueQuantity") or {})
        if value is None:
            return []
        site = kind.partition(":")[2] or None
        for _system, code in _codings(resource.get("bodySite")):
            site = site or _SITES.get(code)
        return [Value("temp", value, where, site=site or "rectal", site_assumed=site is None)]
    if kind == "awareness":
        level = _kind(resource.get("valueCodeableConcept"), {(None, c): lv for c, lv in _FINDINGS.items()})
        if level is not None:
            return [Value("awareness", level, where)]
        points = _number(resource.get("valueQuantity"))
        if points is not None and points in _POINTS_TO_LEVEL:
            # MedCom's MCS88126 states the points (0-3), not the level: taken as the level that scores them.
            return [Value("awareness", _POINTS_TO_LEVEL[int(points)], where, stated_points=int(points))]
        return []
    value = _number(resource.get("valueQuantity"))
    return [] if value is None else [Value(kind, value, where)]


def _band(parameter: str, value: int) -> tuple[int | None, int | None, int]:
    for name, bands in tobs_core.BANDS:
        if name == parameter:
            for lo, hi, points in bands:
                if (lo is None or value >= lo) and (hi is None or value <= hi):
                    return lo, hi, points
    raise ValueError(parameter)


def _range_text(parameter: str, lo: int | None, hi: int | None) -> str:
    def shown(v: int) -> str:
        return tobs_labels.format_tenths(v, "en") if parameter == "temp" else str(v)

    unit = UNITS[parameter]
    if lo is None:
        return f"{shown(hi)} {unit} or lower"  # type: ignore[arg-type]
    if hi is None:
        return f"{shown(lo)} {unit} or higher"
    return f"{shown(lo)}–{shown(hi)} {unit}"


def _score(v: Value) -> ParameterResult:
    if v.parameter == "awareness":
        points = tobs_core.points_for("awareness", v.value)
        words = tobs_labels.label("en", v.value).lower()
        return ParameterResult("awareness", words, points, f"'{words}' scores {points}", v.stated_points)
    try:
        if v.parameter == "temp":
            tenths = tobs_core.corrected_temp(round(v.value, 1), v.site or "rectal")
            scored = tenths
        else:
            scored = int(v.value) if float(v.value).is_integer() else v.value
            tobs_core.points_for(v.parameter, scored)
    except tobs_core.VitalError as e:
        return ParameterResult(v.parameter, f"{v.value}", None, tobs_labels.message(e, "en"))
    lo, hi, points = _band(v.parameter, scored)
    if v.parameter == "temp":
        shown = f"{tobs_labels.format_tenths(round(v.value * 10), 'en')} °C {v.site}"
        note = "site not stated: taken as rectal" if v.site_assumed else ""
        if v.site != "rectal":
            note = f"scored as {tobs_labels.format_tenths(scored, 'en')} °C rectal equivalent"
        reason = f"{_range_text('temp', lo, hi)} scores {points}"
        return ParameterResult("temp", shown, points, reason, v.stated_points, note)
    return ParameterResult(v.parameter, f"{scored} {UNITS[v.parameter]}", points,
                           f"{_range_text(v.parameter, lo, hi)} scores {points}", v.stated_points)


def _candidates(results: list[ParameterResult], values: dict[str, Value], difference: int) -> list[str]:
    """The parameters that alone could account for `difference` points, nearest first."""
    found: list[tuple[float, str]] = []
    for r in results:
        if r.points is None:
            continue
        wanted = r.points + difference
        v = values[r.parameter]
        if r.parameter == "awareness":
            levels = [name for name, pts in tobs_core.AWARENESS if pts == wanted]
            if levels:
                names = " or ".join(f"'{tobs_labels.label('en', n).lower()}'" for n in levels)
                found.append((1.0, f"awareness {names}"))
            continue
        scored = tobs_core.corrected_temp(round(v.value, 1), v.site or "rectal") if r.parameter == "temp" \
            else int(v.value)
        bands = dict(tobs_core.BANDS)[r.parameter]
        lo_cur, hi_cur, _ = _band(r.parameter, scored)
        width = (hi_cur - lo_cur + 1) if lo_cur is not None and hi_cur is not None else 10
        best = None
        for lo, hi, points in bands:
            if points != wanted:
                continue
            edge = hi if hi is not None and scored > hi else lo
            if edge is None:
                continue
            distance = abs(scored - edge)
            if best is None or distance < best[0]:
                best = (distance, lo, hi)
        if best is None:
            continue
        distance, lo, hi = best
        away = tobs_labels.format_tenths(distance, "en") if r.parameter == "temp" else str(distance)
        found.append((distance / width,
                      f"{tobs_labels.label('en', r.parameter)} in {_range_text(r.parameter, lo, hi)} "
                      f"({away} {UNITS[r.parameter]} from the value)"))
    return [text for _, text in sorted(found, key=lambda f: f[0])]


def _resolver(bundle: dict[str, Any]) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
    resources, by_ref = [], {}
    for entry in bundle.get("entry") or []:
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(resource, dict):
            continue
        resources.append(resource)
        rid, kind = resource.get("id"), resource.get("resourceType")
        for name in (entry.get("fullUrl"), f"{kind}/{rid}", f"urn:uuid:{rid}", rid):
            if isinstance(name, str):
                by_ref.setdefault(name, resource)
        if isinstance(entry.get("fullUrl"), str) and "/" in entry["fullUrl"]:
            by_ref.setdefault("/".join(entry["fullUrl"].rstrip("/").split("/")[-2:]), resource)
    return resources, by_ref


def _ref(node: Any) -> str | None:
    return node.get("reference") if isinstance(node, dict) else None


def check_bundle(bundle: dict[str, Any]) -> CheckResult:
    if bundle.get("resourceType") == "Observation":
        bundle = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": bundle}]}
    if bundle.get("resourceType") != "Bundle":
        raise ExchangeError("The file holds neither a Bundle nor an Observation.")
    resources, by_ref = _resolver(bundle)
    observations = [r for r in resources if r.get("resourceType") == "Observation"]
    totals = [o for o in observations if _kind(o.get("code"), _CODES) == "total"]
    if not totals:
        raise ExchangeError("The bundle states no TOBS total (an Observation coded MCS88125).")
    reports = [r for r in resources if r.get("resourceType") == "DiagnosticReport"]
    used: set[int] = set()
    results = []
    for total in totals:
        where = f"Observation/{total.get('id', '?')}"
        pool = [by_ref.get(_ref(d) or "") for d in total.get("derivedFrom") or []]
        if not any(pool):
            holder = next((rep for rep in reports if any(by_ref.get(_ref(r) or "") is total
                                                         for r in rep.get("result") or [])), None)
            pool = [by_ref.get(_ref(r) or "") for r in (holder or {}).get("result") or []]
        if not any(pool):
            subject = _ref(total.get("subject"))
            pool = [o for o in observations if _ref(o.get("subject")) == subject]
        when = _time(total)
        chosen: dict[str, tuple[timedelta, Value, dict[str, Any]]] = {}
        for candidate in pool:
            if not isinstance(candidate, dict) or candidate is total or id(candidate) in used:
                continue
            taken = _time(candidate)
            gap = abs(taken - when) if taken and when else (timedelta(0) if not when else WINDOW * 2)
            if gap > WINDOW:
                continue
            for v in _values(candidate, f"Observation/{candidate.get('id', '?')}"):
                if v.parameter not in chosen or gap < chosen[v.parameter][0]:
                    chosen[v.parameter] = (gap, v, candidate)
        for _gap, _v, candidate in chosen.values():
            used.add(id(candidate))
        stated_points = _points_components(total)
        values = {p: chosen[p][1] for p in PARAMETERS if p in chosen}
        for p, pts in stated_points.items():
            if p in values:
                values[p].stated_points = pts
        scored = [_score(values[p]) for p in PARAMETERS if p in values]
        missing = [p for p in PARAMETERS if p not in values]
        chart_total = None if missing or any(r.points is None for r in scored) else sum(r.points for r in scored)
        stated = _number(total.get("valueQuantity"))
        if stated is None and isinstance(total.get("valueInteger"), int):
            stated = total["valueInteger"]
        result = SetResult(where, _ref(total.get("subject")) or "?", total.get("effectiveDateTime") or "?",
                           stated, chart_total, scored, missing)
        if chart_total is not None and stated is not None and stated != chart_total and \
                not any(r.disagrees for r in scored):
            result.candidates = _candidates(scored, values, int(stated) - chart_total)
        results.append(result)
    return CheckResult(results, structural_problems(bundle))


def report_lines(result: CheckResult) -> list[str]:
    """The check as a person reads it."""
    lines = []
    for s in result.sets:
        stated = "none" if s.stated_total is None else f"{s.stated_total:g}"
        head = f"{s.total_observation} ({s.subject}, {s.when}): stated TOBS {stated}"
        if s.missing:
            names = ", ".join(tobs_labels.label("en", p).lower() for p in s.missing)
            lines.append(f"{head}; cannot recompute it: no {names} observation for this set.")
        elif s.chart_total is None:
            lines.append(f"{head}; a value cannot be scored on the chart.")
        elif s.agrees:
            lines.append(f"{head}, the chart agrees.")
        else:
            lines.append(f"{head}, the chart gives {s.chart_total}: DISAGREES.")
        for p in s.parameters:
            points = "not scored" if p.points is None else f"{p.points} point{'s' if p.points != 1 else ''}"
            mark = f"   DISAGREES: stated {p.stated_points}" if p.disagrees else ""
            note = f" [{p.note}]" if p.note else ""
            lines.append(f"  {tobs_labels.label('en', p.parameter):<12} {p.shown:<26} {points:<9} "
                         f"({p.reason}){note}{mark}")
        if s.candidates:
            lines.append("  Only the total is stated. A single parameter that would give it: "
                         + "; ".join(s.candidates) + ".")
    if result.structural:
        lines.append(f"Note: the bundle has {len(result.structural)} structural problem(s) as FHIR R4B, "
                     f"the first: {result.structural[0]}")
    return lines
