"""Actions recorded later: observations say whether the handheld saved them without the action their guidance wants
documented, and the follow-up records that name that action later get a table of their own.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("observations") as table:
        # Rows from before this revision were stored without the handheld saying so: none was flagged.
        table.add_column(sa.Column("action_missing", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_table(
        "follow_ups",
        sa.Column("device_id", sa.String(16), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("observation_seq", sa.BigInteger(), nullable=False),
        sa.Column("site_code", sa.String(32), nullable=False),
        sa.Column("patient_number", sa.BigInteger(), nullable=False),
        sa.Column("staff_number", sa.BigInteger(), nullable=False),
        sa.Column("recorded_at", UTC, nullable=True),
        sa.Column("clock_valid", sa.Boolean(), nullable=False),
        sa.Column("clock_quality", sa.String(8), nullable=False),
        sa.Column("device_recorded_at", sa.BigInteger(), nullable=False),
        sa.Column("boot_count", sa.Integer(), nullable=False),
        sa.Column("ms_since_boot", sa.BigInteger(), nullable=False),
        sa.Column("action", sa.SmallInteger(), nullable=False),
        sa.Column("reason", sa.SmallInteger(), nullable=False),
        sa.Column("core_id", sa.String(8), nullable=False),
        sa.Column("config_id", sa.String(8), nullable=False),
        sa.Column("tag", sa.LargeBinary(16), nullable=True),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("sync_id", sa.Integer(), nullable=False),
        sa.Column("received_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(["device_id"], ["devices.device_id"], name="fk_follow_ups_device_id_devices"),
        sa.ForeignKeyConstraint(
            ["site_code", "patient_number"],
            ["patients.site_code", "patients.number"],
            name="fk_follow_ups_site_code_patient_number_patients",
        ),
        sa.ForeignKeyConstraint(
            ["site_code", "staff_number"],
            ["staff.site_code", "staff.number"],
            name="fk_follow_ups_site_code_staff_number_staff",
        ),
        sa.ForeignKeyConstraint(["sync_id"], ["sync_log.id"], name="fk_follow_ups_sync_id_sync_log"),
        sa.PrimaryKeyConstraint("device_id", "seq", name="pk_follow_ups"),
    )
    op.create_index("ix_follow_ups_device_id_observation_seq", "follow_ups", ["device_id", "observation_seq"])


def downgrade() -> None:
    op.drop_index("ix_follow_ups_device_id_observation_seq", "follow_ups")
    op.drop_table("follow_ups")
    with op.batch_alter_table("observations") as table:
        table.drop_column("action_missing")
