"""A site's exchange details (`tobs fhir setup FILE`): who sends, who signs, whom it may send to. Checked field by
field when added, so that a message never fails half way for a missing SOR number."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from tobs.exchange.files import ExchangeError
from tobs.register.db import Register
from tobs.register.models import FhirSite, Site

DEFAULT_ACK_WITHIN_MIN = 120


@dataclass(frozen=True)
class Organization:
    name: str
    sor: str
    ean: str
    producent_id: str | None = None
    ydernummer: str | None = None
    initials: str | None = None


@dataclass(frozen=True)
class Signer:
    staff: int
    name: str
    role: str


@dataclass(frozen=True)
class SiteExchange:
    site: str
    sender: Organization
    phone: str
    staff: dict[int, Signer]
    gps: dict[str, Organization]
    ack_within_min: int

    def gp(self, sor: str) -> Organization:
        if sor not in self.gps:
            raise ExchangeError(f"--to: SOR {sor} is not among the GP practices of site {self.site} "
                                "(add it to the site's exchange file and run tobs fhir setup).")
        return self.gps[sor]

    def signer(self, staff: int) -> Signer:
        if staff not in self.staff:
            raise ExchangeError(f"Staff {staff} has no name in the exchange file of site {self.site}: a MedCom "
                                "message is signed with the name of who measured.")
        return self.staff[staff]


def _text(where: str, node: dict[str, Any], key: str, pattern: str | None = None, required: bool = True) -> str | None:
    value = node.get(key)
    field = f"{where}.{key}" if where else key
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ExchangeError(f"{field} must be a non-empty text.")
    value = value.strip()
    if pattern and not re.fullmatch(pattern, value):
        raise ExchangeError(f"{field} '{value}' is not {pattern_words(pattern)}.")
    return value


def pattern_words(pattern: str) -> str:
    return {r"\d{6,18}": "a SOR number (digits)", r"\d{13}": "an EAN (GLN) number of 13 digits",
            r"[A-ZÆØÅ]{3}": "a MedCom producent ID of three capital letters", r"\d{6}": "a ydernummer of 6 digits",
            r"\+?[\d ]{8,16}": "a phone number"}[pattern]


def _organization(where: str, node: Any, gp: bool) -> Organization:
    if not isinstance(node, dict):
        raise ExchangeError(f"{where} must be an object.")
    return Organization(
        name=_text(where, node, "name"),  # type: ignore[arg-type]
        sor=_text(where, node, "sor", r"\d{6,18}"),  # type: ignore[arg-type]
        ean=_text(where, node, "ean", r"\d{13}"),  # type: ignore[arg-type]
        producent_id=None if gp else _text(where, node, "producent_id", r"[A-ZÆØÅ]{3}"),
        ydernummer=_text(where, node, "ydernummer", r"\d{6}") if gp else None,
        initials=_text(where, node, "initials", required=False) if gp else None,
    )


def parse(body: Any) -> SiteExchange:
    """The checked exchange details of one site; ExchangeError names the first wrong field."""
    if not isinstance(body, dict):
        raise ExchangeError("The exchange file must hold a JSON object.")
    site = _text("", body, "site")
    sender = _organization("sender", body.get("sender"), gp=False)
    phone = _text("", body, "phone", r"\+?[\d ]{8,16}")
    staff_node = body.get("staff")
    if not isinstance(staff_node, dict) or not staff_node:
        raise ExchangeError("staff must map staff numbers to {\"name\": …}.")
    staff = {}
    for number, person in staff_node.items():
        if not str(number).isdigit() or not isinstance(person, dict):
            raise ExchangeError(f"staff.{number} must be a staff number with {{\"name\": …}}.")
        name = _text(f"staff.{number}", person, "name")
        role = _text(f"staff.{number}", person, "role", required=False) or "sygeplejerske"
        staff[int(number)] = Signer(int(number), name, role)  # type: ignore[arg-type]
    gp_nodes = body.get("gps")
    if not isinstance(gp_nodes, list) or not gp_nodes:
        raise ExchangeError("gps must list the GP practices the site sends to.")
    gps = {}
    for i, node in enumerate(gp_nodes):
        practice = _organization(f"gps[{i}]", node, gp=True)
        gps[practice.sor] = practice
    ack = body.get("ack_within_min", DEFAULT_ACK_WITHIN_MIN)
    if not isinstance(ack, int) or isinstance(ack, bool) or not 1 <= ack <= 7 * 24 * 60:
        raise ExchangeError("ack_within_min must be whole minutes between 1 and 10080.")
    return SiteExchange(site, sender, phone, staff, gps, ack)  # type: ignore[arg-type]


def add(register: Register, body: Any) -> SiteExchange:
    details = parse(body)

    def work(session) -> None:
        if session.get(Site, details.site) is None:
            raise ExchangeError(f"site: site '{details.site}' is not in the register.")
        existing = session.get(FhirSite, details.site)
        if existing is None:
            session.add(FhirSite(site_code=details.site, body=body, added_at=datetime.now(timezone.utc)))
        else:
            existing.body = body
            existing.added_at = datetime.now(timezone.utc)

    register.run_write(work)
    return details


def of_site(register: Register, site: str) -> SiteExchange:
    with register.read() as session:
        found = session.get(FhirSite, site)
    if found is None:
        raise ExchangeError(f"Site {site} has no exchange details: add them with tobs fhir setup FILE.")
    return parse(found.body)


def all_sites(register: Register) -> dict[str, SiteExchange]:
    from sqlalchemy import select

    with register.read() as session:
        return {row.site_code: parse(row.body) for row in session.scalars(select(FhirSite))}
