"""Reading the register: patients, observations (with the action as it stands: a follow-up recorded later names it
for a set saved without it), the CSV export, and the PC-only patient identity (name, CPR), which is never sent to a
device."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import IO, Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from tobs.register.db import Register, RegisterError
from tobs.register.models import FollowUp, Observation, Patient, Site
from tobs.shared import tobs_core, tobs_labels

# The export's columns, exactly and in this order. measured_at is ISO 8601 UTC ("2026-11-22T14:03:05Z"), empty when
# the time is unknown; clock_valid is 1 when the device's clock was set when it measured, else 0 (a filled
# measured_at with clock_valid 0 was repaired from the boot counter); temperatures are °C with one decimal. action and
# reason are the site's codes (0 = none), the ones a follow-up recorded later where there is one; action_missing is 1
# while the site's guidance wanted the action documented and none has been recorded; action_followup_at is when a
# follow-up recorded it (ISO 8601 UTC), empty when it was recorded with the measurement (or that time is unknown).
EXPORT_COLUMNS = (
    "device_id", "seq", "site", "patient", "staff", "measured_at", "clock_valid", "pulse", "resp", "temp_raw",
    "temp_site", "temp_scored", "sys_bp", "awareness", "pulse_pts", "resp_pts", "temp_pts", "sys_bp_pts",
    "awareness_pts", "total", "core_id", "action", "reason", "action_missing", "action_followup_at",
)


def iso_utc(moment: datetime | None) -> str:
    return "" if moment is None else moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def celsius(tenths: int) -> str:
    return tobs_labels.format_tenths(tenths, "en")


def mask_cpr(cpr: str | None) -> str:
    """The birth date part only: the serial digits stay in the register."""
    return "" if not cpr else f"{cpr[:6]}-****"


@dataclass(frozen=True)
class PatientSummary:
    site: str
    number: int
    name: str | None
    cpr: str | None
    observations: int
    last_measured_at: datetime | None
    last_total: int | None

    def as_dict(self, show_cpr: bool = False) -> dict[str, Any]:
        return {
            "site": self.site, "patient": self.number, "name": self.name,
            "cpr": self.cpr if show_cpr else mask_cpr(self.cpr) or None, "observations": self.observations,
            "last_measured_at": iso_utc(self.last_measured_at) or None, "last_total": self.last_total,
        }


@dataclass(frozen=True)
class ObservationRow:
    device_id: str
    seq: int
    site: str
    patient: int
    staff: int
    measured_at: datetime | None
    clock_quality: str
    pulse: int
    resp: int
    temp_raw: int
    temp_site: str
    temp_scored: int
    sys_bp: int
    awareness: str
    points: dict[str, int]
    total: int
    core_id: str
    action: int
    reason: int = 0
    store_epoch: int = 0  # the handheld's store the set was saved in: (device_id, store_epoch, seq) names it
    action_missing: bool = False
    action_followup_at: datetime | None = None  # when a follow-up recorded the action, if one did
    action_followup_staff: int | None = None
    flags: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "device_id": self.device_id, "seq": self.seq, "site": self.site, "patient": self.patient,
            "staff": self.staff, "measured_at": iso_utc(self.measured_at) or None,
            "clock_quality": self.clock_quality, "pulse": self.pulse, "resp": self.resp,
            "temp_raw": celsius(self.temp_raw), "temp_site": self.temp_site, "temp_scored": celsius(self.temp_scored),
            "sys_bp": self.sys_bp, "awareness": self.awareness, "points": self.points, "total": self.total,
            "core_id": self.core_id, "action": self.action, "reason": self.reason,
            "action_missing": self.action_missing, "action_followup_at": iso_utc(self.action_followup_at) or None,
            "action_followup_staff": self.action_followup_staff, "flags": self.flags,
        }


def _with_follow_up(query: Select) -> Select:
    """The observations of query, each with the newest follow-up that names it (or None)."""
    newest = (
        select(FollowUp.device_id, FollowUp.store_epoch, FollowUp.observation_seq, func.max(FollowUp.seq).label("seq"))
        .group_by(FollowUp.device_id, FollowUp.store_epoch, FollowUp.observation_seq)
        .subquery()
    )
    return query.add_columns(FollowUp).outerjoin(
        newest,
        (newest.c.device_id == Observation.device_id) & (newest.c.store_epoch == Observation.store_epoch)
        & (newest.c.observation_seq == Observation.seq),
    ).outerjoin(
        FollowUp,
        (FollowUp.device_id == newest.c.device_id) & (FollowUp.store_epoch == newest.c.store_epoch)
        & (FollowUp.seq == newest.c.seq),
    )


def later_actions(
    session: Session, keys: Iterable[tuple[str, int, int]]
) -> dict[tuple[str, int, int], FollowUp]:
    """(device_id, store_epoch, seq) of observations -> the newest follow-up that records an action for each, where
    one does."""
    by_store: dict[tuple[str, int], list[int]] = {}
    for device_id, epoch, seq in keys:
        by_store.setdefault((device_id, epoch), []).append(seq)
    found: dict[tuple[str, int, int], FollowUp] = {}
    for (device_id, epoch), seqs in by_store.items():
        for start in range(0, len(seqs), 500):
            query = select(FollowUp).where(
                FollowUp.device_id == device_id, FollowUp.store_epoch == epoch,
                FollowUp.observation_seq.in_(seqs[start : start + 500]),
            ).order_by(FollowUp.seq)
            for later in session.scalars(query):
                found[(later.device_id, later.store_epoch, later.observation_seq)] = later  # the newest wins
    return found


def _action(o: Observation, later: FollowUp | None) -> tuple[int, int, bool]:
    """(action, reason, still missing) as they stand: a follow-up's where there is one."""
    if later is not None:
        return later.action, later.reason, False
    return o.action, o.reason, o.action_missing


