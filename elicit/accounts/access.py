"""Who may do what: the role checks every staff view applies, in one place.

Staff roles let a user into the console: admins may do everything,
facilitators run studies, analysts read. Inside the console, what a user may
do with one study is its :class:`StudyAccess`:

========================  ==================================================
``OWN``                   the study's owner, and every admin: everything,
                          sharing and archiving included
``RUN``                   a co-facilitator it was shared with: everything
                          except sharing and archiving
``VIEW``                  an analyst it was shared with: look, change nothing
``NONE``                  everyone else: the study answers 404, as if it did
                          not exist, by slug, id or any other way
========================  ==================================================

Views use :func:`roles_required` to let a staff role in and
:func:`study_access` (through ``elicit.lookup``) for the study;
:func:`visible_study_ids` is the same rule as a query, for lists.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from functools import wraps
from typing import Any, Protocol, TypeVar

import sqlalchemy as sa
from flask import abort
from flask_login import current_user, login_required
from sqlalchemy.orm import Session

from elicit.accounts.models import Role, StudyMember, StudyRole, User

View = TypeVar("View", bound=Callable[..., Any])


class StudyAccess(enum.IntEnum):
    """How much a user may do with one study; each level includes the ones below it."""

    NONE = 0
    VIEW = 1
    RUN = 2
    OWN = 3


class OwnedStudy(Protocol):
    """What access needs to know of a study: its id and its owner."""

    id: int
    owner_id: int


def roles_required(*roles: Role) -> Callable[[View], View]:
    """Restrict a view to logged-in staff holding one of ``roles`` (admins always pass).

    Anyone not logged in is sent to the login page; a logged-in user without
    the role gets 403.
    """

    def decorator(view: View) -> View:
        """Wrap ``view`` with the login and role checks."""

        @wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            """Refuse (403) a user without one of the roles."""
            if current_user.role is not Role.ADMIN and current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


def actor() -> User:
    """Return the logged-in user for the audit log (the object itself, not Flask-Login's proxy)."""
    user: User = current_user._get_current_object()
    return user


def study_access(session: Session, user: User, study: OwnedStudy) -> StudyAccess:
    """Return what ``user`` may do with ``study`` (see the module docstring)."""
    if user.role is Role.ADMIN or study.owner_id == user.id:
        return StudyAccess.OWN
    shared = session.scalar(
        sa.select(StudyMember.role).where(
            StudyMember.study_id == study.id, StudyMember.user_id == user.id
        )
    )
    if shared is StudyRole.CO_FACILITATOR and user.role is Role.FACILITATOR:
        return StudyAccess.RUN
    if shared is not None:
        return StudyAccess.VIEW
    return StudyAccess.NONE


def visible_study_ids(user: User, study_id: Any, owner_id: Any) -> sa.ColumnElement[bool]:
    """Return the condition "``user`` may see this study" on its ``study_id`` and ``owner_id``.

    The same rule as :func:`study_access` above ``NONE``, written for a query.
    """
    if user.role is Role.ADMIN:
        return sa.true()
    shared = sa.select(StudyMember.study_id).where(StudyMember.user_id == user.id)
    return sa.or_(owner_id == user.id, study_id.in_(shared))


def may_share_as(user: User, role: StudyRole) -> bool:
    """Whether a study may be shared with ``user`` in ``role``: analysts only ever as analysts."""
    return user.active and (role is StudyRole.ANALYST or user.role is not Role.ANALYST)
