"""Discharge: the day a patient was discharged, and the day their transcript was erased under the retention rule.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("patients") as patients:
        patients.add_column(sa.Column("discharged_on", sa.Date(), nullable=True))
        patients.add_column(sa.Column("transcript_erased_on", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("patients") as patients:
        patients.drop_column("transcript_erased_on")
        patients.drop_column("discharged_on")
