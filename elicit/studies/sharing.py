"""Sharing a study with other staff, as co-facilitator or analyst, and taking it back.

Only the owner (or an admin) shares: :func:`elicit.accounts.access.study_access`
gives them ``OWN``. A study is shared with an active staff account; an analyst
account is only ever an analyst of a study. Messages are clauses (lower case,
no full stop) the sharing page shows after "Not shared:".
"""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext
from sqlalchemy.orm import Session

from elicit import audit
from elicit.accounts.access import may_share_as
from elicit.accounts.models import StudyMember, StudyRole, User
from elicit.accounts.services import find_user
from elicit.errors import DomainError
from elicit.studies.models import Study


def share_study(
    session: Session, study: Study, email: str, role: StudyRole, *, actor: User | None = None
) -> StudyMember:
    """Give the staff member with ``email`` ``role`` in ``study``, or change the role they have.

    Raises
    ------
    DomainError
        ``unknown_user`` if no active staff account has that address,
        ``owner`` for the study's owner, ``role_not_allowed`` to make an
        analyst account a co-facilitator.
    """
    user = find_user(session, email)
    if user is None or not user.active:
        raise DomainError(
            "unknown_user",
            gettext("no active staff account has the address %(email)s", email=email),
        )
    if user.id == study.owner_id:
        raise DomainError("owner", gettext("%(email)s owns this study", email=user.email))
    if not may_share_as(user, role):
        raise DomainError(
            "role_not_allowed",
            gettext(
                "%(email)s has an analyst's account and can only be an analyst", email=user.email
            ),
        )
    member = session.scalar(
        sa.select(StudyMember).where(
            StudyMember.study_id == study.id, StudyMember.user_id == user.id
        )
    )
    before = member.role.value if member else None
    if member is None:
        member = StudyMember(study_id=study.id, user=user, role=role)
        session.add(member)
    member.role = role
    session.flush()
    audit.record(
        session,
        "study.share",
        actor=actor,
        study_id=study.id,
        target_user=user,
        details={"before": before, "after": role.value},
    )
    return member


def unshare_study(
    session: Session, study: Study, member: StudyMember, *, actor: User | None = None
) -> None:
    """Take ``study`` back from ``member``: from now on it answers them 404."""
    if member.study_id != study.id:
        raise DomainError("not_a_member", gettext("that person does not share this study"))
    audit.record(
        session,
        "study.unshare",
        actor=actor,
        study_id=study.id,
        target_user=member.user,
        details={"before": member.role.value, "after": None},
    )
    session.delete(member)
    session.flush()


def members(session: Session, study: Study) -> list[StudyMember]:
    """Return who else ``study`` is shared with, in the order it was shared."""
    return list(
        session.scalars(
            sa.select(StudyMember)
            .where(StudyMember.study_id == study.id)
            .order_by(StudyMember.created_at, StudyMember.id)
        )
    )
