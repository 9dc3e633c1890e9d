"""Trust boundaries: what a conversation has proven, kept on the server; codes bound to the
address and channel they were issued for, with a one-click link; rate counters; escalations
marked verified or not.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "conversation_proofs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.String(length=200), nullable=False),
        sa.Column("channel", sa.String(length=50), nullable=False),
        sa.Column("reference", sa.String(length=12), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("client", sa.String(length=64), nullable=True),
        sa.Column("proven_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversation_proofs")),
        sa.UniqueConstraint(
            "conversation_id",
            "reference",
            name=op.f("uq_conversation_proofs_conversation_id_reference"),
        ),
    )
    op.create_table(
        "rate_counters",
        sa.Column("subject", sa.String(length=250), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("window_started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("blocked_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("subject", name=op.f("pk_rate_counters")),
    )
    with op.batch_alter_table("escalations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("verified", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(sa.Column("client", sa.String(length=64), nullable=True))
    # Escalations stored before carried an application only when the conversation had one
    # (the deadline monitor's, a verified applicant's; rarely an unverified match).
    op.execute("UPDATE escalations SET verified = TRUE WHERE application_id IS NOT NULL")
    with op.batch_alter_table("verification_challenges", schema=None) as batch_op:
        batch_op.add_column(sa.Column("channel", sa.String(length=50), nullable=True))
        batch_op.add_column(sa.Column("email", sa.String(length=320), nullable=True))
        batch_op.add_column(sa.Column("language", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("link_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_verification_challenges_link_hash"), ["link_hash"]
        )
    # Codes issued before were not bound to an address: they stop working.
    op.execute("UPDATE verification_challenges SET used_at = created_at WHERE used_at IS NULL")


def downgrade() -> None:
    with op.batch_alter_table("verification_challenges", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_verification_challenges_link_hash"), type_="unique")
        batch_op.drop_column("confirmed_at")
        batch_op.drop_column("link_hash")
        batch_op.drop_column("language")
        batch_op.drop_column("email")
        batch_op.drop_column("channel")
    with op.batch_alter_table("escalations", schema=None) as batch_op:
        batch_op.drop_column("client")
        batch_op.drop_column("verified")
    op.drop_table("rate_counters")
    op.drop_table("conversation_proofs")
