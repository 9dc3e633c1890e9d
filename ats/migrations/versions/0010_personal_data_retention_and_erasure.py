"""Personal data kept only as long as promised: when each application closed and was erased,
consent, the conversations each applicant used, tombstones that keep erased people from coming
back, the in-memory trackers to drop and the erasure events to publish.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

CLOSED = "'hired', 'rejected', 'withdrawn'"
# SQLite rebuilds the table to relax NOT NULL; the partial indexes are dropped first and made
# again after, with their WHERE clauses (a rebuild from reflection would lose them).
PARTIAL_INDEXES = {
    "ix_applications_unacknowledged_ack_due_at": (
        "ack_due_at",
        f"acknowledged_at IS NULL AND status NOT IN ({CLOSED})",
    ),
    "ix_applications_open_next_update_due_at": (
        "next_update_due_at",
        f"next_update_due_at IS NOT NULL AND status NOT IN ({CLOSED})",
    ),
}


INDEXED = (
    ("escalations", "application_id"),
    ("escalations", "applicant_email"),
    ("escalations", "conversation_id"),
    ("outgoing_mail", "escalation_id"),
)


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        for name in PARTIAL_INDEXES:
            op.drop_index(name, table_name="applications")
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.alter_column("reference", existing_type=sa.String(length=12), nullable=True)
        batch_op.alter_column("candidate_id", existing_type=sa.Integer(), nullable=True)
    if sqlite:
        for name, (column, where) in PARTIAL_INDEXES.items():
            op.create_index(
                name, "applications", [column], sqlite_where=sa.text(where), unique=False
            )
    # An application closed before this release closed when its last status change says.
    op.execute(
        "UPDATE applications SET closed_at = COALESCE("
        "(SELECT MAX(status_events.occurred_at) FROM status_events"
        " WHERE status_events.application_id = applications.id"
        f" AND status_events.to_status IN ({CLOSED})), applications.updated_at)"
        f" WHERE status IN ({CLOSED})"
    )
    op.create_index(
        "ix_applications_closed_unerased_closed_at",
        "applications",
        ["closed_at"],
        unique=False,
        sqlite_where=sa.text(f"erased_at IS NULL AND status IN ({CLOSED})"),
        postgresql_where=sa.text(f"erased_at IS NULL AND status IN ({CLOSED})"),
    )
    with op.batch_alter_table("candidates", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("consent_given_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("consent_source", sa.String(length=30), nullable=True))
        batch_op.add_column(sa.Column("consent_wording", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column("erasure_requested_at", sa.DateTime(timezone=True), nullable=True)
        )
    with op.batch_alter_table("escalations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("privacy_kind", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("outgoing_mail", schema=None) as batch_op:
        batch_op.add_column(sa.Column("attachments", sa.Text(), nullable=True))
    # an erasure finds escalations by application, address and conversation, and their mails
    for table, column in INDEXED:
        op.create_index(op.f(f"ix_{table}_{column}"), table, [column], unique=False)
    op.create_table(
        "applicant_conversations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("candidate_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=50), nullable=False),
        sa.Column("conversation_id", sa.String(length=200), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["candidate_id"],
            ["candidates.id"],
            name=op.f("fk_applicant_conversations_candidate_id_candidates"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_applicant_conversations")),
        sa.UniqueConstraint(
            "candidate_id",
            "conversation_id",
            name=op.f("uq_applicant_conversations_candidate_id_conversation_id"),
        ),
    )
    op.create_index(
        op.f("ix_applicant_conversations_candidate_id"),
        "applicant_conversations",
        ["candidate_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_applicant_conversations_conversation_id"),
        "applicant_conversations",
        ["conversation_id"],
        unique=False,
    )
    # Conversations proven before this release: their proofs name them.
    op.execute(
        "INSERT INTO applicant_conversations (candidate_id, channel, conversation_id,"
        " first_seen_at) SELECT candidates.id, MIN(p.channel), p.conversation_id,"
        " MIN(p.proven_at) FROM conversation_proofs p"
        " JOIN candidates ON candidates.email = p.email"
        " GROUP BY candidates.id, p.conversation_id"
    )
    op.create_table(
        "erasure_tombstones",
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("scope", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key_hash", name=op.f("pk_erasure_tombstones")),
    )
    op.create_table(
        "tracker_erasures",
        sa.Column("conversation_hash", sa.String(length=64), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("conversation_hash", name=op.f("pk_tracker_erasures")),
    )
    op.create_index(
        op.f("ix_tracker_erasures_requested_at"),
        "tracker_erasures",
        ["requested_at"],
        unique=False,
    )
    op.create_table(
        "erasure_announcements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erasure_announcements")),
    )


def downgrade() -> None:
    op.drop_table("erasure_announcements")
    op.drop_index(op.f("ix_tracker_erasures_requested_at"), table_name="tracker_erasures")
    op.drop_table("tracker_erasures")
    op.drop_table("erasure_tombstones")
    op.drop_index(
        op.f("ix_applicant_conversations_conversation_id"), table_name="applicant_conversations"
    )
    op.drop_index(
        op.f("ix_applicant_conversations_candidate_id"), table_name="applicant_conversations"
    )
    op.drop_table("applicant_conversations")
    for table, column in INDEXED:
        op.drop_index(op.f(f"ix_{table}_{column}"), table_name=table)
    with op.batch_alter_table("outgoing_mail", schema=None) as batch_op:
        batch_op.drop_column("attachments")
    with op.batch_alter_table("escalations", schema=None) as batch_op:
        batch_op.drop_column("erased_at")
        batch_op.drop_column("privacy_kind")
    with op.batch_alter_table("candidates", schema=None) as batch_op:
        batch_op.drop_column("erasure_requested_at")
        batch_op.drop_column("consent_wording")
        batch_op.drop_column("consent_source")
        batch_op.drop_column("consent_given_at")
    op.drop_index("ix_applications_closed_unerased_closed_at", table_name="applications")
    # erased applications have no reference or applicant: they cannot go back under NOT NULL
    op.execute(
        "DELETE FROM status_events WHERE application_id IN"
        " (SELECT id FROM applications WHERE candidate_id IS NULL)"
    )
    op.execute(
        "UPDATE escalations SET application_id = NULL WHERE application_id IN"
        " (SELECT id FROM applications WHERE candidate_id IS NULL)"
    )
    op.execute("DELETE FROM applications WHERE candidate_id IS NULL")
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        for name in PARTIAL_INDEXES:
            op.drop_index(name, table_name="applications")
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.alter_column("candidate_id", existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column("reference", existing_type=sa.String(length=12), nullable=False)
        batch_op.drop_column("erased_at")
        batch_op.drop_column("closed_at")
    if sqlite:
        for name, (column, where) in PARTIAL_INDEXES.items():
            op.create_index(
                name, "applications", [column], sqlite_where=sa.text(where), unique=False
            )
