"""The review inbox: applicants' messages the language model may have misread, masked, for
admins to confirm or correct their intent.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "review_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("noticed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("message_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("conversation_id", sa.String(length=200), nullable=True),
        sa.Column("conversation_hash", sa.String(length=64), nullable=True),
        sa.Column("channel", sa.String(length=30), nullable=True),
        sa.Column("language", sa.String(length=8), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("intent", sa.String(length=100), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("reason", sa.String(length=30), nullable=False),
        sa.Column("verdict", sa.String(length=20), nullable=True),
        sa.Column("reviewed_intent", sa.String(length=100), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("exported_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_messages")),
        sa.UniqueConstraint(
            "conversation_hash",
            "message_at",
            name=op.f("uq_review_messages_conversation_hash_message_at"),
        ),
    )
    op.create_index(
        op.f("ix_review_messages_noticed_at"), "review_messages", ["noticed_at"], unique=False
    )
    op.create_index(
        op.f("ix_review_messages_conversation_hash"),
        "review_messages",
        ["conversation_hash"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_review_messages_conversation_hash"), table_name="review_messages")
    op.drop_index(op.f("ix_review_messages_noticed_at"), table_name="review_messages")
    op.drop_table("review_messages")