def _filtered(query: Select, patient: int | None, site: str | None) -> Select:
    if patient is not None:
        query = query.where(Observation.patient_number == patient)
    if site is not None:
        query = query.where(Observation.site_code == site)
    return query


def list_patients(register: Register, *, site: str | None = None) -> list[PatientSummary]:
    """Every patient (of one site, if given) with their number of observations and the latest one's total."""
    per_patient = (Observation.site_code, Observation.patient_number)
    ranked = select(
        Observation.site_code,
        Observation.patient_number,
        Observation.measured_at,
        Observation.total,
        func.count().over(partition_by=per_patient).label("n"),
        func.row_number()
        .over(partition_by=per_patient, order_by=(Observation.measured_at.desc().nulls_last(), Observation.seq.desc()))
        .label("rank"),
    ).subquery()
    latest = select(ranked).where(ranked.c.rank == 1).subquery()
    query = (
        select(Patient, latest.c.n, latest.c.measured_at, latest.c.total)
        .outerjoin(latest, (latest.c.site_code == Patient.site_code) & (latest.c.patient_number == Patient.number))
        .order_by(Patient.site_code, Patient.number)
    )
    if site is not None:
        query = query.where(Patient.site_code == site)
    with register.read() as session:
        return [
            PatientSummary(p.site_code, p.number, p.name, p.cpr, n or 0, last, total)
            for p, n, last, total in session.execute(query)
        ]


def _row(o: Observation, later: FollowUp | None) -> ObservationRow:
    action, reason, missing = _action(o, later)
    return ObservationRow(
        device_id=o.device_id, seq=o.seq, store_epoch=o.store_epoch, site=o.site_code, patient=o.patient_number,
        staff=o.staff_number,
        measured_at=o.measured_at, clock_quality=o.clock_quality, pulse=o.pulse, resp=o.resp, temp_raw=o.temp_raw,
        temp_site=o.temp_site, temp_scored=o.temp_scored, sys_bp=o.sys_bp, awareness=o.awareness,
        points={name: getattr(o, f"{name}_pts") for name in tobs_core.PARAMETERS}, total=o.total,
        core_id=o.core_id, action=action, reason=reason, action_missing=missing,
        action_followup_at=None if later is None else later.recorded_at,
        action_followup_staff=None if later is None else later.staff_number,
        flags=[f for f in o.flags.split(",") if f],
    )


