"""Binding codes work once: the codes that have bound an address.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "used_codes",
        sa.Column("signature", sa.String(32), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("signature", name=op.f("pk_used_codes")),
        sa.ForeignKeyConstraint(["patient_id"], ["patients.id"], name=op.f("fk_used_codes_patient_id_patients"),
                                ondelete="CASCADE"),
    )
    op.create_index(op.f("ix_used_codes_patient_id"), "used_codes", ["patient_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_used_codes_patient_id"), table_name="used_codes")
    op.drop_table("used_codes")
