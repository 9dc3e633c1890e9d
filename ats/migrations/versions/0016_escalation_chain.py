"""The escalation chain: the admins told of an escalation raised to them (the third level),
each once, besides the one it is with.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "escalation_copies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("escalation_id", sa.Integer(), nullable=False),
        sa.Column("recruiter_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("mail_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["escalation_id"],
            ["escalations.id"],
            name=op.f("fk_escalation_copies_escalation_id_escalations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recruiter_id"],
            ["recruiters.id"],
            name=op.f("fk_escalation_copies_recruiter_id_recruiters"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_escalation_copies")),
    )
    op.create_index(
        op.f("ix_escalation_copies_escalation_id"),
        "escalation_copies",
        ["escalation_id"],
        unique=False,
    )
    op.create_index(
        "ix_escalation_copies_waiting",
        "escalation_copies",
        ["recruiter_id"],
        unique=False,
        sqlite_where=sa.text("mail_id IS NULL"),
        postgresql_where=sa.text("mail_id IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_escalation_copies_waiting", table_name="escalation_copies")
    op.drop_index(op.f("ix_escalation_copies_escalation_id"), table_name="escalation_copies")
    op.drop_table("escalation_copies")
