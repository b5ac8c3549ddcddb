"""The four tables: patients, checkins, plans, escalations.

Revision ID: 0001
Revises:
Create Date: 2025-11-20
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

# Frozen history: spell types and constraints out here, never import them from the app's tables.
revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

UTC_DATETIME = sa.DateTime(timezone=True)


def _pk(table: str) -> sa.PrimaryKeyConstraint:
    return sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}"))


def _patient_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["patient_id"], ["patients.id"], name=op.f(f"fk_{table}_patient_id_patients"), ondelete="CASCADE"
    )


def _check(table: str, name: str, sql: str) -> sa.CheckConstraint:
    return sa.CheckConstraint(sql, name=op.f(f"ck_{table}_{name}"))


def upgrade() -> None:
    op.create_table(
        "patients",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("sender_id", sa.String(255), nullable=False),
        sa.Column("enrolled_on", sa.Date(), nullable=False),
        sa.Column("side", sa.String(8), nullable=True),
        sa.Column("sport", sa.String(16), nullable=True),
        sa.Column("diagnosed", sa.Boolean(), nullable=True),
        sa.Column("phase_number", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        _pk("patients"),
        sa.UniqueConstraint("channel", "sender_id", name=op.f("uq_patients_channel_sender_id")),
        _check("patients", "side", "side IN ('left', 'right', 'both')"),
        _check("patients", "sport", "sport IN ('dance', 'running', 'football', 'other')"),
        _check("patients", "phase_number", "phase_number >= 1"),
    )
    op.create_table(
        "checkins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("pain_rest", sa.Integer(), nullable=False),
        sa.Column("pain_exercise", sa.Integer(), nullable=False),
        sa.Column("pain_morning", sa.Integer(), nullable=False),
        sa.Column("swelling", sa.String(16), nullable=False),
        sa.Column("mechanical", sa.String(16), nullable=False),
        sa.Column("adherence", sa.String(8), nullable=False),
        sa.Column("day_class", sa.String(8), nullable=True),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        _pk("checkins"),
        _patient_fk("checkins"),
        sa.UniqueConstraint("patient_id", "day", name=op.f("uq_checkins_patient_id_day")),
        _check("checkins", "pain_rest", "pain_rest BETWEEN 0 AND 10"),
        _check("checkins", "pain_exercise", "pain_exercise BETWEEN 0 AND 10"),
        _check("checkins", "pain_morning", "pain_morning BETWEEN 0 AND 10"),
        _check("checkins", "swelling", "swelling IN ('none', 'mild', 'marked')"),
        _check("checkins", "mechanical", "mechanical IN ('none', 'catching', 'locking', 'giving_way')"),
        _check("checkins", "adherence", "adherence IN ('all', 'some', 'none')"),
        _check("checkins", "day_class", "day_class IN ('green', 'amber', 'red')"),
    )
    op.create_table(
        "plans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("phase_number", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        _pk("plans"),
        _patient_fk("plans"),
        sa.UniqueConstraint("patient_id", "day", name=op.f("uq_plans_patient_id_day")),
        _check("plans", "status", "status IN ('start', 'progress', 'hold', 'regress')"),
        _check("plans", "phase_number", "phase_number >= 1"),
    )
    op.create_table(
        "escalations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("urgency", sa.String(16), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("triggers", sa.JSON(), nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("acknowledged_by", sa.String(255), nullable=True),
        sa.Column("acknowledged_at", UTC_DATETIME, nullable=True),
        _pk("escalations"),
        _patient_fk("escalations"),
        _check("escalations", "urgency", "urgency IN ('emergency', 'urgent', 'routine')"),
    )
    op.create_index(op.f("ix_escalations_patient_id"), "escalations", ["patient_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_escalations_patient_id"), table_name="escalations")
    for table in ("escalations", "plans", "checkins", "patients"):
        op.drop_table(table)
