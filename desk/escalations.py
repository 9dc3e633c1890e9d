"""The desk's view of escalations: the queue with its filters, one escalation, claim, resolve.

A recruiter sees the escalations assigned to them and those of the vacancies they recruit for
(also as backup); an admin sees all. Who may do what with one they see:

- claim: anyone who sees it, while it is open. Claiming is exclusive: one UPDATE that only
  succeeds on an open escalation decides between two recruiters clicking at once.
- reply, change the application's status, resolve: only the recruiter who claimed it, or an
  admin. Resolving a claimed escalation resumes the bot in the applicant's conversation, so a
  colleague cannot end someone else's conversation; the UPDATE itself says `claimed_by_id =`,
  so a click that raced a claim changes nothing.
- an open escalation (nobody has taken over the conversation, the bot still answers) may be
  resolved by anyone who sees it, e.g. one already dealt with elsewhere; replying and changing
  the status take a claim first (admins may change the status without one).
- an internal note (never sent to the applicant) may be added by anyone who sees it.
- a resolved escalation is closed: nothing changes through it any more.

The web chat's session id (`conversation_id`) is a bearer secret: the view carries it for the
hand-over only, and no page, JSON answer or audit entry of the desk shows it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import aliased
from sqlalchemy.sql import ColumnElement

from ats.models import (
    Application,
    AuditEntry,
    Candidate,
    Escalation,
    EscalationState,
    Recruiter,
    Vacancy,
)
from ats.reference import InvalidReference, parse_reference
from ats.settings import Settings
from ats.store import ATSStore
from ats.store_basics import utcnow
from ats.threads import reopen_escalation
from desk.sessions import DeskUser

STATES = ("open", "claimed", "resolved", "unresolved", "all")
Action = Literal["claim", "reply", "resolve", "acknowledge", "status", "note"]


@dataclass(frozen=True)
class EscalationView:
    id: int
    reason: str
    state: str
    respond_by: datetime
    created_at: datetime
    recruiter_id: int
    recruiter_name: str
    claimed_by_id: int | None
    claimed_by_name: str | None
    reference: str | None
    vacancy_code: str | None
    vacancy_title: str | None
    vacancy_recruiter_ids: tuple[int, ...]
    applicant_name: str | None
    applicant_email: str | None
    channel: str | None
    # never shown: not in pages, JSON or the audit log, and not in this object's repr either
    conversation_id: str | None = field(repr=False)
    summary: str | None
    level: int = 1
    # False: the person had not proven who they are; the name and address are what they typed
    verified: bool = True
    # a privacy request's kind when known: "access" (a copy of their data) or "erasure"
    privacy_kind: str | None = None
    # set once the applicant's details were erased from it
    erased: bool = False
    # the language on file for an applicant of the ATS (a mail without a conversation uses it)
    applicant_language: str | None = None
    # a reference an unverified applicant typed: shown as given, not verified
    given_reference: str | None = None

    def overdue(self, now: datetime) -> bool:
        return self.state != EscalationState.RESOLVED.value and self.respond_by < now

    def visible_to(self, user: DeskUser) -> bool:
        return (
            user.is_admin
            or user.recruiter_id == self.recruiter_id
            or user.recruiter_id in self.vacancy_recruiter_ids
        )

    def refusal(self, user: DeskUser, action: Action) -> str | None:
        """None when `user` (who sees this escalation) may do `action` now; else the key of
        the words that tell them why not (desk.<key> in speech/catalogue/). The templates show
        only the buttons this allows, and the queries below enforce the same rules against
        races."""
        if self.state == EscalationState.RESOLVED.value:
            return "refused_resolved"
        if action == "claim":
            return None if self.state == EscalationState.OPEN.value else "claimed_elsewhere"
        if action == "note":  # for colleagues, e.g. to the one who claimed it: no claim needed
            return None
        if action in ("acknowledge", "status") and not self.reference:
            return "refused_no_application"
        if self.state == EscalationState.OPEN.value:
            if action == "resolve" or (action != "reply" and user.is_admin):
                return None
            return "refused_claim_first"
        if self.claimed_by_id == user.recruiter_id or user.is_admin:
            return None
        return "refused_not_claimer"

    def allows(self, user: DeskUser, action: Action) -> bool:
        return self.refusal(user, action) is None


@dataclass(frozen=True)
class Filters:
    mine: bool = False
    reason: str | None = None
    vacancy: str | None = None
    channel: str | None = None
    state: str = "unresolved"
    # a name, an email address or a reference (any case, with or without dashes)
    search: str | None = None


def _query():
    claimer = aliased(Recruiter)
    return (
        select(Escalation, Recruiter, claimer, Application, Candidate, Vacancy)
        .join(Recruiter, Recruiter.id == Escalation.recruiter_id)
        .outerjoin(claimer, claimer.id == Escalation.claimed_by_id)
        .outerjoin(Application, Application.id == Escalation.application_id)
        .outerjoin(Candidate, Candidate.id == Application.candidate_id)
        .outerjoin(Vacancy, Vacancy.id == Application.vacancy_id)
    )


def _view(row) -> EscalationView:
    escalation, recruiter, claimer, application, candidate, vacancy = row
    return EscalationView(
        id=escalation.id,
        reason=escalation.reason,
        state=escalation.state,
        respond_by=escalation.respond_by,
        created_at=escalation.created_at,
        recruiter_id=recruiter.id,
        recruiter_name=recruiter.name,
        claimed_by_id=claimer.id if claimer else None,
        claimed_by_name=claimer.name if claimer else None,
        reference=application.reference if application else None,
        vacancy_code=vacancy.code if vacancy else None,
        vacancy_title=vacancy.title if vacancy else escalation.vacancy_hint,
        vacancy_recruiter_ids=tuple(
            i for i in ((vacancy.recruiter_id, vacancy.backup_recruiter_id) if vacancy else ()) if i
        ),
        applicant_name=candidate.name if candidate else escalation.applicant_name,
        applicant_email=candidate.email if candidate else escalation.applicant_email,
        channel=escalation.channel,
        conversation_id=escalation.conversation_id,
        summary=escalation.summary,
        level=escalation.level,
        verified=bool(escalation.verified),
        privacy_kind=escalation.privacy_kind,
        erased=escalation.erased_at is not None,
        given_reference=escalation.given_reference,
        applicant_language=candidate.language if candidate else None,
    )


async def list_escalations(
    store: ATSStore, user: DeskUser, filters: Filters, limit: int = 500
) -> list[EscalationView]:
    query = _query()
    if not user.is_admin:
        query = query.where(
            or_(
                Escalation.recruiter_id == user.recruiter_id,
                Vacancy.recruiter_id == user.recruiter_id,
                Vacancy.backup_recruiter_id == user.recruiter_id,
            )
        )
    if filters.mine:
        query = query.where(
            or_(
                Escalation.claimed_by_id == user.recruiter_id,
                Escalation.recruiter_id == user.recruiter_id,
            )
        )
    if filters.reason:
        query = query.where(Escalation.reason == filters.reason)
    if filters.vacancy:
        query = query.where(Vacancy.code == filters.vacancy)
    if filters.channel:
        query = query.where(Escalation.channel == filters.channel)
    if filters.search:
        query = query.where(_matching(filters.search))
    if filters.state == "unresolved":
        query = query.where(Escalation.state != EscalationState.RESOLVED.value)
    elif filters.state in ("open", "claimed", "resolved"):
        query = query.where(Escalation.state == filters.state)
    query = query.order_by(Escalation.respond_by, Escalation.id).limit(limit)
    async with store.session() as session:
        return [_view(row) for row in await session.execute(query)]


def _matching(search: str) -> ColumnElement[bool]:
    """Escalations whose applicant's name or address contains the words, or whose application
    (proven, or only given) has the reference."""
    words = search.strip().lower()
    try:
        reference = parse_reference(words, lenient=True)
    except InvalidReference:
        reference = None
    if reference:
        return or_(Application.reference == reference, Escalation.given_reference == reference)
    pattern = "%" + words.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return or_(
        *(
            func.lower(column).like(pattern, escape="\\")
            for column in (
                Candidate.name,
                Candidate.email,
                Escalation.applicant_name,
                Escalation.applicant_email,
            )
        )
    )


async def get_escalation(store: ATSStore, escalation_id: int) -> EscalationView | None:
    if not 0 < escalation_id < 2**31:  # beyond any id: not found, not a database error
        return None
    async with store.session() as session:
        row = (await session.execute(_query().where(Escalation.id == escalation_id))).first()
    return _view(row) if row else None


async def claim(store: ATSStore, escalation_id: int, user: DeskUser) -> bool:
    """Take an open escalation; False when someone else has it (or it is resolved)."""
    now = utcnow()
    async with store.session() as session, session.begin():
        result = await session.execute(
            update(Escalation)
            .where(
                Escalation.id == escalation_id,
                Escalation.state == EscalationState.OPEN.value,
            )
            .values(
                state=EscalationState.CLAIMED.value,
                claimed_by_id=user.recruiter_id,
                claimed_at=now,
            )
        )
        return result.rowcount == 1


async def resolve(store: ATSStore, escalation_id: int, user: DeskUser) -> str | None:
    """Resolve the escalation if `user` may: returns the state it was resolved from ("claimed":
    the conversation must be handed back to the bot; "open"), or None when it was not theirs to
    resolve at that moment (a colleague claimed it meanwhile, or it is resolved already)."""
    resolved = {"state": EscalationState.RESOLVED.value, "resolved_at": utcnow()}
    claimed = Escalation.state == EscalationState.CLAIMED.value
    if not user.is_admin:
        claimed = and_(claimed, Escalation.claimed_by_id == user.recruiter_id)
    async with store.session() as session, session.begin():
        for was, condition in (
            (EscalationState.CLAIMED.value, claimed),
            (EscalationState.OPEN.value, Escalation.state == EscalationState.OPEN.value),
        ):
            result = await session.execute(
                update(Escalation)
                .where(Escalation.id == escalation_id, condition)
                .values(**resolved)
            )
            if result.rowcount == 1:
                return was
    return None


async def fresh(store: ATSStore, escalation_id: int, user: DeskUser, action: Action) -> bool:
    """Whether `user` may do `action` on the escalation as it is in the database now (not as
    it was when their page was drawn): checked right before a reply or a status change."""
    current = await get_escalation(store, escalation_id)
    return current is not None and current.visible_to(user) and current.allows(user, action)


async def audit(
    store: ATSStore, actor: str, action: str, subject: str | None = None, detail: str = ""
) -> None:
    async with store.session() as session, session.begin():
        session.add(
            AuditEntry(at=utcnow(), actor=actor, action=action, subject=subject, detail=detail)
        )


async def audit_log(store: ATSStore, limit: int = 200) -> list[AuditEntry]:
    async with store.session() as session:
        rows = await session.scalars(
            select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit)
        )
        return list(rows)


async def reopen(store: ATSStore, settings: Settings, escalation_id: int) -> bool:
    """Open a resolved escalation again (the applicant came back, or it was resolved by
    mistake): see ats.threads.reopen_escalation."""
    return await reopen_escalation(store, settings, escalation_id)
