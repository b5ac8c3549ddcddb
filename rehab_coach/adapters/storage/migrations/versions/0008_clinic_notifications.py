"""Clinic notifications: the notice of each emergency or urgent escalation, written with it, sent by the scheduler.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "clinic_notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("escalation_id", sa.Integer(), nullable=False),
        sa.Column("urgency", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delivered_by", sa.JSON(), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(100), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clinic_notifications")),
        sa.UniqueConstraint("escalation_id", name=op.f("uq_clinic_notifications_escalation_id")),
        sa.CheckConstraint("urgency IN ('emergency', 'urgent')", name=op.f("ck_clinic_notifications_urgency")),
        sa.ForeignKeyConstraint(["patient_id"], ["patients.id"],
                                name=op.f("fk_clinic_notifications_patient_id_patients"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["escalation_id"], ["escalations.id"],
                                name=op.f("fk_clinic_notifications_escalation_id_escalations"), ondelete="CASCADE"),
    )
    op.create_index(op.f("ix_clinic_notifications_patient_id"), "clinic_notifications", ["patient_id"])
    op.create_index(op.f("ix_clinic_notifications_next_attempt_at"), "clinic_notifications", ["next_attempt_at"])


def downgrade() -> None:
    op.drop_table("clinic_notifications")
