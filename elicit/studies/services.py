"""Creating studies, importing validated question sets into them, and resolving questions."""

from __future__ import annotations

import math
from collections.abc import Collection
from copy import copy
from dataclasses import dataclass
from datetime import date
from functools import cache
from zoneinfo import available_timezones

import sqlalchemy as sa
from flask_babel import gettext
from sqlalchemy.orm import Session, selectinload

from elicit import audit, formatting
from elicit.accounts.access import visible_study_ids
from elicit.accounts.models import Role, User
from elicit.db import utcnow
from elicit.errors import DomainError
from elicit.studies.models import (
    Anonymity,
    Outcome,
    Question,
    QuestionKind,
    Resolution,
    Source,
    Study,
)
from elicit.studies.question_sets import SLUG, QuestionSet, SourceDocument
from elicit.text import invisible_character_message


def find_study(session: Session, slug: str) -> Study | None:
    """Return the study called ``slug``, or ``None``."""
    return session.scalar(sa.select(Study).where(Study.slug == slug))


def visible_studies(user: User) -> sa.Select[Study]:
    """Return a query for the studies ``user`` may see, newest first.

    Admins see every study; everyone else the studies they own and those
    shared with them (:mod:`elicit.accounts.access`).
    """
    return (
        sa.select(Study)
        .where(visible_study_ids(user, Study.id, Study.owner_id))
        .order_by(Study.created_at.desc())
    )


@cache
def time_zones() -> frozenset[str]:
    """Return the IANA time-zone names a study may be shown in (read once per process).

    Only ``Area/Place`` names and ``UTC``: the old aliases (``GB``, ``Poland``)
    and the system's ``localtime`` name no fixed place.
    """
    return frozenset(zone for zone in available_timezones() if "/" in zone) | {"UTC"}


def create_study(
    session: Session,
    *,
    slug: str,
    title: str,
    owner: User,
    description: str = "",
    anonymity: Anonymity = Anonymity.QUASI_ANONYMOUS,
    time_zone: str = "UTC",
) -> Study:
    """Add a study owned by a facilitator or admin; its ``slug`` names it in URLs and commands.

    Parameters
    ----------
    session
        Where the study is added (flushed, not committed).
    slug
        The study's short name: 3-80 lower-case letters, digits or '-'.
    title
        Its title (the slug if blank).
    owner
        A facilitator or admin, who gets every right to the study.
    description
        What experts read before they consent.
    anonymity
        The study's :class:`Anonymity` model (it can change until round 1 opens).
    time_zone
        An IANA name (``Europe/Warsaw``): where deadlines are shown to staff.

    Raises
    ------
    DomainError
        ``invalid_slug``, ``forbidden`` (an analyst as owner), ``invalid_title``,
        ``invalid_time_zone`` or ``duplicate_study``.
    """
    if not SLUG.match(slug):
        raise DomainError(
            "invalid_slug",
            gettext(
                "'%(slug)s' must be 3-80 lower-case letters, digits or '-', starting with a "
                "letter or digit",
                slug=slug,
            ),
        )
    if owner.role not in (Role.ADMIN, Role.FACILITATOR):
        raise DomainError(
            "forbidden",
            gettext(
                "%(email)s is an %(role)s and cannot own a study",
                email=owner.email,
                role=owner.role.value,
            ),
        )
    if len(title.strip()) > 200:
        raise DomainError("invalid_title", gettext("a study title must be at most 200 characters"))
    invisible = invisible_character_message(title)
    if invisible is not None:
        raise DomainError("invalid_title", invisible)
    if time_zone not in time_zones():
        raise DomainError(
            "invalid_time_zone",
            gettext("%(zone)s is not a time zone name such as Europe/Warsaw", zone=time_zone),
        )
    if find_study(session, slug) is not None:
        raise DomainError(
            "duplicate_study", gettext("a study called '%(slug)s' already exists", slug=slug)
        )
    study = Study(
        slug=slug,
        title=title.strip() or slug,
        description=description.strip(),
        owner=owner,
        anonymity=anonymity,
        time_zone=time_zone,
    )
    session.add(study)
    session.flush()
    audit.record(
        session,
        "study.create",
        actor=owner,
        study_id=study.id,
        target=slug,
        details={"after": {"anonymity": anonymity.value, "time_zone": time_zone}},
    )
    return study


def ensure_not_archived(study: Study) -> None:
    """Refuse any change to an archived study: it is kept whole and read-only.

    Raises
    ------
    DomainError
        ``archived`` if ``study`` is archived.
    """
    if study.archived_at is not None:
        raise DomainError(
            "archived",
            gettext("the study is archived and cannot change; its owner can unarchive it"),
        )


