"""Spooled work in the database, shared by every Rasa server: a lost pod loses none of it.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "spooled_work",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
        ),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("conversation_hash", sa.String(length=64), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("spooled_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_spooled_work")),
    )
    op.create_index(
        op.f("ix_spooled_work_conversation_hash"),
        "spooled_work",
        ["conversation_hash"],
        unique=False,
    )
    op.create_index("ix_spooled_work_kind_id", "spooled_work", ["kind", "id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_spooled_work_kind_id", table_name="spooled_work")
    op.drop_index(op.f("ix_spooled_work_conversation_hash"), table_name="spooled_work")
    op.drop_table("spooled_work")
