"""Adding experts to a study's panel and issuing their invitation links."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext
from sqlalchemy.orm import Session

from elicit import audit
from elicit.accounts.models import User
from elicit.db import utcnow
from elicit.errors import DomainError
from elicit.panels.models import Expert, ExpertContact, Invitation
from elicit.studies.models import Study

TOKEN_BYTES = 32
"""An invitation token carries 256 random bits (the issue asks for at least 128)."""

INVITATION_PATH = "/invite/"


def hash_token(token: str) -> str:
    """Return the SHA-256 hex digest under which an invitation token is stored.

    A plain hash is enough: tokens are 256-bit random strings, so there is
    nothing to guess or look up in a dictionary, and lookup stays one index probe.
    """
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def invitation_url(base_url: str, token: str) -> str:
    """Return the link an expert opens; built on the configured base URL, never the Host header."""
    return f"{base_url.rstrip('/')}{INVITATION_PATH}{token}"


def add_expert(
    session: Session,
    study: Study,
    *,
    pseudonym: str,
    name: str,
    email: str,
    affiliation: str = "",
    panel_group: str = "",
    actor: User | None = None,
) -> Expert:
    """Add an expert to ``study``'s panel, contact details apart, in ``panel_group`` if given."""
    pseudonym = pseudonym.strip()
    if not pseudonym or len(pseudonym) > 40:
        raise DomainError("invalid_pseudonym", "a pseudonym of 1 to 40 characters is required")
    if len(name.strip()) > 200 or len(email.strip()) > 254 or len(affiliation) > 200:
        raise DomainError(
            "invalid_contact", "name and affiliation take at most 200 characters, e-mail 254"
        )
    if len(panel_group.strip()) > 120:
        raise DomainError("invalid_group", gettext("a group takes at most 120 characters"))
    taken = session.scalar(
        sa.select(Expert.id).where(Expert.study_id == study.id, Expert.pseudonym == pseudonym)
    )
    if taken is not None:
        raise DomainError("duplicate_pseudonym", f"pseudonym {pseudonym!r} is taken in this study")
    expert = Expert(study=study, pseudonym=pseudonym, panel_group=panel_group.strip())
    expert.contact = ExpertContact(name=name.strip(), email=email.strip(), affiliation=affiliation)
    session.add(expert)
    session.flush()
    audit.record(session, "expert.add", actor=actor, study_id=study.id, target=pseudonym)
    return expert


def issue_invitation(
    session: Session,
    expert: Expert,
    *,
    expires_at: datetime | None = None,
    actor: User | None = None,
) -> str:
    """Create an invitation for ``expert``; return its token, the only time it exists in clear."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    session.add(Invitation(expert=expert, token_hash=hash_token(token), expires_at=expires_at))
    session.flush()
    audit.record(
        session, "invitation.issue", actor=actor, study_id=expert.study_id, target=expert.pseudonym
    )
    return token


def redeem_invitation(session: Session, token: str) -> Invitation | None:
    """Return the usable invitation ``token`` opens, marking it used; ``None`` if there is none.

    Unknown, revoked and expired tokens all give ``None``, after the same
    single index lookup, so a caller cannot tell them apart by answer or time.
    """
    invitation = session.scalar(
        sa.select(Invitation).where(Invitation.token_hash == hash_token(token))
    )
    if invitation is None or not invitation_usable(invitation):
        return None
    invitation.last_used_at = utcnow()
    session.flush()
    return invitation


def invitation_usable(invitation: Invitation, now: datetime | None = None) -> bool:
    """Whether ``invitation`` still lets its expert in (not revoked, not expired)."""
    now = now or utcnow()
    return invitation.revoked_at is None and (
        invitation.expires_at is None or invitation.expires_at > now
    )


def revoke_invitation(
    session: Session, invitation: Invitation, *, actor: User | None = None
) -> None:
    """Stop ``invitation`` from letting anyone in, including sessions it already started."""
    if invitation.revoked_at is None:
        invitation.revoked_at = utcnow()
        session.flush()
        audit.record(
            session,
            "invitation.revoke",
            actor=actor,
            study_id=invitation.expert.study_id,
            target=invitation.expert.pseudonym,
        )


def record_consent(session: Session, expert: Expert) -> None:
    """Record, once, when ``expert`` agreed to take part on the terms the welcome page sets out."""
    if expert.consented_at is None:
        expert.consented_at = utcnow()
        session.flush()
        audit.record(session, "expert.consent", study_id=expert.study_id, target=expert.pseudonym)


def active_invitations(session: Session, expert: Expert) -> list[Invitation]:
    """Return ``expert``'s invitations that still let them in, oldest first."""
    invitations = session.scalars(
        sa.select(Invitation)
        .where(Invitation.expert_id == expert.id, Invitation.revoked_at.is_(None))
        .order_by(Invitation.id)
    ).all()
    return [invitation for invitation in invitations if invitation_usable(invitation)]


def revoke_links(session: Session, expert: Expert, *, actor: User | None = None) -> int:
    """Withdraw every link of ``expert`` that still works; return how many were withdrawn.

    Raises
    ------
    DomainError
        ``no_link`` if the expert has no working link to withdraw.
    """
    invitations = active_invitations(session, expert)
    if not invitations:
        raise DomainError("no_link", gettext("this expert has no working link to withdraw"))
    for invitation in invitations:
        revoke_invitation(session, invitation, actor=actor)
    return len(invitations)


def reissue_invitation(session: Session, expert: Expert, *, actor: User | None = None) -> str:
    """Withdraw ``expert``'s working links and issue a new one; return the new token.

    The expert's open sessions end with the old links (see :func:`revoke_invitation`).
    """
    for invitation in active_invitations(session, expert):
        revoke_invitation(session, invitation, actor=actor)
    return issue_invitation(session, expert, actor=actor)


def link_withdrawn(session: Session, token: str) -> bool:
    """Whether ``token`` is a link that was issued and then withdrawn (revoked).

    Called only after :func:`redeem_invitation` refused ``token``. Saying so
    tells nothing to someone who does not already hold the link: only its
    hash matches, and a guessed token matches nothing.
    """
    revoked = session.scalar(
        sa.select(Invitation.revoked_at).where(Invitation.token_hash == hash_token(token))
    )
    return revoked is not None


def has_working_link(now: datetime | None = None) -> sa.ColumnElement[bool]:
    """Return the condition "this expert has a working link", for queries on :class:`Expert`."""
    now = now or utcnow()
    return (
        sa.select(Invitation.id)
        .where(
            Invitation.expert_id == Expert.id,
            Invitation.revoked_at.is_(None),
            sa.or_(Invitation.expires_at.is_(None), Invitation.expires_at > now),
        )
        .exists()
    )
