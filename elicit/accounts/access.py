"""Who may do what: the role checks every staff view applies, in one place.

Admins may do everything. Facilitators see and run the studies they own.
Analysts look at every study and change nothing. Views use
:func:`roles_required` to let a role in, and
:func:`elicit.studies.services.visible_studies` to find what it may see;
anything a user may not see answers 404, as if it did not exist.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort
from flask_login import current_user, login_required

from elicit.accounts.models import Role, User

View = TypeVar("View", bound=Callable[..., Any])


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


def can_manage(user: User) -> bool:
    """Whether ``user`` may change the studies they see (see ``studies.services.visible_studies``).

    A facilitator sees only their own studies, so any study they can reach is
    theirs; admins manage every study; analysts only look.
    """
    return user.role in (Role.FACILITATOR, Role.ADMIN)
