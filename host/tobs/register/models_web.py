"""The register's tables for the web view: accounts and their roles, login sessions, login attempts (for
throttling), the audit log of every page or export that shows a patient, and the site configurations the
handhelds used (so that the register knows each set's guidance band). Created by migration 0002."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from tobs.register.models import Base, UTCDateTime

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
    patient_number: Mapped[int] = mapped_column(Integer)
    # Whether the name and CPR number were on the page.
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
    from tobs.register.models import Observation

    Index(None, Observation.site_code, Observation.measured_at)
    Index(None, Observation.site_code, Observation.patient_number, Observation.measured_at, Observation.seq,
          postgresql_include=list(QUALITY_COLUMNS))
    Index(None, Observation.sync_id)


_observation_indexes()
