"""The register's tables as SQLAlchemy 2 typed models. The schema itself is created and changed only by the
migrations in `migrations/versions/`; a test checks that these models and the migrated schema agree."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
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
    pc_user: Mapped[str] = mapped_column(String(100))
    pc_host: Mapped[str] = mapped_column(String(255))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    new: Mapped[int] = mapped_column(Integer)
    already_had: Mapped[int] = mapped_column(Integer)
    conflicts: Mapped[int] = mapped_column(Integer)
    rejected: Mapped[int] = mapped_column(Integer)
    flagged: Mapped[int] = mapped_column(Integer)


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
    tag: Mapped[bytes | None] = mapped_column(LargeBinary(16))
    # Comma-separated: score_mismatch, unknown_core, clock_unknown; empty when nothing is wrong.
    flags: Mapped[str] = mapped_column(String(100))
    # SHA-256 of the device's content: tells a re-sent record from a different one with the same seq.
    content_hash: Mapped[str] = mapped_column(String(64))
    sync_id: Mapped[int] = mapped_column(ForeignKey("sync_log.id"))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Conflict(Base):
    """A record whose (device, seq) the register already holds with other content: kept aside, never merged."""

    __tablename__ = "conflicts"
    __table_args__ = (UniqueConstraint("device_id", "seq", "content_hash"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    device_id: Mapped[str] = mapped_column(ForeignKey("devices.device_id"))
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
    seq: Mapped[int | None] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(String(500))
    raw: Mapped[bytes | None] = mapped_column(LargeBinary)
    content: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    content_hash: Mapped[str] = mapped_column(String(64))
    sync_id: Mapped[int] = mapped_column(ForeignKey("sync_log.id"))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())


# The web view's tables live in their own module; imported here so that Base.metadata (and so the migrations'
# model check) always holds them.
from tobs.register import models_web  # noqa: E402,F401
