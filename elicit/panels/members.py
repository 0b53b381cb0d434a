"""Adding experts to a panel from the console: one by one or from a checked panel file.

Experts added here get a random pseudonym (``E-`` and six hexadecimal
digits), never one derived from their name or the order they were added in,
so under the *anonymous to staff* model nothing a facilitator sees links a
name to the pseudonym shown beside the answers. A file's rows are added in a
random order for the same reason (ids and audit entries follow that order).
"""

from __future__ import annotations

import random
import secrets

import sqlalchemy as sa
from flask_babel import gettext
from sqlalchemy.orm import Session

from elicit.accounts.models import User
from elicit.errors import DomainError
from elicit.panels.models import Expert, ExpertContact
from elicit.panels.roster import (
    NAME_MAX,
    Problem,
    RosterRow,
    email_problem,
    normalise_email,
    problem_message,
)
from elicit.panels.services import add_expert
from elicit.studies.models import Study


def panel_emails(session: Session, study: Study) -> set[str]:
    """Return the e-mail addresses on ``study``'s panel, as :func:`normalise_email` gives them."""
    emails = session.scalars(
        sa.select(ExpertContact.email).join(Expert).where(Expert.study_id == study.id)
    )
    return {normalise_email(email) for email in emails}


def _pseudonyms(session: Session, study: Study) -> set[str]:
    """Return the pseudonyms taken in ``study``."""
    return set(session.scalars(sa.select(Expert.pseudonym).where(Expert.study_id == study.id)))


def _fresh_pseudonym(taken: set[str]) -> str:
    """Return a random pseudonym not in ``taken``, and add it there."""
    while True:
        pseudonym = f"E-{secrets.token_hex(3).upper()}"
        if pseudonym not in taken:
            taken.add(pseudonym)
            return pseudonym


def _add(
    session: Session,
    study: Study,
    row: tuple[str, str, str],
    *,
    emails: set[str],
    pseudonyms: set[str],
    actor: User | None,
) -> Expert:
    """Check and add one expert ``(name, email, group)``, given the emails and pseudonyms taken."""
    name, email, group = (value.strip() for value in row)
    if not name or len(name) > NAME_MAX:
        raise DomainError("missing_name", gettext("enter a name of 1 to 200 characters"))
    problem = email_problem(email)
    if problem is not None:
        raise DomainError("invalid_email", problem_message(problem, email or "email"))
    if normalise_email(email) in emails:
        raise DomainError("duplicate_email", problem_message(Problem.ALREADY_ON_PANEL))
    emails.add(normalise_email(email))
    return add_expert(
        session,
        study,
        pseudonym=_fresh_pseudonym(pseudonyms),
        name=name,
        email=email,
        panel_group=group,
        actor=actor,
    )


def add_member(
    session: Session,
    study: Study,
    *,
    name: str,
    email: str,
    group: str = "",
    actor: User | None = None,
) -> Expert:
    """Add one expert (``name``, ``email``, optional ``group``) to ``study``'s panel.

    Raises
    ------
    DomainError
        ``missing_name``, ``invalid_email`` or ``duplicate_email`` (an expert
        with this address is already on the panel), or ``invalid_group``.
    """
    return _add(
        session,
        study,
        (name, email, group),
        emails=panel_emails(session, study),
        pseudonyms=_pseudonyms(session, study),
        actor=actor,
    )


def add_rows(
    session: Session, study: Study, rows: list[RosterRow], *, actor: User | None = None
) -> list[Expert]:
    """Add the good rows of a panel file (:func:`elicit.panels.roster.read_roster`), shuffled.

    Each row is checked again on the way in, so a row that became a duplicate
    since the file was read is refused (``DomainError``) and nothing is added.
    """
    shuffled = list(rows)
    random.SystemRandom().shuffle(shuffled)
    emails, pseudonyms = panel_emails(session, study), _pseudonyms(session, study)
    return [
        _add(
            session,
            study,
            (row.name, row.email, row.group),
            emails=emails,
            pseudonyms=pseudonyms,
            actor=actor,
        )
        for row in shuffled
    ]
