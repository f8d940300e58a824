"""The audit log of patient views: every page or export that shows a patient writes who, when, what and which
patient, in the same register as the patient's data, readable per patient (a citizen's right of access)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import insert, select

from tobs.register.db import Register
from tobs.register.models import AuditEntry


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


def cli_viewer() -> Viewer:
    """Who ran a `tobs` command on this PC: the operating system's user and host (role 'pc')."""
    import getpass
    import socket

    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"  # no login name in this environment: the row still records the host and the patients
    return Viewer(username=user, role="pc", remote=socket.gethostname())


def record_cli_views(register: Register, what: str, shown: Iterable[tuple[str, int]], *,
                     identity_shown: bool) -> int:
    """Audit rows for a command that printed or exported patients: one per (site, patient) shown."""
    viewer = cli_viewer()
    by_site: dict[str, set[int]] = {}
    for site, number in shown:
        by_site.setdefault(site, set()).add(number)
    return sum(record_views(register, viewer, what, site, numbers, identity_shown=identity_shown)
               for site, numbers in sorted(by_site.items()))


def patients_in(register: Register, *, patient: int | None = None, site: str | None = None) -> list[tuple[str, int]]:
    """The (site, patient) pairs that have observations, filtered as the export and the listings filter."""
    from tobs.register.models import Observation

    query = select(Observation.site_code, Observation.patient_number).distinct()
    if patient is not None:
        query = query.where(Observation.patient_number == patient)
    if site is not None:
        query = query.where(Observation.site_code == site)
    with register.read() as session:
        return [(s, n) for s, n in session.execute(query)]
