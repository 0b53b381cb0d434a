"""Editing questions before they are asked, withdrawing them after, and adding corrected ones.

Once a round that asks a question has opened, experts have answered what it
says, so its text, scale and resolution criteria can no longer change: the
facilitator withdraws it instead (its answers are kept and marked, and no
round asks it from then on) and may add a corrected question, which the next
round to open asks first. Every rule is here; the pages only parse and show.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from datetime import date
from enum import Enum
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext
from sqlalchemy.orm import Session

from elicit import audit
from elicit.accounts.models import User
from elicit.db import utcnow
from elicit.errors import DomainError
from elicit.studies.models import Question, QuestionKind, Scale
from elicit.studies.question_sets import SLUG, states_number
from elicit.studies.services import ensure_not_archived, find_question, next_round_number
from elicit.text import invisible_character_message

UNIT_LIMIT = 80
REASON_LIMIT = 2000


class FieldError(DomainError):
    """A refused value of one field, named as in :class:`QuestionFields` (or ``key``, ``reason``).

    Pages show the message beside that field.
    """

    def __init__(self, field: str, message: str) -> None:
        super().__init__("invalid_question", message)
        self.field = field


@dataclass
class QuestionFields:
    """What a facilitator may set on a question: its text, dates and kind-specific options.

    ``allow_certainty`` is for the binary kinds; ``unit``, ``quantiles``,
    ``lower_bound``, ``upper_bound`` and ``scale`` for quantities (``None``
    for the binary kinds).
    """

    title: str
    resolution_criterion: str
    resolution_source: str
    close_date: date
    resolve_by: date
    background: str = ""
    allow_certainty: bool = False
    unit: str | None = None
    quantiles: list[float] | None = None
    lower_bound: float | None = None
    upper_bound: float | None = None
    scale: Scale | None = None

    @classmethod
    def of(cls, question: Question) -> QuestionFields:
        """Return what ``question`` holds now."""
        return cls(**{f.name: getattr(question, f.name) for f in fields(cls)})


def first_asked_in(question: Question) -> int | None:
    """Return the number of the first opened round that asks ``question``, or ``None``.

    A round asks a question if it is numbered from the question's
    ``first_round`` on; once such a round has opened (it is open or closed),
    experts have seen the question as it stands.
    """
    opened = [
        round_.number
        for round_ in question.study.rounds
        if round_.opened_at is not None and round_.number >= question.first_round
    ]
    return min(opened, default=None)


def _check_text(values: QuestionFields) -> None:
    """Refuse an empty title, resolution criterion or resolution source, or invisible characters.

    Experts read all four texts, so none may hold an invisible format
    character (:mod:`elicit.text`).
    """
    required = {
        "title": gettext("enter the question experts will read"),
        "resolution_criterion": gettext("say how the question will be resolved"),
        "resolution_source": gettext("say where the outcome will be found"),
    }
    for name, message in required.items():
        if not getattr(values, name).strip():
            raise FieldError(name, message)
    for name in ("title", "background", "resolution_criterion", "resolution_source"):
        invisible = invisible_character_message(getattr(values, name) or "")
        if invisible is not None:
            raise FieldError(name, invisible)
    if values.close_date > values.resolve_by:
        raise FieldError(
            "close_date", gettext("the closing date must not be after the resolve-by date")
        )


def _check_quantity(values: QuestionFields, realization: float | None) -> None:
    """Refuse a quantity's options that the question-set rules would refuse."""
    unit = (values.unit or "").strip()
    if not unit or len(unit) > UNIT_LIMIT:
        raise FieldError("unit", gettext("enter a unit of at most 80 characters"))
    levels = values.quantiles or []
    if (
        len(levels) < 2
        or not all(math.isfinite(level) and 0 < level < 1 for level in levels)
        or any(b <= a for a, b in zip(levels, levels[1:], strict=False))
    ):
        raise FieldError(
            "quantiles",
            gettext("enter at least two increasing probabilities, each between 0 and 1"),
        )
    if values.scale is None:
        raise FieldError("scale", gettext("choose a linear or a log scale"))
    low, high = values.lower_bound, values.upper_bound
    if any(bound is not None and not math.isfinite(bound) for bound in (low, high)):
        raise FieldError("lower_bound", gettext("the bounds must be finite numbers"))
    if low is not None and high is not None and low >= high:
        raise FieldError("lower_bound", gettext("the lower bound must be below the upper bound"))
    if values.scale is Scale.LOG and low is not None and low <= 0:
        raise FieldError("lower_bound", gettext("on a log scale the lower bound must be positive"))
    if realization is None:
        return
    if (low is not None and realization < low) or (high is not None and realization > high):
        raise FieldError(
            "lower_bound", gettext("the bounds must include the calibration question's answer")
        )
    for name in ("title", "background", "resolution_criterion"):
        if states_number(getattr(values, name), realization):
            raise FieldError(
                name, gettext("this gives away the calibration question's answer to experts")
            )


