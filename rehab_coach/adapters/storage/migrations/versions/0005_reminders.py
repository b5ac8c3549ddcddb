"""Reminders: each patient's reminder time, time zone and pause, and one row per patient-day's reminder (the claim).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("patients") as patients:
        patients.add_column(sa.Column("reminder_time", sa.String(5), nullable=True))
        patients.add_column(sa.Column("timezone", sa.String(64), nullable=True))
        patients.add_column(sa.Column("reminders_paused_until", sa.Date(), nullable=True))
    op.create_table(
        "reminder_sends",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error", sa.String(100), nullable=True),
        sa.Column("alerted", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminder_sends")),
        sa.UniqueConstraint("patient_id", "day", name=op.f("uq_reminder_sends_patient_id_day")),
        sa.CheckConstraint("kind IN ('daily', 'gentle')", name=op.f("ck_reminder_sends_kind")),
        sa.ForeignKeyConstraint(["patient_id"], ["patients.id"], name=op.f("fk_reminder_sends_patient_id_patients"),
                                ondelete="CASCADE"),
    )


def downgrade() -> None:
    op.drop_table("reminder_sends")
    with op.batch_alter_table("patients") as patients:
        patients.drop_column("reminders_paused_until")
        patients.drop_column("timezone")
        patients.drop_column("reminder_time")
