"""Applications as the store reads and changes them, with no I/O of its own: the one join every
lookup reads them through, the deadline monitor's overdue question, and the rule for setting a
status that every writer follows."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, bindparam, literal, not_, select, text, union_all
from sqlalchemy.sql import ColumnElement, Select

from ats.models import (
    CLOSED_STATUSES,
    CLOSED_VALUES,
    OPEN_APPLICATION_SQL,
    Application,
    Candidate,
    EscalationReason,
    Recruiter,
    Status,
    Vacancy,
)


def application_query() -> Select:
    """Applications with their candidate, vacancy and recruiter, as flat rows.

    The bot's lookups go through this single join rather than ORM objects: a status question is
    answered from one round trip with nothing to build but the record.
    """
    return (
        select(
            Application.id,
            Application.reference,
            Application.applied_at,
            Application.ack_due_at,
            Application.acknowledged_at,
            Application.status,
            Application.stage,
            Application.next_update_due_at,
            Application.close_reason,
            Application.ats_system,
            Application.ats_id,
            Candidate.name.label("candidate_name"),
            Candidate.email.label("candidate_email"),
            Candidate.language.label("candidate_language"),
            Candidate.phone.label("candidate_phone"),
            Vacancy.code.label("vacancy_code"),
            Vacancy.title.label("vacancy_title"),
            Vacancy.ack_working_days,
            Vacancy.process_description,
            Recruiter.name.label("recruiter_name"),
            Recruiter.email.label("recruiter_email"),
        )
        .select_from(Application)
        .join(Candidate, Application.candidate_id == Candidate.id)
        .join(Vacancy, Application.vacancy_id == Vacancy.id)
        .join(Recruiter, Vacancy.recruiter_id == Recruiter.id)
    )


APPLICATION_BY_REFERENCE = application_query().where(
    Application.reference == bindparam("reference")
)
APPLICATIONS_BY_EMAIL = (
    application_query()
    .where(Candidate.email == bindparam("email"))
    .order_by(Application.applied_at.desc())
)


def overdue_conditions(now: datetime) -> tuple[ColumnElement, ColumnElement]:
    """When an open application is past its acknowledgement deadline, and when past its
    promised update (and not already the former): each matches one partial index."""
    is_open = text(OPEN_APPLICATION_SQL)
    ack_overdue = and_(
        Application.acknowledged_at.is_(None),
        is_open,
        Application.ack_due_at < now,
    )
    update_overdue = and_(
        Application.next_update_due_at.isnot(None),
        is_open,
        Application.next_update_due_at < now,
        not_(ack_overdue),  # listed once, as ack_overdue
    )
    return ack_overdue, update_overdue


def overdue_query(now: datetime, limit: int | None = None) -> Select:
    """The deadline monitor's question, as rows of `application_query()` plus due_at, reason.

    Both halves are range scans of partial indexes that hold only open applications waiting
    for an acknowledgement or an update, so the cost follows the overdue rows, not the table.
    """
    ack_overdue, update_overdue = overdue_conditions(now)
    ack = (
        application_query()
        .add_columns(
            Application.ack_due_at.label("due_at"),
            literal(EscalationReason.ACK_OVERDUE.value).label("reason"),
        )
        .where(ack_overdue)
    )
    update = (
        application_query()
        .add_columns(
            Application.next_update_due_at.label("due_at"),
            literal(EscalationReason.UPDATE_OVERDUE.value).label("reason"),
        )
        .where(update_overdue)
    )
    both = union_all(ack, update).subquery()
    query = select(both).order_by(both.c.due_at, both.c.id)
    if limit is not None:
        query = query.limit(limit)
    return query


def apply_status(
    row: Application,
    to_status: Status,
    *,
    stage: str | None,
    close_reason: str | None,
    at: datetime,
) -> bool:
    """Set an application's status fields the way every writer (bot, desk, import) must.

    Returns whether the status or stage changed, which is what a StatusEvent records.
    """
    changed: bool = row.status != to_status.value
    if to_status not in CLOSED_STATUSES:
        row.closed_at = None
    elif row.status not in CLOSED_VALUES or row.closed_at is None:
        row.closed_at = at  # the retention period runs from the procedure's end
    row.status = to_status.value
    if stage is not None and (stage or None) != row.stage:
        row.stage = stage or None
        changed = True
    if to_status in CLOSED_STATUSES:
        if close_reason is not None:
            row.close_reason = close_reason or None
    else:
        row.close_reason = None
    if to_status is not Status.APPLIED and to_status not in CLOSED_STATUSES:
        if row.acknowledged_at is None:
            row.acknowledged_at = at
    if changed:
        row.updated_at = at
    return changed
