"""The register's tables as SQLAlchemy 2 typed models. The schema itself is created and changed only by the
migrations in `migrations/versions/`; a test checks that these models and the migrated schema agree."""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

# Named constraints so that later migrations can alter them by name on every backend (SQLite batch mode too).
NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Clock quality of an observation's measured_at: the device's clock was set; repaired from the boot counter and
# milliseconds since boot; or unknown (an earlier boot without a clock: measured_at is left empty).
CLOCK_DEVICE = "device"
CLOCK_REPAIRED = "repaired"
CLOCK_UNKNOWN = "unknown"
CLOCK_QUALITIES = (CLOCK_DEVICE, CLOCK_REPAIRED, CLOCK_UNKNOWN)


class UTCDateTime(TypeDecorator[datetime]):
    """A moment in UTC: timestamptz on PostgreSQL, naive UTC text on SQLite, always aware UTC in Python."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("a naive datetime cannot go into the register: give it a time zone")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Site(Base):
    __tablename__ = "sites"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Device(Base):
    __tablename__ = "devices"

    # 16 lower-case hex digits of the Pico's 8-byte unique id.
    device_id: Mapped[str] = mapped_column(String(16), primary_key=True)
    site_code: Mapped[str] = mapped_column(ForeignKey("sites.code"))
    # The per-device HMAC key (32 random bytes): verifies record tags and authenticates acknowledgements.
    key: Mapped[bytes] = mapped_column(LargeBinary(32))
    enrolled_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Staff(Base):
    __tablename__ = "staff"

    site_code: Mapped[str] = mapped_column(ForeignKey("sites.code"), primary_key=True)
    number: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    name: Mapped[str | None] = mapped_column(String(200))
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime())


class Patient(Base):
    """A patient is the site's local number; name and CPR exist only here on the PC, never on a device."""

    __tablename__ = "patients"

    site_code: Mapped[str] = mapped_column(ForeignKey("sites.code"), primary_key=True)
    number: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    name: Mapped[str | None] = mapped_column(String(200))
    cpr: Mapped[str | None] = mapped_column(String(10))
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime())


class SyncLog(Base):
    """The audit log: one row per sync (who, from which PC, which device, when, what came of it)."""

    __tablename__ = "sync_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    device_id: Mapped[str] = mapped_column(ForeignKey("devices.device_id"))
    # The store the handheld synced from (see Observation.store_epoch).
    store_epoch: Mapped[int] = mapped_column(BigInteger, server_default="0")
    pc_user: Mapped[str] = mapped_column(String(100))
    pc_host: Mapped[str] = mapped_column(String(255))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    new: Mapped[int] = mapped_column(Integer)
    already_had: Mapped[int] = mapped_column(Integer)
    conflicts: Mapped[int] = mapped_column(Integer)
    rejected: Mapped[int] = mapped_column(Integer)
    flagged: Mapped[int] = mapped_column(Integer)