def archive_study(session: Session, study: Study, *, actor: User | None = None) -> None:
    """Make ``study`` read-only and list it under "Archived". Studies are never deleted.

    Raises
    ------
    DomainError
        ``archived`` if it already is, ``round_open`` while a round takes answers.
    """
    ensure_not_archived(study)
    open_now = [r.number for r in study.rounds if r.opened_at and r.closed_at is None]
    if open_now:
        raise DomainError(
            "round_open",
            gettext("round %(number)s is still open; close it first", number=open_now[0]),
        )
    study.archived_at = utcnow()
    session.flush()
    audit.record(
        session,
        "study.archive",
        actor=actor,
        study_id=study.id,
        target=study.slug,
        details={"before": None, "after": study.archived_at.isoformat()},
    )


def unarchive_study(session: Session, study: Study, *, actor: User | None = None) -> None:
    """Make an archived ``study`` changeable again.

    Raises
    ------
    DomainError
        ``not_archived`` if it is not archived.
    """
    if study.archived_at is None:
        raise DomainError("not_archived", gettext("the study is not archived"))
    before = study.archived_at.isoformat()
    study.archived_at = None
    session.flush()
    audit.record(
        session,
        "study.unarchive",
        actor=actor,
        study_id=study.id,
        target=study.slug,
        details={"before": before, "after": None},
    )


CLONED_SETTINGS = (
    "feedback_min_answers",
    "hide_feedback_until_answered",
    "prefill_previous_answers",
    "analysts_see_live_pools",
    "feedback_labels_per_round",
)
"""Study settings a clone copies besides its description, anonymity model and time zone."""

NOT_CLONED = {"id", "study_id", "first_round", "withdrawn_at", "withdrawn_reason", "created_at"}
"""Question columns a clone does not copy: the clone's questions start afresh in round 1."""


def clone_study(session: Session, study: Study, *, slug: str, title: str, actor: User) -> Study:
    """Copy ``study``'s settings and questions into a new study owned by ``actor``.

    The clone has no experts, rounds, answers or resolutions, and leaves out
    withdrawn questions; its questions keep their ids and order. An archived
    study may be cloned: cloning changes nothing in it.

    Raises
    ------
    DomainError
        Whatever :func:`create_study` refuses for the new slug, title or owner.
    """
    clone = create_study(
        session,
        slug=slug,
        title=title,
        owner=actor,
        description=study.description,
        anonymity=study.anonymity,
        time_zone=study.time_zone,
    )
    for name in CLONED_SETTINGS:
        setattr(clone, name, getattr(study, name))
    columns = [c.key for c in Question.__table__.columns if c.key not in NOT_CLONED]
    kept = [q for q in study.questions if q.withdrawn_at is None]
    for position, question in enumerate(kept, start=1):
        values = {name: copy(getattr(question, name)) for name in columns}
        session.add(Question(study=clone, **(values | {"position": position})))
    session.flush()
    audit.record(
        session,
        "study.clone",
        actor=actor,
        study_id=clone.id,
        target=slug,
        details={"from": study.slug, "questions": len(kept)},
    )
    return clone


def next_round_number(study: Study) -> int:
    """Return the number of the first round of ``study`` that has not opened yet."""
    return max((r.number for r in study.rounds if r.opened_at is not None), default=0) + 1


def study_has_opened(study: Study) -> bool:
    """Whether ``study``'s anonymity model can no longer change: round 1 has opened.

    Experts consent under the model they were shown, so it is fixed from the
    moment any of them can answer.
    """
    return any(round_.opened_at is not None for round_ in study.rounds)


def set_anonymity(
    session: Session, study: Study, anonymity: Anonymity, *, actor: User | None = None
) -> None:
    """Choose who may link an expert to their answers in ``study`` (see :class:`Anonymity`).

    Raises
    ------
    DomainError
        ``anonymity_fixed`` once round 1 has opened, ``archived`` for an archived study.
    """
    ensure_not_archived(study)
    if study_has_opened(study):
        raise DomainError(
            "anonymity_fixed",
            gettext("the anonymity model was fixed when round 1 opened and cannot change"),
        )
    before = study.anonymity
    study.anonymity = anonymity
    session.flush()
    audit.record(
        session,
        "study.anonymity",
        actor=actor,
        study_id=study.id,
        target=study.slug,
        details={"before": before.value, "after": anonymity.value},
    )


def _upsert_source(session: Session, document: SourceDocument) -> Source:
    """Return the stored source for ``document``, adding it if new.

    A key already stored with a different text hash is refused: the same key
    must always mean the same document.
    """
    source = session.scalar(sa.select(Source).where(Source.key == document.key))
    if source is None:
        source = Source(
            key=document.key,
            title=document.title,
            author=document.author,
            publisher=document.publisher,
            published=document.published,
            url=document.url,
            sha256=document.sha256,
        )
        session.add(source)
    elif source.sha256 != document.sha256:
        raise DomainError(
            "source_conflict",
            f"source {document.key!r} is stored with SHA-256 {source.sha256}, "
            f"the file says {document.sha256}",
        )
    return source


