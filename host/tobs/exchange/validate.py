"""Structural FHIR validation with fhir.resources' R4B models (FHIR 4.3.0: the resources the exchange uses are
unchanged from R4 4.0.1 in the elements we write), plus the bundle rules those models cannot see. Profile rules
(MedCom's invariants) are checked in tobs.exchange.invariants; what needs the official validator is listed in
docs/exchange.md."""

from __future__ import annotations

from typing import Any

import pydantic
from fhir.resources.R4B import get_fhir_model_class


def _where(resource: dict[str, Any]) -> str:
    return f"{resource.get('resourceType', '?')}/{resource.get('id', '?')}"


def structural_problems(resource: dict[str, Any]) -> list[str]:
    """Element names, cardinalities, datatypes and primitive formats of one resource (a bundle with its entries)."""
    kind = resource.get("resourceType")
    if not isinstance(kind, str):
        return ["the JSON object has no resourceType"]
    try:
        model = get_fhir_model_class(kind)
    except ValueError:
        return [f"{kind!r} is not a FHIR resource type"]
    try:
        model.model_validate(resource)
    except pydantic.ValidationError as e:
        return [f"{_where(resource)}: {'.'.join(str(p) for p in err['loc']) or '(resource)'}: {err['msg']}"
                for err in e.errors()]
    return []


def bundle_problems(bundle: dict[str, Any]) -> list[str]:
    """Structure, plus bdl-7 (fullUrl unique) and that every urn:uuid reference names an entry of the bundle."""
    problems = structural_problems(bundle)
    entries = bundle.get("entry") or []
    urls = [e.get("fullUrl") for e in entries if isinstance(e, dict)]
    seen: set[str] = set()
    for url in urls:
        if url in seen:
            problems.append(f"bdl-7: fullUrl {url} is used twice")
        if isinstance(url, str):
            seen.add(url)
    for entry in entries:
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(resource, dict):
            continue
        if isinstance(entry.get("fullUrl"), str) and entry["fullUrl"].startswith("urn:uuid:") and \
                entry["fullUrl"] != f"urn:uuid:{resource.get('id')}":
            problems.append(f"{_where(resource)}: fullUrl {entry['fullUrl']} does not end in the resource's id")
        for target in references(resource):
            if target.startswith("urn:uuid:") and target not in seen:
                problems.append(f"{_where(resource)}: reference {target} names no entry of the bundle")
    return problems


def references(node: Any) -> list[str]:
    """Every Reference.reference inside a resource."""
    found: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "reference" and isinstance(value, str):
                found.append(value)
            else:
                found.extend(references(value))
    elif isinstance(node, list):
        for item in node:
            found.extend(references(item))
    return found
