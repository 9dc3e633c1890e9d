"""Initial schema: recruiters, vacancies, candidates, applications, status events, escalations.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "candidates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("phone", sa.String(length=50), nullable=True),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_candidates")),
        sa.UniqueConstraint("email", name=op.f("uq_candidates_email")),
    )
    op.create_table(
        "recruiters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recruiters")),
        sa.UniqueConstraint("email", name=op.f("uq_recruiters_email")),
    )
    op.create_table(
        "vacancies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=100), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("recruiter_id", sa.Integer(), nullable=False),
        sa.Column("backup_recruiter_id", sa.Integer(), nullable=True),
        sa.Column("ack_working_days", sa.Integer(), nullable=False),
        sa.Column("process_description", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["backup_recruiter_id"],
            ["recruiters.id"],
            name=op.f("fk_vacancies_backup_recruiter_id_recruiters"),
        ),
        sa.ForeignKeyConstraint(
            ["recruiter_id"], ["recruiters.id"], name=op.f("fk_vacancies_recruiter_id_recruiters")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vacancies")),
        sa.UniqueConstraint("code", name=op.f("uq_vacancies_code")),
    )
    with op.batch_alter_table("vacancies", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_vacancies_recruiter_id"), ["recruiter_id"], unique=False
        )

    op.create_table(
        "applications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=12), nullable=False),
        sa.Column("candidate_id", sa.Integer(), nullable=False),
        sa.Column("vacancy_id", sa.Integer(), nullable=False),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ack_due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("stage", sa.String(length=200), nullable=True),
        sa.Column("next_update_due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("close_reason", sa.String(length=300), nullable=True),
        sa.Column("ats_system", sa.String(length=50), nullable=True),
        sa.Column("ats_id", sa.String(length=100), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["candidate_id"],
            ["candidates.id"],
            name=op.f("fk_applications_candidate_id_candidates"),
        ),
        sa.ForeignKeyConstraint(
            ["vacancy_id"], ["vacancies.id"], name=op.f("fk_applications_vacancy_id_vacancies")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_applications")),
        sa.UniqueConstraint("ats_system", "ats_id", name=op.f("uq_applications_ats_system_ats_id")),
        sa.UniqueConstraint("reference", name=op.f("uq_applications_reference")),
    )
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_applications_candidate_id"), ["candidate_id"], unique=False
        )
        batch_op.create_index(
            "ix_applications_open_next_update_due_at",
            ["next_update_due_at"],
            unique=False,
            sqlite_where=sa.text(
                "next_update_due_at IS NOT NULL AND status NOT IN ('hired', 'rejected', 'withdrawn')"
            ),
            postgresql_where=sa.text(
                "next_update_due_at IS NOT NULL AND status NOT IN ('hired', 'rejected', 'withdrawn')"
            ),
        )
        batch_op.create_index(
            "ix_applications_unacknowledged_ack_due_at",
            ["ack_due_at"],
            unique=False,
            sqlite_where=sa.text(
                "acknowledged_at IS NULL AND status NOT IN ('hired', 'rejected', 'withdrawn')"
            ),
            postgresql_where=sa.text(
                "acknowledged_at IS NULL AND status NOT IN ('hired', 'rejected', 'withdrawn')"
            ),
        )
        batch_op.create_index(
            batch_op.f("ix_applications_vacancy_id"), ["vacancy_id"], unique=False
        )

    op.create_table(
        "escalations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=True),
        sa.Column("applicant_name", sa.String(length=200), nullable=True),
        sa.Column("applicant_email", sa.String(length=320), nullable=True),
        sa.Column("vacancy_hint", sa.String(length=300), nullable=True),
        sa.Column("reason", sa.String(length=30), nullable=False),
        sa.Column("channel", sa.String(length=50), nullable=True),
        sa.Column("conversation_id", sa.String(length=200), nullable=True),
        sa.Column("recruiter_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("respond_by", sa.DateTime(timezone=True), nullable=False),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_escalations_application_id_applications"),
        ),
        sa.ForeignKeyConstraint(
            ["recruiter_id"], ["recruiters.id"], name=op.f("fk_escalations_recruiter_id_recruiters")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_escalations")),
    )
    with op.batch_alter_table("escalations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_escalations_recruiter_id"), ["recruiter_id"], unique=False
        )
        batch_op.create_index(
            "ix_escalations_unresolved_respond_by",
            ["respond_by"],
            unique=False,
            sqlite_where=sa.text("state <> 'resolved'"),
            postgresql_where=sa.text("state <> 'resolved'"),
        )
        batch_op.create_index(
            "uq_escalations_open_application_reason",
            ["application_id", "reason"],
            unique=True,
            sqlite_where=sa.text("state <> 'resolved' AND application_id IS NOT NULL"),
            postgresql_where=sa.text("state <> 'resolved' AND application_id IS NOT NULL"),
        )

    op.create_table(
        "status_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("source", sa.String(length=50), nullable=False),
        sa.Column("from_status", sa.String(length=20), nullable=True),
        sa.Column("to_status", sa.String(length=20), nullable=False),
        sa.Column("stage", sa.String(length=200), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_status_events_application_id_applications"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_status_events")),
    )
    with op.batch_alter_table("status_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_status_events_application_id"), ["application_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("status_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_status_events_application_id"))

    op.drop_table("status_events")
    with op.batch_alter_table("escalations", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_escalations_open_application_reason",
            sqlite_where=sa.text("state <> 'resolved' AND application_id IS NOT NULL"),
            postgresql_where=sa.text("state <> 'resolved' AND application_id IS NOT NULL"),
        )
        batch_op.drop_index(
            "ix_escalations_unresolved_respond_by",
            sqlite_where=sa.text("state <> 'resolved'"),
            postgresql_where=sa.text("state <> 'resolved'"),
        )
        batch_op.drop_index(batch_op.f("ix_escalations_recruiter_id"))

    op.drop_table("escalations")
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_applications_vacancy_id"))
        batch_op.drop_index(
            "ix_applications_unacknowledged_ack_due_at",
            sqlite_where=sa.text(
                "acknowledged_at IS NULL AND status NOT IN ('hired', 'rejected', 'withdrawn')"
            ),
            postgresql_where=sa.text(
                "acknowledged_at IS NULL AND status NOT IN ('hired', 'rejected', 'withdrawn')"
            ),
        )
        batch_op.drop_index(
            "ix_applications_open_next_update_due_at",
            sqlite_where=sa.text(
                "next_update_due_at IS NOT NULL AND status NOT IN ('hired', 'rejected', 'withdrawn')"
            ),
            postgresql_where=sa.text(
                "next_update_due_at IS NOT NULL AND status NOT IN ('hired', 'rejected', 'withdrawn')"
            ),
        )
        batch_op.drop_index(batch_op.f("ix_applications_candidate_id"))

    op.drop_table("applications")
    with op.batch_alter_table("vacancies", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_vacancies_recruiter_id"))

    op.drop_table("vacancies")
    op.drop_table("recruiters")
    op.drop_table("candidates")
