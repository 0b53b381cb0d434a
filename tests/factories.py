"""Builders for test data, going through the real services (but `large_study`, in bulk)."""

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


def large_study(session, experts=500, questions=40, rounds=3, seed=11, slug="large", owner=None):
    """A study of ``experts`` x ``questions`` with every expert answering each of ``rounds``.

    Binary questions (probabilities) and quantities alternate; the last round
    stays open, earlier ones are closed. Rows are inserted in bulk, past the
    answer rules, as a fast stand-in for a real study's history (for query
    counts and the dashboard benchmark).
    """
    import random

    import sqlalchemy as sa

    from elicit.judgments.models import Judgment
    from elicit.panels.models import Expert, ExpertContact
    from elicit.rounds.services import close_round, open_next_round

    rng = random.Random(seed)
    found = study(session, slug=slug, owner=owner)
    asked = [
        question(session, found, key=f"q{i}")
        if i % 2 == 0
        else question(
            session, found, key=f"q{i}", kind=QuestionKind.QUANTITY, lower_bound=0.0, unit="km"
        )
        for i in range(questions)
    ]
    groups = ["officials", "academics", "journalists", ""]
    session.execute(
        sa.insert(Expert),
        [
            {"study_id": found.id, "pseudonym": f"E{i:04d}", "panel_group": groups[i % 4]}
            for i in range(experts)
        ],
    )
    ids = session.scalars(sa.select(Expert.id).where(Expert.study_id == found.id)).all()
    session.execute(
        sa.insert(ExpertContact),
        [{"expert_id": e, "name": f"Person {e}", "email": f"p{e}@x.test"} for e in ids],
    )
    session.expire(found)
    for number in range(rounds):
        round_ = open_next_round(session, found)
        session.execute(
            sa.insert(Judgment),
            [
                {
                    "expert_id": e,
                    "question_id": q.id,
                    "round_id": round_.id,
                    "probability": round(rng.uniform(0.05, 0.95), 2) if q.is_binary else None,
                    "quantile_values": None
                    if q.is_binary
                    else sorted(round(rng.uniform(10, 500), 1) for _ in range(3)),
                }
                for e in ids
                for q in asked
            ],
        )
        if number < rounds - 1:
            close_round(session, round_)
    session.flush()
    return found