def check_fields(kind: QuestionKind, values: QuestionFields, realization: float | None) -> None:
    """Refuse ``values`` for a question of ``kind`` as the question-set rules would.

    Raises
    ------
    FieldError
        Naming the first field refused.
    """
    _check_text(values)
    if kind is QuestionKind.QUANTITY:
        _check_quantity(values, realization)
        if values.allow_certainty:
            raise FieldError(
                "allow_certainty", gettext("only a probability question allows certainty")
            )
        return
    for name in ("unit", "quantiles", "lower_bound", "upper_bound", "scale"):
        if getattr(values, name) is not None:
            raise FieldError(name, gettext("only a quantity question has this option"))


def _stored(value: Any) -> Any:
    """Return ``value`` as the audit log stores it (JSON)."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    return value


def _ensure_changeable(question: Question) -> None:
    """Refuse any change to a question of an archived study, or to a withdrawn question."""
    ensure_not_archived(question.study)
    if question.withdrawn_at is not None:
        raise DomainError(
            "withdrawn",
            gettext("question %(key)s was withdrawn and cannot change", key=question.key),
        )


def edit_question(
    session: Session, question: Question, values: QuestionFields, *, actor: User | None = None
) -> None:
    """Change what ``question`` says, which only a question not yet asked may.

    Raises
    ------
    DomainError
        ``question_asked`` once a round asking it has opened; ``withdrawn``;
        ``archived``; a :class:`FieldError` for a refused value.
    """
    _ensure_changeable(question)
    asked = first_asked_in(question)
    if asked is not None:
        raise DomainError(
            "question_asked",
            gettext(
                "question %(key)s was asked in round %(number)s, so it can no longer be edited; "
                "withdraw it and add a corrected question instead",
                key=question.key,
                number=asked,
            ),
        )
    check_fields(question.kind, values, question.realization)
    current = asdict(QuestionFields.of(question))
    changed = {name: value for name, value in asdict(values).items() if value != current[name]}
    for name, value in changed.items():
        setattr(question, name, value)
    session.flush()
    audit.record(
        session,
        "question.edit",
        actor=actor,
        study_id=question.study_id,
        target=question.key,
        details={
            "before": {name: _stored(current[name]) for name in changed},
            "after": {name: _stored(value) for name, value in changed.items()},
        },
    )


def withdraw_question(
    session: Session, question: Question, reason: str, *, actor: User | None = None
) -> None:
    """Withdraw ``question``: no round asks it from now on; its answers are kept and marked.

    Raises
    ------
    DomainError
        ``withdrawn`` if it already is, ``archived``, or a :class:`FieldError`
        (``reason``) for an empty or over-long reason.
    """
    _ensure_changeable(question)
    reason = reason.strip()
    if not reason or len(reason) > REASON_LIMIT:
        raise FieldError(
            "reason", gettext("say in at most 2000 characters why the question is withdrawn")
        )
    question.withdrawn_at = utcnow()
    question.withdrawn_reason = reason
    session.flush()
    audit.record(
        session,
        "question.withdraw",
        actor=actor,
        study_id=question.study_id,
        target=question.key,
        details={"reason": reason, "asked_in": first_asked_in(question)},
    )


def add_corrected_question(
    session: Session,
    original: Question,
    key: str,
    values: QuestionFields,
    *,
    actor: User | None = None,
) -> Question:
    """Add a corrected version of an asked question, placed after it and first asked next round.

    The new question has ``original``'s kind, section, source, quote, tags and
    calibration answer, and ``values`` for everything a facilitator may edit.
    Withdrawing the original is a separate step (:func:`withdraw_question`).

    Raises
    ------
    DomainError
        ``not_asked`` if ``original`` has not been asked yet (edit it
        instead), ``archived``, or a :class:`FieldError` for a refused key or
        value.
    """
    study = original.study
    ensure_not_archived(study)
    if first_asked_in(original) is None:
        raise DomainError(
            "not_asked",
            gettext("question %(key)s has not been asked yet; edit it instead", key=original.key),
        )
    if not SLUG.match(key):
        raise FieldError(
            "key",
            gettext(
                "'%(key)s' must be 3-80 lower-case letters, digits or '-', starting with a "
                "letter or digit",
                key=key,
            ),
        )
    if find_question(session, study, key) is not None:
        raise FieldError(
            "key", gettext("the study already has a question with the id '%(key)s'", key=key)
        )
    check_fields(original.kind, values, original.realization)
    session.execute(
        sa.update(Question)
        .where(Question.study_id == study.id, Question.position > original.position)
        .values(position=Question.position + 1)
    )
    question = Question(
        study=study,
        key=key,
        position=original.position + 1,
        kind=original.kind,
        section=original.section,
        question_set=original.question_set,
        source_id=original.source_id,
        quote=original.quote,
        tags=list(original.tags),
        calibration=original.calibration,
        realization=original.realization,
        first_round=next_round_number(study),
        **asdict(values),
    )
    session.add(question)
    session.flush()
    session.expire(study, ["questions"])
    audit.record(
        session,
        "question.add",
        actor=actor,
        study_id=study.id,
        target=key,
        details={
            "replaces": original.key,
            "first_round": question.first_round,
            "after": {name: _stored(value) for name, value in asdict(values).items()},
        },
    )
    return question
