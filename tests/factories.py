"""Small builders for test data, all going through the real services."""

from __future__ import annotations

from datetime import date

from elicit.accounts.models import Role
from elicit.accounts.services import create_user
from elicit.studies.models import Question, QuestionKind, Scale, Source
from elicit.studies.services import create_study

PASSWORD = "correct horse battery"


def user(session, email="fac@example.org", role=Role.FACILITATOR, name="Fran Facilitator"):
    """Create a staff user whose password is :data:`PASSWORD`."""
    return create_user(session, email=email, name=name, role=role, password=PASSWORD)


def study(session, owner=None, slug="study"):
    """Create an empty study (and its owner if none is given)."""
    return create_study(session, slug=slug, title=f"Study {slug}", owner=owner or user(session))


def expert(session, study, pseudonym="Alder"):
    """Add an expert called ``pseudonym`` to ``study``'s panel (a round opens only with one)."""
    from elicit.panels.services import add_expert

    return add_expert(
        session, study, pseudonym=pseudonym, name=f"Person {pseudonym}", email=f"{pseudonym}@x.test"
    )


def question(session, study, key="q1", kind=QuestionKind.BINARY, **fields):
    """Add a question of ``kind`` to ``study`` with sensible defaults."""
    source = session.query(Source).filter_by(key="src").one_or_none()
    if source is None:
        source = Source(
            key="src",
            title="A document",
            author="A. Author",
            publisher="P",
            url="https://x.test",
            published=date(2025, 1, 1),
            sha256="0" * 64,
        )
    defaults = dict(
        position=len(study.questions) + 1,
        question_set="set",
        section="Section",
        title="Will it?",
        resolution_criterion="It does.",
        resolution_source="Records",
        close_date=date(2027, 1, 31),
        resolve_by=date(2027, 12, 31),
        source=source,
        quote="a quote",
        tags=["Ukraine"],
    )
    if kind is QuestionKind.QUANTITY:
        defaults |= dict(unit="units", quantiles=[0.05, 0.5, 0.95], scale=Scale.LINEAR)
    q = Question(study=study, key=key, kind=kind, **(defaults | fields))
    session.add(q)
    session.flush()
    return q