class StoreSighting(Base):
    """What a handheld's HELLO said about its store, each time a PC asked, written before the records are pulled, so
    that it stays even when the sync then fails: next_seq - 1 is the newest record the store had made, synced_to the
    newest it had been told the register holds. They tell a gap (a number below synced_to the register does not hold
    was lost after its acknowledgement) and, once the flash is wiped, which records of the old store never arrived."""

    __tablename__ = "store_sightings"
    __table_args__ = (Index(None, "device_id", "store_epoch"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    device_id: Mapped[str] = mapped_column(ForeignKey("devices.device_id"))
    store_epoch: Mapped[int] = mapped_column(BigInteger)
    next_seq: Mapped[int] = mapped_column(BigInteger)
    synced_to: Mapped[int | None] = mapped_column(BigInteger)  # None from firmware that does not say
    pending: Mapped[int] = mapped_column(BigInteger)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    pc_host: Mapped[str] = mapped_column(String(255))


class Observation(Base):
    """One observation set as the handheld stored it, with the register's own score of its raw values."""

    __tablename__ = "observations"
    __table_args__ = (
        ForeignKeyConstraint(["site_code", "patient_number"], ["patients.site_code", "patients.number"]),
        ForeignKeyConstraint(["site_code", "staff_number"], ["staff.site_code", "staff.number"]),
        Index(None, "site_code", "patient_number"),
        Index(None, "measured_at"),
    )

    device_id: Mapped[str] = mapped_column(ForeignKey("devices.device_id"), primary_key=True)
    # The identity of the handheld's record store, made with it: a wiped flash starts a new store whose numbers
    # start at 1 again, so one set is (device, store_epoch, seq). 0 is a store made before stores had one.
    store_epoch: Mapped[int] = mapped_column(BigInteger, primary_key=True, server_default="0")
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    site_code: Mapped[str] = mapped_column(String(32))
    patient_number: Mapped[int] = mapped_column(BigInteger)
    staff_number: Mapped[int] = mapped_column(BigInteger)
    # None when the clock quality is "unknown".
    measured_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    clock_valid: Mapped[bool] = mapped_column(Boolean)
    clock_quality: Mapped[str] = mapped_column(String(8))
    # The device's own time fields, kept as sent so the repair can be checked or redone.
    device_measured_at: Mapped[int] = mapped_column(BigInteger)
    boot_count: Mapped[int] = mapped_column(Integer)
    ms_since_boot: Mapped[int] = mapped_column(BigInteger)
    pulse: Mapped[int] = mapped_column(Integer)
    resp: Mapped[int] = mapped_column(Integer)
    temp_raw: Mapped[int] = mapped_column(Integer)  # tenths of °C as read
    temp_site: Mapped[str] = mapped_column(String(16))
    temp_scored: Mapped[int] = mapped_column(Integer)  # tenths of °C, rectal-equivalent
    sys_bp: Mapped[int] = mapped_column(Integer)
    awareness: Mapped[str] = mapped_column(String(16))
    # Points and total as the register computes them with tobs_core from the raw values.
    pulse_pts: Mapped[int] = mapped_column(SmallInteger)
    resp_pts: Mapped[int] = mapped_column(SmallInteger)
    temp_pts: Mapped[int] = mapped_column(SmallInteger)
    sys_bp_pts: Mapped[int] = mapped_column(SmallInteger)
    awareness_pts: Mapped[int] = mapped_column(SmallInteger)
    total: Mapped[int] = mapped_column(SmallInteger)
    # What the nurse was shown; differs from the above only in flagged rows ("score_mismatch").
    device_points: Mapped[dict[str, Any]] = mapped_column(JSON)
    device_total: Mapped[int] = mapped_column(SmallInteger)
    core_id: Mapped[str] = mapped_column(String(8))
    config_id: Mapped[str] = mapped_column(String(8))
    action: Mapped[int] = mapped_column(SmallInteger)
    reason: Mapped[int] = mapped_column(SmallInteger)
    # The site's guidance wanted the action documented and the handheld saved the set without it (an idle logout on
    # its action screen); a FollowUp names the action later. The row itself is never changed.
    action_missing: Mapped[bool] = mapped_column(Boolean)
    tag: Mapped[bytes | None] = mapped_column(LargeBinary(16))
    # Comma-separated: score_mismatch, unknown_core, clock_unknown; empty when nothing is wrong.
    flags: Mapped[str] = mapped_column(String(100))
    # SHA-256 of the device's content: tells a re-sent record from a different one with the same seq.
    content_hash: Mapped[str] = mapped_column(String(64))
    sync_id: Mapped[int] = mapped_column(ForeignKey("sync_log.id"))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())


class FollowUp(Base):
    """The action (and reason) recorded on the handheld, later, for an observation saved without it: a device record
    of its own (tobs_record's follow-up kind), so the handheld's log and the register stay append-only. It names the
    observation by the device's sequence number; the observation may arrive in the same sync or an earlier one."""

    __tablename__ = "follow_ups"
    __table_args__ = (
        ForeignKeyConstraint(["site_code", "patient_number"], ["patients.site_code", "patients.number"]),
        ForeignKeyConstraint(["site_code", "staff_number"], ["staff.site_code", "staff.number"]),
        Index(None, "device_id", "store_epoch", "observation_seq"),
    )

    device_id: Mapped[str] = mapped_column(ForeignKey("devices.device_id"), primary_key=True)
    # Of the same store as the observation it names (a follow-up never crosses a wiped flash).
    store_epoch: Mapped[int] = mapped_column(BigInteger, primary_key=True, server_default="0")
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    observation_seq: Mapped[int] = mapped_column(BigInteger)
    site_code: Mapped[str] = mapped_column(String(32))
    patient_number: Mapped[int] = mapped_column(BigInteger)
    staff_number: Mapped[int] = mapped_column(BigInteger)  # who recorded the action
    # When the action was recorded (None when the clock quality is "unknown"), placed like an observation's time.
    recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    clock_valid: Mapped[bool] = mapped_column(Boolean)
    clock_quality: Mapped[str] = mapped_column(String(8))
    device_recorded_at: Mapped[int] = mapped_column(BigInteger)
    boot_count: Mapped[int] = mapped_column(Integer)
    ms_since_boot: Mapped[int] = mapped_column(BigInteger)
    action: Mapped[int] = mapped_column(SmallInteger)
    reason: Mapped[int] = mapped_column(SmallInteger)
    core_id: Mapped[str] = mapped_column(String(8))
    config_id: Mapped[str] = mapped_column(String(8))
    tag: Mapped[bytes | None] = mapped_column(LargeBinary(16))
    content_hash: Mapped[str] = mapped_column(String(64))
    sync_id: Mapped[int] = mapped_column(ForeignKey("sync_log.id"))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Conflict(Base):
    """A record whose (device, seq) the register already holds with other content: kept aside, never merged."""

    __tablename__ = "conflicts"
    __table_args__ = (UniqueConstraint("device_id", "store_epoch", "seq", "content_hash"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    device_id: Mapped[str] = mapped_column(ForeignKey("devices.device_id"))
    store_epoch: Mapped[int] = mapped_column(BigInteger, server_default="0")
    seq: Mapped[int] = mapped_column(BigInteger)
    content_hash: Mapped[str] = mapped_column(String(64))
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    sync_id: Mapped[int] = mapped_column(ForeignKey("sync_log.id"))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())


class RejectedRecord(Base):
    """A record that could not be trusted or scored (bad checksum or tag, wrong device, values off the chart)."""

    __tablename__ = "rejected_records"
    __table_args__ = (UniqueConstraint("device_id", "content_hash"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    device_id: Mapped[str] = mapped_column(ForeignKey("devices.device_id"))
    store_epoch: Mapped[int] = mapped_column(BigInteger, server_default="0")
    seq: Mapped[int | None] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(String(500))
    raw: Mapped[bytes | None] = mapped_column(LargeBinary)
    content: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    content_hash: Mapped[str] = mapped_column(String(64))
    sync_id: Mapped[int] = mapped_column(ForeignKey("sync_log.id"))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())


# ---- The web view (migration 0002): accounts, sessions, login attempts, the patient audit log, site
# configurations, the quality figures of closed periods.

ROLE_NURSE = "nurse"  # the ward board and patients of their own site
ROLE_LEADER = "leader"  # as a nurse, plus their own site's quality and devices pages
ROLE_REGION = "region"  # quality and devices pages of every site; no patient pages
ROLE_ADMIN = "admin"  # everything, and accounts
ROLES = (ROLE_NURSE, ROLE_LEADER, ROLE_REGION, ROLE_ADMIN)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str | None] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    # The one site of a nurse or a leader; None for region and admin accounts.
    site_code: Mapped[str | None] = mapped_column(ForeignKey("sites.code"))
    password_hash: Mapped[str] = mapped_column(String(255))
    language: Mapped[str] = mapped_column(String(2))
    active: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class WebSession(Base):
    """A logged-in browser. The cookie holds a random token; only its SHA-256 is stored here."""

    __tablename__ = "web_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())


class LoginAttempt(Base):
    __tablename__ = "login_attempts"
    __table_args__ = (Index(None, "username", "at"), Index(None, "remote", "at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64))
    remote: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    success: Mapped[bool] = mapped_column(Boolean)


class AuditEntry(Base):
    """Who saw which patient, when, on which page or in which export (a citizen may ask for this log)."""

    __tablename__ = "audit_log"
    __table_args__ = (Index(None, "site_code", "patient_number", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    username: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))
    # ward_board, patient_page, ... : what showed the patient.
    what: Mapped[str] = mapped_column(String(32))
    site_code: Mapped[str] = mapped_column(String(32))
    patient_number: Mapped[int] = mapped_column(BigInteger)  # patient numbers go to 2^32 - 1 (migration 0007)
    # Whether the patient's name or whole CPR number was on the page or in the output (a masked CPR, DDMMYY-****, is
    # not a whole one).
    identity_shown: Mapped[bool] = mapped_column(Boolean)
    remote: Mapped[str] = mapped_column(String(64))


class SiteConfiguration(Base):
    """A site configuration file as a handheld used it, found by the config_id every record carries."""

    __tablename__ = "site_configs"

    config_id: Mapped[str] = mapped_column(String(8), primary_key=True)
    site_code: Mapped[str | None] = mapped_column(String(32))
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime())


class QualityPeriod(Base):
    """The quality figures of one site for one closed week or month, kept so that a region's sites side by side
    need not re-read millions of sets. A row is used only while no sync since `through_sync` has brought sets
    that could change it and while the site configurations are the ones it was computed with (`rules_key`)."""

    __tablename__ = "quality_periods"

    site_code: Mapped[str] = mapped_column(String(32), primary_key=True)
    unit: Mapped[str] = mapped_column(String(8), primary_key=True)
    period_start: Mapped[date] = mapped_column(Date, primary_key=True)
    rules_key: Mapped[str] = mapped_column(String(16))
    sets: Mapped[int] = mapped_column(Integer)
    elevated: Mapped[int] = mapped_column(Integer)
    documented: Mapped[int] = mapped_column(Integer)
    minutes_to_next: Mapped[float | None] = mapped_column(Float)
    remeasure_due: Mapped[int] = mapped_column(Integer)
    on_time: Mapped[int] = mapped_column(Integer)
    through_sync: Mapped[int] = mapped_column(Integer)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime())


# Indexes on the observations that the web view's queries need: a site's sets in a time range (ward board); one
# patient's sets in time order, covering every column the quality query reads, so that PostgreSQL computes each
# set's next measurement from the index alone, in index order; the sets a sync brought (what a cached quality
# period must be recomputed for).
QUALITY_COLUMNS = ("total", "action", "config_id", "pulse_pts", "resp_pts", "temp_pts", "sys_bp_pts", "awareness_pts")


def _observation_indexes() -> None:
    Index(None, Observation.site_code, Observation.measured_at)
    Index(None, Observation.site_code, Observation.patient_number, Observation.measured_at, Observation.seq,
          postgresql_include=list(QUALITY_COLUMNS))
    Index(None, Observation.sync_id)


_observation_indexes()


# ---- FHIR exchange (migration 0005): each site's exchange details, and every MedCom message sent.

class FhirSite(Base):
    """A site's exchange details as `tobs fhir setup` added them: the sending organisation (SOR, EAN, producent
    ID), the phone and names that sign a message, the GP practices it may send to, the acknowledgement time."""

    __tablename__ = "fhir_sites"

    site_code: Mapped[str] = mapped_column(ForeignKey("sites.code"), primary_key=True)
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime())


FHIR_SENT = "sent"
FHIR_DELIVERED = "delivered"
FHIR_FAILED = "failed"


class FhirMessage(Base):
    """One MedCom message put in an outbox. Versions of one report share a thread: the first is new-message, later
    ones modified-message or retract-message, each with its own bundle and MessageHeader id (what an
    acknowledgement names)."""

    __tablename__ = "fhir_messages"
    __table_args__ = (
        ForeignKeyConstraint(["site_code", "patient_number"], ["patients.site_code", "patients.number"]),
        UniqueConstraint("thread_id", "version"),
        Index(None, "status", "sent_at"),
    )

    bundle_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    header_id: Mapped[str] = mapped_column(String(36), unique=True)
    thread_id: Mapped[str] = mapped_column(String(36))
    version: Mapped[int] = mapped_column(Integer)
    activity: Mapped[str] = mapped_column(String(24))
    site_code: Mapped[str] = mapped_column(String(32))
    patient_number: Mapped[int] = mapped_column(BigInteger)
    receiver_sor: Mapped[str] = mapped_column(String(32))
    # [[device, store epoch, seq], ...] of the sets the message carries.
    sets: Mapped[list[Any]] = mapped_column(JSON)
    comment: Mapped[str | None] = mapped_column(String(2000))
    file_name: Mapped[str] = mapped_column(String(255))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(12))
    ack_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ack_code: Mapped[str | None] = mapped_column(String(24))
    ack_detail: Mapped[str | None] = mapped_column(String(2000))
