"""The deadline monitor: escalations it raised, whether it told the applicant and the recruiter.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("receipt_sent_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index("ix_applications_applied_at", ["applied_at"], unique=False)
    with op.batch_alter_table("escalations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("raised_by_sweep", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(
            sa.Column("level", sa.Integer(), server_default=sa.text("1"), nullable=False)
        )
        batch_op.add_column(
            sa.Column("applicant_notified_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("notice_claimed_until", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("digest_mail_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            "ix_escalations_sweep_pending",
            ["recruiter_id"],
            unique=False,
            sqlite_where=sa.text(
                "raised_by_sweep AND (applicant_notified_at IS NULL OR digest_mail_id IS NULL)"
            ),
            postgresql_where=sa.text(
                "raised_by_sweep AND (applicant_notified_at IS NULL OR digest_mail_id IS NULL)"
            ),
        )


def downgrade() -> None:
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.drop_index("ix_applications_applied_at")
        batch_op.drop_column("receipt_sent_at")
    with op.batch_alter_table("escalations", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_escalations_sweep_pending",
            sqlite_where=sa.text(
                "raised_by_sweep AND (applicant_notified_at IS NULL OR digest_mail_id IS NULL)"
            ),
            postgresql_where=sa.text(
                "raised_by_sweep AND (applicant_notified_at IS NULL OR digest_mail_id IS NULL)"
            ),
        )
        batch_op.drop_column("digest_mail_id")
        batch_op.drop_column("notice_claimed_until")
        batch_op.drop_column("applicant_notified_at")
        batch_op.drop_column("level")
        batch_op.drop_column("raised_by_sweep")
