"""The audit log's patient number is a 64-bit integer, like every other patient number in the register: a handheld's
patient numbers go to 2^32 - 1, which a 32-bit column on PostgreSQL refuses (the view of such a patient failed
instead of being logged).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("audit_log") as table:
        table.alter_column("patient_number", existing_type=sa.Integer(), type_=sa.BigInteger(), existing_nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("audit_log") as table:
        table.alter_column("patient_number", existing_type=sa.BigInteger(), type_=sa.Integer(), existing_nullable=False)