def list_observations(
    register: Register, *, patient: int | None = None, site: str | None = None, limit: int | None = None
) -> list[ObservationRow]:
    """Observations, newest first (those without a known time last), optionally for one patient number / site."""
    query = _with_follow_up(_filtered(select(Observation), patient, site)).order_by(
        Observation.measured_at.desc().nulls_last(), Observation.device_id, Observation.seq.desc()
    )
    if limit is not None:
        query = query.limit(limit)
    with register.read() as session:
        return [_row(o, later) for o, later in session.execute(query)]


def export_rows(register: Register, *, patient: int | None = None, site: str | None = None) -> Iterator[list[Any]]:
    """The export's rows in EXPORT_COLUMNS order, by device and sequence number; streamed, not held in memory."""
    query = _with_follow_up(_filtered(select(Observation), patient, site)).order_by(
        Observation.device_id, Observation.seq
    )
    with register.read() as session:
        for o, later in session.execute(query.execution_options(yield_per=1000)):
            action, reason, missing = _action(o, later)
            yield [
                o.device_id, o.seq, o.site_code, o.patient_number, o.staff_number, iso_utc(o.measured_at),
                1 if o.clock_valid else 0, o.pulse, o.resp, celsius(o.temp_raw), o.temp_site, celsius(o.temp_scored),
                o.sys_bp, o.awareness, o.pulse_pts, o.resp_pts, o.temp_pts, o.sys_bp_pts, o.awareness_pts, o.total,
                o.core_id, action, reason, 1 if missing else 0, "" if later is None else iso_utc(later.recorded_at),
            ]


def write_csv(register: Register, stream: IO[str], *, patient: int | None = None, site: str | None = None) -> int:
    """Write the export (header + rows) to a text stream opened with newline=""; returns the number of rows."""
    writer = csv.writer(stream, lineterminator="\r\n")
    writer.writerow(EXPORT_COLUMNS)
    count = 0
    for row in export_rows(register, patient=patient, site=site):
        writer.writerow(row)
        count += 1
    return count


def normalize_cpr(text: str) -> str:
    """A CPR number as 10 digits ("DDMMYY-SSSS" or "DDMMYYSSSS"), or RegisterError."""
    digits = re.sub(r"[\s-]", "", text)
    if not re.fullmatch(r"\d{10}", digits):
        raise RegisterError("A CPR number has 10 digits, written DDMMYY-SSSS.")
    day, month = int(digits[0:2]), int(digits[2:4])
    try:
        # The century is in the serial digits; 2000 is a leap year, so 29 February passes as it should.
        date(2000, month, day)
    except ValueError:
        raise RegisterError(f"The CPR number {digits[:6]}-**** does not start with a valid date.") from None
    return digits


def set_patient_identity(
    register: Register, site: str, number: int, *, name: str | None = None, cpr: str | None = None
) -> None:
    """Attach a name and/or CPR number to a site's patient number, on the PC only (sync never sends them to a
    device). None leaves a value as it is; "" removes it. The patient is added if no device has seen it yet."""
    if number < 0:
        raise RegisterError("A patient number is a whole number of 0 or more.")
    cleaned_cpr = None if cpr in (None, "") else normalize_cpr(cpr)
    if name is not None and len(name) > 200:
        raise RegisterError("A patient name can be at most 200 characters.")

    def work(session) -> None:
        if session.get(Site, site) is None:
            raise RegisterError(f"Site '{site}' is not in the register.")
        patient = session.get(Patient, (site, number))
        if patient is None:
            patient = Patient(site_code=site, number=number, first_seen=datetime.now(timezone.utc))
            session.add(patient)
        if name is not None:
            patient.name = name or None
        if cpr is not None:
            patient.cpr = cleaned_cpr

    register.run_write(work)
