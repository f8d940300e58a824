"""Store epochs: a handheld's record store has an identity made with it, so a set is (device, store epoch, seq) and
a wiped flash, whose numbers start at 1 again, is a new store rather than a run of conflicts. Every row already held
is of epoch 0, the store before stores had an identity. Every HELLO's account of the store is kept
(store_sightings), for the gap and reset reports.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
# After 0005 rather than between 0003 and it: a register that is already at 0005 must still get this one.
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _epoch() -> sa.Column:
    return sa.Column("store_epoch", sa.BigInteger(), nullable=False, server_default="0")


def upgrade() -> None:
    with op.batch_alter_table("observations", recreate="always") as table:
        table.add_column(_epoch())
        table.drop_constraint("pk_observations", type_="primary")
        table.create_primary_key("pk_observations", ["device_id", "store_epoch", "seq"])
    op.drop_index("ix_follow_ups_device_id_observation_seq", "follow_ups")
    with op.batch_alter_table("follow_ups", recreate="always") as table:
        table.add_column(_epoch())
        table.drop_constraint("pk_follow_ups", type_="primary")
        table.create_primary_key("pk_follow_ups", ["device_id", "store_epoch", "seq"])
    op.create_index(
        "ix_follow_ups_device_id_store_epoch_observation_seq", "follow_ups",
        ["device_id", "store_epoch", "observation_seq"],
    )
    with op.batch_alter_table("conflicts") as table:
        table.add_column(_epoch())
        table.drop_constraint("uq_conflicts_device_id_seq_content_hash", type_="unique")
        table.create_unique_constraint(
            "uq_conflicts_device_id_store_epoch_seq_content_hash", ["device_id", "store_epoch", "seq", "content_hash"]
        )
    # A plain ADD COLUMN: rebuilding sync_log would drop a table other tables' foreign keys point at.
    op.add_column("rejected_records", _epoch())
    op.add_column("sync_log", _epoch())
    op.create_table(
        "store_sightings",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("device_id", sa.String(16), nullable=False),
        sa.Column("store_epoch", sa.BigInteger(), nullable=False),
        sa.Column("next_seq", sa.BigInteger(), nullable=False),
        sa.Column("synced_to", sa.BigInteger(), nullable=True),
        sa.Column("pending", sa.BigInteger(), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("pc_host", sa.String(255), nullable=False),
        sa.ForeignKeyConstraint(["device_id"], ["devices.device_id"], name="fk_store_sightings_device_id_devices"),
        sa.PrimaryKeyConstraint("id", name="pk_store_sightings"),
    )
    op.create_index("ix_store_sightings_device_id_store_epoch", "store_sightings", ["device_id", "store_epoch"])


def downgrade() -> None:
    # Only possible while every row is of epoch 0: two stores' seq 1 cannot share the old key.
    op.drop_index("ix_store_sightings_device_id_store_epoch", "store_sightings")
    op.drop_table("store_sightings")
    # DROP COLUMN in place (PostgreSQL; SQLite since 3.35): a batch rebuild of sync_log would drop a table that
    # other tables' foreign keys point at.
    op.execute("ALTER TABLE sync_log DROP COLUMN store_epoch")
    op.execute("ALTER TABLE rejected_records DROP COLUMN store_epoch")
    with op.batch_alter_table("conflicts") as table:
        table.drop_constraint("uq_conflicts_device_id_store_epoch_seq_content_hash", type_="unique")
        table.create_unique_constraint("uq_conflicts_device_id_seq_content_hash", ["device_id", "seq", "content_hash"])
        table.drop_column("store_epoch")
    op.drop_index("ix_follow_ups_device_id_store_epoch_observation_seq", "follow_ups")
    with op.batch_alter_table("follow_ups", recreate="always") as table:
        table.drop_constraint("pk_follow_ups", type_="primary")
        table.create_primary_key("pk_follow_ups", ["device_id", "seq"])
        table.drop_column("store_epoch")
    op.create_index("ix_follow_ups_device_id_observation_seq", "follow_ups", ["device_id", "observation_seq"])
    with op.batch_alter_table("observations", recreate="always") as table:
        table.drop_constraint("pk_observations", type_="primary")
        table.create_primary_key("pk_observations", ["device_id", "seq"])
        table.drop_column("store_epoch")
