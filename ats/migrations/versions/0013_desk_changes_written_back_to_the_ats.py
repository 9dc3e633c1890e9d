"""Desk changes written back to the ATS: the outbox of the write-back, and the guard that keeps
an older snapshot of the ATS from undoing a desk change (ats/desk_changes.py).

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ats_writebacks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("ats_system", sa.String(length=50), nullable=True),
        sa.Column("from_status", sa.String(length=20), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("stage", sa.String(length=200), nullable=True),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("written_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("settled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("seen_status", sa.String(length=20), nullable=True),
        sa.Column("seen_stage", sa.String(length=200), nullable=True),
        sa.Column("seen_source", sa.String(length=50), nullable=True),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_ats_writebacks_application_id_applications"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ats_writebacks")),
    )
    op.create_index(op.f("ix_ats_writebacks_application_id"), "ats_writebacks", ["application_id"])
    op.create_index(
        "ix_ats_writebacks_pending_next_attempt_at",
        "ats_writebacks",
        ["next_attempt_at"],
        sqlite_where=sa.text("state = 'pending'"),
        postgresql_where=sa.text("state = 'pending'"),
    )


def downgrade() -> None:
    op.drop_index("ix_ats_writebacks_pending_next_attempt_at", table_name="ats_writebacks")
    op.drop_index(op.f("ix_ats_writebacks_application_id"), table_name="ats_writebacks")
    op.drop_table("ats_writebacks")
