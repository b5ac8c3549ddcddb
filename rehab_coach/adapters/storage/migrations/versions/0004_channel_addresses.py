"""Messaging-channel addresses: the Telegram chat or phone number through which a patient talks to the coach.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "channel_addresses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("address", sa.String(255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channel_addresses")),
        sa.UniqueConstraint("channel", "address", name=op.f("uq_channel_addresses_channel_address")),
        sa.ForeignKeyConstraint(["patient_id"], ["patients.id"], name=op.f("fk_channel_addresses_patient_id_patients"),
                                ondelete="CASCADE"),
    )
    op.create_index(op.f("ix_channel_addresses_patient_id"), "channel_addresses", ["patient_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_channel_addresses_patient_id"), table_name="channel_addresses")
    op.drop_table("channel_addresses")
