"""The observation sets and the patient an exchange is about, read from the register."""

from __future__ import annotations

from dataclasses import dataclass

from tobs.exchange.files import ExchangeError
from tobs.exchange.identity import record_key
from tobs.register.db import Register
from tobs.register.models import Patient
from tobs.register.queries import ObservationRow, list_observations


@dataclass(frozen=True)
class PatientIdentity:
    site: str
    number: int
    name: str | None
    cpr: str | None


def patient_identity(register: Register, site: str, number: int) -> PatientIdentity:
    with register.read() as session:
        found = session.get(Patient, (site, number))
    if found is None:
        raise ExchangeError(f"Patient {number} at site {site} is not in the register.")
    return PatientIdentity(site, number, found.name, found.cpr)


def parse_sets(text: str | None) -> list[tuple[str, int]] | None:
    """--sets as DEVICE:SEQ[,DEVICE:SEQ...] (the device_id and seq columns of `tobs export`), or None for all."""
    if text is None:
        return None
    chosen = []
    for part in text.split(","):
        device, sep, seq = part.strip().partition(":")
        if not sep or not device or not seq.isdigit():
            raise ExchangeError(f"--sets: '{part.strip()}' is not DEVICE:SEQ (for example e6614103e7452d2f:12).")
        chosen.append((device.lower(), int(seq)))
    if not chosen:
        raise ExchangeError("--sets names no set.")
    return chosen


def sets_of(register: Register, site: str, patient: int | None, chosen: list[tuple[str, int]] | None = None,
            latest: int | None = None) -> list[ObservationRow]:
    """The patient's (or the site's) sets, oldest first; `chosen` picks some by (device, seq), `latest` keeps the
    newest n. A chosen set that is not this patient's is refused, naming it."""
    rows = list_observations(register, patient=patient, site=site)
    rows.sort(key=lambda r: (r.measured_at is None, r.measured_at, r.device_id, r.seq))
    if chosen is not None:
        by_key = {(r.device_id, r.seq): r for r in rows}
        missing = [f"{d}:{s}" for d, s in chosen if (d, s) not in by_key]
        if missing:
            whose = f"patient {patient} at site {site}" if patient is not None else f"site {site}"
            raise ExchangeError(f"--sets: {missing[0]} is not a set of {whose}.")
        wanted = set(chosen)
        rows = [r for r in rows if (r.device_id, r.seq) in wanted]
    if latest is not None:
        rows = rows[-latest:]
    return rows


def keys(rows: list[ObservationRow]) -> list[list[object]]:
    return [list(record_key(r)) for r in rows]
