"""FHIR exchange: each site's exchange details (sender organisation, signatures, GP practices) and every MedCom
message put in an outbox, with its acknowledgement.

Revision ID: 0005
Revises: 0003
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "fhir_sites",
        sa.Column("site_code", sa.String(32), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("added_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(["site_code"], ["sites.code"], name="fk_fhir_sites_site_code_sites"),
        sa.PrimaryKeyConstraint("site_code", name="pk_fhir_sites"),
    )
    op.create_table(
        "fhir_messages",
        sa.Column("bundle_id", sa.String(36), nullable=False),
        sa.Column("header_id", sa.String(36), nullable=False),
        sa.Column("thread_id", sa.String(36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("activity", sa.String(24), nullable=False),
        sa.Column("site_code", sa.String(32), nullable=False),
        sa.Column("patient_number", sa.BigInteger(), nullable=False),
        sa.Column("receiver_sor", sa.String(32), nullable=False),
        sa.Column("sets", sa.JSON(), nullable=False),
        sa.Column("comment", sa.String(2000), nullable=True),
        sa.Column("file_name", sa.String(255), nullable=False),
        sa.Column("sent_at", UTC, nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("ack_at", UTC, nullable=True),
        sa.Column("ack_code", sa.String(24), nullable=True),
        sa.Column("ack_detail", sa.String(2000), nullable=True),
        sa.ForeignKeyConstraint(
            ["site_code", "patient_number"],
            ["patients.site_code", "patients.number"],
            name="fk_fhir_messages_site_code_patient_number_patients",
        ),
        sa.PrimaryKeyConstraint("bundle_id", name="pk_fhir_messages"),
        sa.UniqueConstraint("header_id", name="uq_fhir_messages_header_id"),
        sa.UniqueConstraint("thread_id", "version", name="uq_fhir_messages_thread_id_version"),
    )
    op.create_index("ix_fhir_messages_status_sent_at", "fhir_messages", ["status", "sent_at"])


def downgrade() -> None:
    op.drop_index("ix_fhir_messages_status_sent_at", "fhir_messages")
    op.drop_table("fhir_messages")
    op.drop_table("fhir_sites")