def import_question_sets(
    session: Session,
    study: Study,
    sets: list[QuestionSet],
    sources: dict[str, SourceDocument],
    *,
    actor: User | None = None,
    only: Collection[str] | None = None,
) -> list[Question]:
    """Add every question of ``sets`` (or those whose ids are in ``only``) to ``study``, or none.

    Questions added once rounds have opened are first asked in the next round.
    The caller's transaction rolls back whatever was added if this refuses.

    Raises
    ------
    DomainError
        ``archived`` for an archived study; ``no_questions`` if ``only`` is
        given but empty; ``unknown_question`` if it names a question the sets
        do not have; ``duplicate_question`` if a question id is already used
        in the study.
    """
    ensure_not_archived(study)
    offered = {q.key for s in sets for q in s.questions}
    if only is not None:
        if not only:
            raise DomainError("no_questions", gettext("choose at least one question"))
        unknown = sorted(set(only) - offered)
        if unknown:
            raise DomainError(
                "unknown_question",
                gettext("the question set has no question %(keys)s", keys=", ".join(unknown)),
            )
    chosen = offered if only is None else set(only)
    existing = set(session.scalars(sa.select(Question.key).where(Question.study_id == study.id)))
    clashes = sorted(existing & chosen)
    if clashes:
        raise DomainError(
            "duplicate_question",
            gettext(
                "study '%(slug)s' already has questions %(keys)s",
                slug=study.slug,
                keys=", ".join(clashes),
            ),
        )
    first_round = next_round_number(study)
    position = (
        session.scalar(
            sa.select(sa.func.max(Question.position)).where(Question.study_id == study.id)
        )
        or 0
    )
    stored_sources: dict[str, Source] = {}
    added: list[Question] = []
    for question_set in sets:
        for spec in question_set.questions:
            if spec.key not in chosen:
                continue
            if spec.source not in stored_sources:
                stored_sources[spec.source] = _upsert_source(session, sources[spec.source])
            position += 1
            question = Question(
                study=study,
                key=spec.key,
                position=position,
                question_set=spec.question_set,
                section=spec.section,
                kind=spec.kind,
                title=spec.title,
                background=spec.background,
                resolution_criterion=spec.resolution_criterion,
                resolution_source=spec.resolution_source,
                close_date=spec.close_date,
                resolve_by=spec.resolve_by,
                source=stored_sources[spec.source],
                quote=spec.quote,
                tags=spec.tags,
                calibration=spec.calibration,
                realization=spec.realization,
                allow_certainty=spec.allow_certainty,
                unit=spec.unit,
                quantiles=spec.quantiles,
                lower_bound=spec.lower_bound,
                upper_bound=spec.upper_bound,
                scale=spec.scale,
                first_round=first_round,
            )
            session.add(question)
            added.append(question)
    session.flush()
    audit.record(
        session,
        "questions.import",
        actor=actor,
        study_id=study.id,
        target=study.slug,
        details={
            "sets": [s.id for s in sets],
            "questions": len(added),
            "left_out": sorted(offered - chosen),
        },
    )
    return added


def question_count(session: Session, study_id: int) -> int:
    """Return how many questions study ``study_id`` has (withdrawn and resolved ones included)."""
    return session.scalar(_QUESTION_COUNT, {"study": study_id}) or 0


_QUESTION_COUNT = sa.select(sa.func.count(Question.id)).where(
    Question.study_id == sa.bindparam("study")
)
"""What :func:`question_count` reads, built once (every autosave of an expert asks)."""


def find_question(session: Session, study: Study, key: str) -> Question | None:
    """Return the question of ``study`` whose id is ``key``, or ``None``."""
    return session.scalar(
        sa.select(Question).where(Question.study_id == study.id, Question.key == key)
    )


