"""The web view: accounts, sessions, login attempts, the patient audit log, site configurations, the quality
figures of closed periods, and the indexes the ward board and the quality pages need.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("full_name", sa.String(200), nullable=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("site_code", sa.String(32), nullable=True),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("language", sa.String(2), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(["site_code"], ["sites.code"], name="fk_users_site_code_sites"),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        sa.UniqueConstraint("username", name="uq_users_username"),
    )
    op.create_table(
        "web_sessions",
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("last_seen_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_web_sessions_user_id_users"),
        sa.PrimaryKeyConstraint("token_hash", name="pk_web_sessions"),
    )
    op.create_index("ix_web_sessions_user_id", "web_sessions", ["user_id"])
    op.create_table(
        "login_attempts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("remote", sa.String(64), nullable=False),
        sa.Column("at", UTC, nullable=False),
        sa.Column("success", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_login_attempts"),
    )
    op.create_index("ix_login_attempts_username_at", "login_attempts", ["username", "at"])
    op.create_index("ix_login_attempts_remote_at", "login_attempts", ["remote", "at"])
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", UTC, nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("what", sa.String(32), nullable=False),
        sa.Column("site_code", sa.String(32), nullable=False),
        sa.Column("patient_number", sa.Integer(), nullable=False),
        sa.Column("identity_shown", sa.Boolean(), nullable=False),
        sa.Column("remote", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_log"),
    )
    op.create_index("ix_audit_log_site_code_patient_number_at", "audit_log", ["site_code", "patient_number", "at"])
    op.create_table(
        "site_configs",
        sa.Column("config_id", sa.String(8), nullable=False),
        sa.Column("site_code", sa.String(32), nullable=True),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("added_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("config_id", name="pk_site_configs"),
    )
    op.create_table(
        "quality_periods",
        sa.Column("site_code", sa.String(32), nullable=False),
        sa.Column("unit", sa.String(8), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("rules_key", sa.String(16), nullable=False),
        sa.Column("sets", sa.Integer(), nullable=False),
        sa.Column("elevated", sa.Integer(), nullable=False),
        sa.Column("documented", sa.Integer(), nullable=False),
        sa.Column("minutes_to_next", sa.Float(), nullable=True),
        sa.Column("remeasure_due", sa.Integer(), nullable=False),
        sa.Column("on_time", sa.Integer(), nullable=False),
        sa.Column("through_sync", sa.Integer(), nullable=False),
        sa.Column("computed_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("site_code", "unit", "period_start", name="pk_quality_periods"),
    )
    op.create_index("ix_observations_site_code_measured_at", "observations", ["site_code", "measured_at"])
    op.create_index(
        "ix_observations_site_code_patient_number_measured_at_seq",
        "observations",
        ["site_code", "patient_number", "measured_at", "seq"],
        postgresql_include=["total", "action", "config_id", "pulse_pts", "resp_pts", "temp_pts", "sys_bp_pts",
                            "awareness_pts"],
    )
    op.create_index("ix_observations_sync_id", "observations", ["sync_id"])


def downgrade() -> None:
    op.drop_index("ix_observations_sync_id", "observations")
    op.drop_index("ix_observations_site_code_patient_number_measured_at_seq", "observations")
    op.drop_index("ix_observations_site_code_measured_at", "observations")
    for table in ("quality_periods", "site_configs", "audit_log", "login_attempts", "web_sessions", "users"):
        op.drop_table(table)
