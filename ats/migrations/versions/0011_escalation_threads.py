"""The hand-over's thread: every message of an escalation, either way and on any channel, with
recruiters' internal notes; the reference an unverified applicant gave; canned replies.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "escalation_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("escalation_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("channel", sa.String(length=30), nullable=True),
        sa.Column("recruiter_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["escalation_id"],
            ["escalations.id"],
            name=op.f("fk_escalation_messages_escalation_id_escalations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recruiter_id"],
            ["recruiters.id"],
            name=op.f("fk_escalation_messages_recruiter_id_recruiters"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_escalation_messages")),
    )
    op.create_index(
        op.f("ix_escalation_messages_escalation_id"),
        "escalation_messages",
        ["escalation_id"],
        unique=False,
    )
    with op.batch_alter_table("escalations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("given_reference", sa.String(length=12), nullable=True))
    op.create_table(
        "canned_replies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_canned_replies")),
    )


def downgrade() -> None:
    op.drop_table("canned_replies")
    with op.batch_alter_table("escalations", schema=None) as batch_op:
        batch_op.drop_column("given_reference")
    op.drop_index(op.f("ix_escalation_messages_escalation_id"), table_name="escalation_messages")
    op.drop_table("escalation_messages")
