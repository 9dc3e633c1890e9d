"""Candidate feedback: how helpful applicants found a status answer or a hand-over (1-5), with
an optional masked comment.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "candidate_feedback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("channel", sa.String(length=30), nullable=True),
        sa.Column("language", sa.String(length=10), nullable=True),
        sa.Column("conversation_id", sa.String(length=255), nullable=True),
        sa.Column("applicant_key", sa.String(length=64), nullable=True),
        sa.Column("escalation_id", sa.Integer(), nullable=True),
        sa.Column("recruiter_id", sa.Integer(), nullable=True),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["escalation_id"],
            ["escalations.id"],
            name=op.f("fk_candidate_feedback_escalation_id_escalations"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["recruiter_id"],
            ["recruiters.id"],
            name=op.f("fk_candidate_feedback_recruiter_id_recruiters"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_candidate_feedback")),
    )
    op.create_index(
        op.f("ix_candidate_feedback_conversation_id"),
        "candidate_feedback",
        ["conversation_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_candidate_feedback_applicant_key"),
        "candidate_feedback",
        ["applicant_key"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_candidate_feedback_applicant_key"), table_name="candidate_feedback")
    op.drop_index(op.f("ix_candidate_feedback_conversation_id"), table_name="candidate_feedback")
    op.drop_table("candidate_feedback")
