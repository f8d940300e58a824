"""The first register schema: sites, devices and their keys, staff, patients, observations, conflicts, rejected
records and the sync audit log.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Written out here rather than imported from the models: a migration must keep meaning what it meant when written.
UTC = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "sites",
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("code", name="pk_sites"),
    )
    op.create_table(
        "devices",
        sa.Column("device_id", sa.String(16), nullable=False),
        sa.Column("site_code", sa.String(32), nullable=False),
        sa.Column("key", sa.LargeBinary(32), nullable=False),
        sa.Column("enrolled_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(["site_code"], ["sites.code"], name="fk_devices_site_code_sites"),
        sa.PrimaryKeyConstraint("device_id", name="pk_devices"),
    )
    op.create_table(
        "staff",
        sa.Column("site_code", sa.String(32), nullable=False),
        sa.Column("number", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(200), nullable=True),
        sa.Column("first_seen", UTC, nullable=False),
        sa.ForeignKeyConstraint(["site_code"], ["sites.code"], name="fk_staff_site_code_sites"),
        sa.PrimaryKeyConstraint("site_code", "number", name="pk_staff"),
    )
    op.create_table(
        "patients",
        sa.Column("site_code", sa.String(32), nullable=False),
        sa.Column("number", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(200), nullable=True),
        sa.Column("cpr", sa.String(10), nullable=True),
        sa.Column("first_seen", UTC, nullable=False),
        sa.ForeignKeyConstraint(["site_code"], ["sites.code"], name="fk_patients_site_code_sites"),
        sa.PrimaryKeyConstraint("site_code", "number", name="pk_patients"),
    )
    op.create_table(
        "sync_log",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("device_id", sa.String(16), nullable=False),
        sa.Column("pc_user", sa.String(100), nullable=False),
        sa.Column("pc_host", sa.String(255), nullable=False),
        sa.Column("started_at", UTC, nullable=False),
        sa.Column("finished_at", UTC, nullable=True),
        sa.Column("new", sa.Integer(), nullable=False),
        sa.Column("already_had", sa.Integer(), nullable=False),
        sa.Column("conflicts", sa.Integer(), nullable=False),
        sa.Column("rejected", sa.Integer(), nullable=False),
        sa.Column("flagged", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["device_id"], ["devices.device_id"], name="fk_sync_log_device_id_devices"),
        sa.PrimaryKeyConstraint("id", name="pk_sync_log"),
    )
    op.create_table(
        "observations",
        sa.Column("device_id", sa.String(16), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("site_code", sa.String(32), nullable=False),
        sa.Column("patient_number", sa.BigInteger(), nullable=False),
        sa.Column("staff_number", sa.BigInteger(), nullable=False),
        sa.Column("measured_at", UTC, nullable=True),
        sa.Column("clock_valid", sa.Boolean(), nullable=False),
        sa.Column("clock_quality", sa.String(8), nullable=False),
        sa.Column("device_measured_at", sa.BigInteger(), nullable=False),
        sa.Column("boot_count", sa.Integer(), nullable=False),
        sa.Column("ms_since_boot", sa.BigInteger(), nullable=False),
        sa.Column("pulse", sa.Integer(), nullable=False),
        sa.Column("resp", sa.Integer(), nullable=False),
        sa.Column("temp_raw", sa.Integer(), nullable=False),
        sa.Column("temp_site", sa.String(16), nullable=False),
        sa.Column("temp_scored", sa.Integer(), nullable=False),
        sa.Column("sys_bp", sa.Integer(), nullable=False),
        sa.Column("awareness", sa.String(16), nullable=False),
        sa.Column("pulse_pts", sa.SmallInteger(), nullable=False),
        sa.Column("resp_pts", sa.SmallInteger(), nullable=False),
        sa.Column("temp_pts", sa.SmallInteger(), nullable=False),
        sa.Column("sys_bp_pts", sa.SmallInteger(), nullable=False),
        sa.Column("awareness_pts", sa.SmallInteger(), nullable=False),
        sa.Column("total", sa.SmallInteger(), nullable=False),
        sa.Column("device_points", sa.JSON(), nullable=False),
        sa.Column("device_total", sa.SmallInteger(), nullable=False),
        sa.Column("core_id", sa.String(8), nullable=False),
        sa.Column("config_id", sa.String(8), nullable=False),
        sa.Column("action", sa.SmallInteger(), nullable=False),
        sa.Column("reason", sa.SmallInteger(), nullable=False),
        sa.Column("tag", sa.LargeBinary(16), nullable=True),
        sa.Column("flags", sa.String(100), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("sync_id", sa.Integer(), nullable=False),
        sa.Column("received_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(["device_id"], ["devices.device_id"], name="fk_observations_device_id_devices"),
        sa.ForeignKeyConstraint(
            ["site_code", "patient_number"],
            ["patients.site_code", "patients.number"],
            name="fk_observations_site_code_patient_number_patients",
        ),
        sa.ForeignKeyConstraint(
            ["site_code", "staff_number"],
            ["staff.site_code", "staff.number"],
            name="fk_observations_site_code_staff_number_staff",
        ),
        sa.ForeignKeyConstraint(["sync_id"], ["sync_log.id"], name="fk_observations_sync_id_sync_log"),
        sa.PrimaryKeyConstraint("device_id", "seq", name="pk_observations"),
    )
    op.create_index("ix_observations_site_code_patient_number", "observations", ["site_code", "patient_number"])
    op.create_index("ix_observations_measured_at", "observations", ["measured_at"])
    op.create_table(
        "conflicts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("device_id", sa.String(16), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("sync_id", sa.Integer(), nullable=False),
        sa.Column("received_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(["device_id"], ["devices.device_id"], name="fk_conflicts_device_id_devices"),
        sa.ForeignKeyConstraint(["sync_id"], ["sync_log.id"], name="fk_conflicts_sync_id_sync_log"),
        sa.PrimaryKeyConstraint("id", name="pk_conflicts"),
        sa.UniqueConstraint("device_id", "seq", "content_hash", name="uq_conflicts_device_id_seq_content_hash"),
    )
    op.create_table(
        "rejected_records",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("device_id", sa.String(16), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=True),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("raw", sa.LargeBinary(), nullable=True),
        sa.Column("content", sa.JSON(), nullable=True),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("sync_id", sa.Integer(), nullable=False),
        sa.Column("received_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(["device_id"], ["devices.device_id"], name="fk_rejected_records_device_id_devices"),
        sa.ForeignKeyConstraint(["sync_id"], ["sync_log.id"], name="fk_rejected_records_sync_id_sync_log"),
        sa.PrimaryKeyConstraint("id", name="pk_rejected_records"),
        sa.UniqueConstraint("device_id", "content_hash", name="uq_rejected_records_device_id_content_hash"),
    )


def downgrade() -> None:
    for table in ("rejected_records", "conflicts", "observations", "sync_log", "patients", "staff", "devices", "sites"):
        op.drop_table(table)
