"""What the ward sees: the board of a site's patients (latest score in its band's colour, time since, re-measure
due or overdue, escalation documented or missing, trend), and one patient's sets over time. An action recorded later
on the handheld (a follow-up record) counts as that set's action."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select

from tobs.register.db import Register
from tobs.register.models import Observation, Patient, Site
from tobs.register.queries import later_actions
from tobs.reports.guidance import Band, Guidance, GuidanceBook

BOARD_DAYS = 14  # a patient is on the board while they have a set from the last two weeks
DUE_SOON = timedelta(hours=1)  # the handheld's home screen uses the same hour


@dataclass(frozen=True)
class BoardRow:
    patient: int
    name: str | None
    measured_at: datetime
    total: int
    any_three: bool
    band: Band
    band_text: str
    action: int
    action_label: str
    previous_total: int | None
    due_at: datetime | None
    config_known: bool

    @property
    def escalation_missing(self) -> bool:
        return self.band.document and self.action == 0

    def due_state(self, now: datetime) -> str:
        """overdue, due (within the hour), later, or none (the band asks for no re-measure)."""
        if self.due_at is None:
            return "none"
        if now > self.due_at:
            return "overdue"
        return "due" if self.due_at - now <= DUE_SOON else "later"

    @property
    def trend(self) -> str:
        if self.previous_total is None:
            return "new"
        if self.total > self.previous_total:
            return "up"
        return "down" if self.total < self.previous_total else "same"


_DUE_ORDER = {"overdue": 0, "due": 1, "later": 2, "none": 3}


def _any_three(o) -> bool:
    return 3 in (o.pulse_pts, o.resp_pts, o.temp_pts, o.sys_bp_pts, o.awareness_pts)


def ward_board(register: Register, site: str, *, now: datetime | None = None, lang: str = "da",
               book: GuidanceBook | None = None) -> list[BoardRow]:
    """The site's patients with a set in the last BOARD_DAYS, those needing action first: a missing escalation,
    then overdue, then the highest band and score."""
    now = now or datetime.now(timezone.utc)
    book = book or GuidanceBook.load(register)
    ranked = (
        select(
            Observation.patient_number, Observation.measured_at, Observation.total, Observation.action,
            Observation.device_id, Observation.store_epoch, Observation.seq,
            Observation.config_id, Observation.pulse_pts, Observation.resp_pts, Observation.temp_pts,
            Observation.sys_bp_pts, Observation.awareness_pts,
            func.row_number().over(
                partition_by=Observation.patient_number,
                order_by=(Observation.measured_at.desc(), Observation.seq.desc()),
            ).label("rank"),
        )
        .where(Observation.site_code == site, Observation.measured_at >= now - timedelta(days=BOARD_DAYS),
               Observation.measured_at <= now + timedelta(minutes=5))
        .subquery()
    )
    query = (
        select(ranked, Patient.name)
        .join(Patient, (Patient.site_code == site) & (Patient.number == ranked.c.patient_number))
        .where(ranked.c.rank <= 2)
        .order_by(ranked.c.patient_number, ranked.c.rank)
    )
    found: list[tuple] = []  # (latest set, the total before it)
    with register.read() as session:
        for row in session.execute(query):
            if row.rank == 1:
                found.append((row, None))
            elif found and found[-1][0].patient_number == row.patient_number:
                found[-1] = (found[-1][0], row.total)
        later = later_actions(session, [(row.device_id, row.store_epoch, row.seq) for row, _ in found])
    rows = []
    for row, previous_total in found:
        recorded = later.get((row.device_id, row.store_epoch, row.seq))
        rows.append(_board_row(row, previous_total, book, lang, row.action if recorded is None else recorded.action))
    rows.sort(key=lambda r: (not r.escalation_missing, _DUE_ORDER[r.due_state(now)], -r.band.index, -r.total,
                             r.patient))
    return rows


def _board_row(row, previous_total: int | None, book: GuidanceBook, lang: str, action: int) -> BoardRow:
    guidance = book.get(row.config_id)
    any_three = _any_three(row)
    band = guidance.band_for(row.total, any_three)
    due = row.measured_at + timedelta(minutes=band.remeasure_min) if band.remeasure_min else None
    return BoardRow(
        patient=row.patient_number, name=row.name, measured_at=row.measured_at, total=row.total,
        any_three=any_three, band=band, band_text=band.text.get(lang, ""), action=action,
        action_label=guidance.action_label(action, lang), previous_total=previous_total, due_at=due,
        config_known=guidance.known,
    )


@dataclass(frozen=True)
class PatientSet:
    observation: Observation
    band: Band
    action: int  # as it stands: a follow-up's where one recorded it later
    action_label: str
    reason_label: str
    config_known: bool


@dataclass(frozen=True)
class PatientRecord:
    site: str
    site_name: str
    number: int
    name: str | None
    cpr: str | None
    guidance: Guidance  # of the newest set: its bands shade the total's trend
    sets: list[PatientSet]  # oldest first; sets without a known time are left out of the trend but listed


def patient_record(register: Register, site: str, number: int, *, lang: str = "da",
                   book: GuidanceBook | None = None) -> PatientRecord | None:
    book = book or GuidanceBook.load(register)
    with register.read() as session:
        patient = session.get(Patient, (site, number))
        if patient is None:
            return None
        site_row = session.get(Site, site)
        observations = session.scalars(
            select(Observation)
            .where(Observation.site_code == site, Observation.patient_number == number)
            .order_by(Observation.measured_at.asc().nulls_first(), Observation.device_id, Observation.seq)
        ).all()
        later = later_actions(session, [(o.device_id, o.store_epoch, o.seq) for o in observations])
    sets = []
    for o in observations:
        guidance = book.get(o.config_id)
        band = guidance.band_for(o.total, _any_three(o))
        recorded = later.get((o.device_id, o.store_epoch, o.seq))
        action, reason = (o.action, o.reason) if recorded is None else (recorded.action, recorded.reason)
        sets.append(PatientSet(o, band, action, guidance.action_label(action, lang),
                               guidance.reason_label(reason, lang), guidance.known))
    newest = book.get(observations[-1].config_id) if observations else book.example
    return PatientRecord(site, site_row.name if site_row else site, number, patient.name, patient.cpr, newest, sets)


def site_names(register: Register) -> dict[str, str]:
    with register.read() as session:
        return {code: name for code, name in session.execute(select(Site.code, Site.name).order_by(Site.code))}
