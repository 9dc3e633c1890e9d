"""WhatsApp: the messages already handled (Meta redelivers), the sent ones' statuses, and when
each number last wrote (the 24-hour window).

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "whatsapp_messages_seen",
        sa.Column("message_key", sa.String(length=64), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("message_key", name=op.f("pk_whatsapp_messages_seen")),
    )
    op.create_table(
        "whatsapp_sent",
        sa.Column("message_key", sa.String(length=64), nullable=False),
        sa.Column("recipient_id", sa.String(length=100), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("message_key", name=op.f("pk_whatsapp_sent")),
    )
    op.create_index(
        op.f("ix_whatsapp_sent_recipient_id"), "whatsapp_sent", ["recipient_id"], unique=False
    )
    op.create_table(
        "whatsapp_windows",
        sa.Column("conversation_id", sa.String(length=100), nullable=False),
        sa.Column("last_inbound_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("conversation_id", name=op.f("pk_whatsapp_windows")),
    )


def downgrade() -> None:
    op.drop_table("whatsapp_windows")
    op.drop_index(op.f("ix_whatsapp_sent_recipient_id"), table_name="whatsapp_sent")
    op.drop_table("whatsapp_sent")
    op.drop_table("whatsapp_messages_seen")