def resolve_question(
    session: Session,
    question: Question,
    *,
    outcome: Outcome | None = None,
    value: float | None = None,
    source: str,
    resolved_on: date,
    actor: User,
) -> Resolution:
    """Record how ``question`` turned out, once; from then on it is scored and no longer asked.

    A binary question takes an ``outcome`` (yes, no or annulled), a quantity a
    ``value`` within its bounds. ``source`` says where the answer was found.
    Whether the study's rounds are over does not matter: a question resolved
    long after the study ended is scored like any other.

    Raises
    ------
    DomainError
        ``forbidden`` if ``actor`` is not a facilitator or admin,
        ``already_resolved``, ``invalid_resolution`` for the wrong kind of
        answer or a value outside the bounds, ``missing_source``. Messages
        are clauses, shown beside the field on the resolution page.
    """
    if actor.role not in (Role.ADMIN, Role.FACILITATOR):
        raise DomainError(
            "forbidden",
            gettext(
                "%(email)s has an analyst's account and cannot resolve questions", email=actor.email
            ),
        )
    if question.resolution is not None:
        raise DomainError(
            "already_resolved", gettext("question %(key)s has already resolved", key=question.key)
        )
    if not source.strip():
        raise DomainError("missing_source", gettext("say where the resolution comes from (source)"))
    if question.kind is QuestionKind.QUANTITY:
        if outcome is not None or value is None or not math.isfinite(value):
            raise DomainError(
                "invalid_resolution", gettext("%(key)s resolves to a number", key=question.key)
            )
        _check_bounds(question, value)
    elif value is not None or outcome is None:
        raise DomainError(
            "invalid_resolution",
            gettext("%(key)s resolves to yes, no or annulled", key=question.key),
        )
    resolution = Resolution(
        question=question,
        outcome=outcome,
        value=value,
        source=source.strip(),
        resolved_on=resolved_on,
        resolved_by=actor,
    )
    session.add(resolution)
    session.flush()
    audit.record(
        session,
        "question.resolve",
        actor=actor,
        study_id=question.study_id,
        target=question.key,
        details={"outcome": outcome.value if outcome else None, "value": value},
    )
    return resolution


def _check_bounds(question: Question, value: float) -> None:
    """Refuse a resolved or realized ``value`` outside the question's bounds."""
    low, high = question.lower_bound, question.upper_bound
    if (low is not None and value < low) or (high is not None and value > high):
        raise DomainError(
            "invalid_resolution",
            gettext("%(value)s is outside the question's bounds", value=formatting.number(value)),
        )


def record_realization(session: Session, question: Question, value: float, *, actor: User) -> None:
    """Record the known answer of a calibration question that was created without it.

    From then on the question scores the experts like the others (Cooke's
    calibration). A binary calibration question realizes as 0 or 1, a quantity
    as a number within its bounds; a realization once recorded is not changed.

    Raises
    ------
    DomainError
        ``not_calibration``, ``already_realized``, ``invalid_resolution`` or
        ``forbidden`` (an analyst's account).
    """
    if actor.role not in (Role.ADMIN, Role.FACILITATOR):
        raise DomainError(
            "forbidden",
            gettext(
                "%(email)s has an analyst's account and cannot resolve questions", email=actor.email
            ),
        )
    if not question.calibration:
        raise DomainError(
            "not_calibration",
            gettext("%(key)s is not a calibration question; resolve it instead", key=question.key),
        )
    if question.realization is not None:
        raise DomainError(
            "already_realized",
            gettext("the realization of %(key)s is already recorded", key=question.key),
        )
    if not math.isfinite(value):
        raise DomainError(
            "invalid_resolution", gettext("%(key)s resolves to a number", key=question.key)
        )
    if question.is_binary and value not in (0.0, 1.0):
        raise DomainError(
            "invalid_resolution",
            gettext("%(key)s is realized as 1 (it happened) or 0 (it did not)", key=question.key),
        )
    _check_bounds(question, value)
    question.realization = value
    session.flush()
    audit.record(
        session,
        "question.realize",
        actor=actor,
        study_id=question.study_id,
        target=question.key,
        details={"before": None, "after": value},
    )


@dataclass(frozen=True)
class ResolutionQueue:
    """A study's questions as the resolution page lists them.

    ``due``: unresolved questions past their resolve-by date, oldest first;
    ``upcoming``: the other unresolved ones (an event may settle early);
    ``unrealized``: calibration questions still waiting for their realization;
    ``resolved``: questions with a recorded resolution, latest first.
    """

    due: list[Question]
    upcoming: list[Question]
    unrealized: list[Question]
    resolved: list[Question]


def resolution_queue(session: Session, study: Study, today: date) -> ResolutionQueue:
    """Sort ``study``'s questions into the resolution page's lists, as of ``today``."""
    questions = list(
        session.scalars(
            sa.select(Question)
            .where(Question.study_id == study.id)
            .options(selectinload(Question.resolution))
            .order_by(Question.resolve_by, Question.position)
        )
    )
    forecasts = [q for q in questions if not q.calibration]
    open_ones = [q for q in forecasts if q.resolution is None]
    resolved = [q for q in forecasts if q.resolution is not None]
    resolved.sort(key=lambda q: (q.resolution.resolved_on, q.resolution.id), reverse=True)  # type: ignore[union-attr]
    return ResolutionQueue(
        due=[q for q in open_ones if q.resolve_by <= today],
        upcoming=[q for q in open_ones if q.resolve_by > today],
        unrealized=[q for q in questions if q.calibration and q.realization is None],
        resolved=resolved,
    )
