"""The audit log of patient views: every page or export that shows a patient writes who, when, what and which
patient, in the same register as the patient's data, readable per patient (a citizen's right of access)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import insert, select

from tobs.register.db import Register
from tobs.register.models_web import AuditEntry


@dataclass(frozen=True)
class Viewer:
    username: str
    role: str
    remote: str


def record_views(register: Register, viewer: Viewer, what: str, site: str, patients: Iterable[int], *,
                 identity_shown: bool, at: datetime | None = None) -> int:
    """One audit row per patient shown, written before the page is sent; returns how many."""
    at = at or datetime.now(timezone.utc)
    rows = [
        {"at": at, "username": viewer.username[:64], "role": viewer.role, "what": what[:32], "site_code": site,
         "patient_number": number, "identity_shown": identity_shown, "remote": viewer.remote[:64]}
        for number in sorted(set(patients))
    ]
    if rows:
        register.run_write(lambda session: session.execute(insert(AuditEntry), rows))
    return len(rows)


def entries_for_patient(register: Register, patient: int, site: str | None = None) -> list[AuditEntry]:
    query = select(AuditEntry).where(AuditEntry.patient_number == patient)
    if site is not None:
        query = query.where(AuditEntry.site_code == site)
    with register.read() as session:
        return list(session.scalars(query.order_by(AuditEntry.at, AuditEntry.id)))
