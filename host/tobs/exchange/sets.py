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


def parse_sets(text: str | None) -> list[tuple[str, int | None, int]] | None:
    """--sets as DEVICE:SEQ[,DEVICE:SEQ...] (the device_id and seq columns of `tobs export`), or None for all. A
    handheld whose store was reset has two sets with one number: DEVICE:EPOCH:SEQ (epoch in hex, as `tobs problems`
    shows it) names one of them."""
    if text is None:
        return None
    chosen: list[tuple[str, int | None, int]] = []
    for part in text.split(","):
        fields = part.strip().split(":")
        epoch: int | None = None
        if len(fields) == 3 and fields[1]:
            try:
                epoch = int(fields[1], 16)
            except ValueError:
                epoch = -1
            fields = [fields[0], fields[2]]
        if len(fields) != 2 or not fields[0] or not fields[1].isdigit() or epoch == -1:
            raise ExchangeError(f"--sets: '{part.strip()}' is not DEVICE:SEQ (for example e6614103e7452d2f:12).")
        chosen.append((fields[0].lower(), epoch, int(fields[1])))
    if not chosen:
        raise ExchangeError("--sets names no set.")
    return chosen


def sets_of(register: Register, site: str, patient: int | None,
            chosen: list[tuple[str, int | None, int]] | None = None,
            latest: int | None = None) -> list[ObservationRow]:
    """The patient's (or the site's) sets, oldest first; `chosen` picks some by (device, seq), `latest` keeps the
    newest n. A chosen set that is not this patient's is refused, naming it."""
    rows = list_observations(register, patient=patient, site=site)
    rows.sort(key=lambda r: (r.measured_at is None, r.measured_at, r.device_id, r.seq))
    if chosen is not None:
        wanted = set()
        whose = f"patient {patient} at site {site}" if patient is not None else f"site {site}"
        for device, epoch, seq in chosen:
            named = f"{device}:{seq}" if epoch is None else f"{device}:{epoch:x}:{seq}"
            found = [r for r in rows if r.device_id == device and r.seq == seq and epoch in (None, r.store_epoch)]
            if not found:
                raise ExchangeError(f"--sets: {named} is not a set of {whose}.")
            if len(found) > 1:
                raise ExchangeError(
                    f"--sets: {named} names a set in more than one store of that handheld: give DEVICE:EPOCH:SEQ."
                )
            wanted.add((device, found[0].store_epoch, seq))
        rows = [r for r in rows if (r.device_id, r.store_epoch, r.seq) in wanted]
    if latest is not None:
        rows = rows[-latest:]
    return rows


def keys(rows: list[ObservationRow]) -> list[list[object]]:
    return [list(record_key(r)) for r in rows]
