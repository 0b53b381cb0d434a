"""What an expert sees of the panel's previous round, and what facilitators may hide from it.

The panel's part of the feedback on a round is the same for every viewer, so it
is computed once from the round's judgments read as arrays and kept until the
round changes (:func:`panel_feedback`); each viewer's feedback is made from it
(:func:`for_viewer`), marking their own answer. Other experts appear only
under letters ("Expert C") drawn from a keyed hash of the round, the question
and the expert: fresh for every question, so two rationales under one letter
on different questions need not be one person's, and an expert's reasons
cannot be linked across the questions of a round. A study may keep one letter
per round instead (``Study.feedback_labels_per_round``), the key then leaving
the question out. Letters differ between rounds and follow neither submission
order nor database ids. Rationales are listed in an order drawn from a keyed
hash of the round, viewer and question
(:func:`rationale_order`); a rationale the facilitator hid is left out (the
answer still counts in the figures).
"""

from __future__ import annotations

import hashlib
import hmac
import random
import string
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, replace

import sqlalchemy as sa
from flask_babel import gettext
from sqlalchemy.orm import Session

from elicit import audit, formatting, i18n
from elicit.accounts.models import User
from elicit.analysis.round_statistics import last_change, round_arrays
from elicit.errors import DomainError
from elicit.feedback import charts
from elicit.judgments.models import Judgment
from elicit.panels.models import Expert
from elicit.rounds.models import Round
from elicit.studies.models import Question, QuestionKind, Scale, Study

MIN_ANSWERS_LIMIT = 100
"""Upper limit on a study's minimum number of answers for feedback (a sanity bound)."""


@dataclass(frozen=True)
class PanelAnswer:
    """One expert's previous-round answer, as another expert may see it.

    ``letter`` is the expert's letter for that question (``C``; for the whole
    round if the study keeps letters per round); ``value`` is the
    probability (or best estimate) or the quantity's median; ``low`` and
    ``high`` the ends of a range where the question asks for one.
    """

    letter: str
    value: float
    low: float | None
    high: float | None
    own: bool
    rationale: str

    @property
    def label(self) -> str:
        """The expert as the viewer sees them ("Expert C"), in the request's language."""
        return expert_label(self.letter)


@dataclass(frozen=True)
class QuestionFeedback:
    """The panel's previous-round answers to one question, for one viewer.

    When fewer than the study's minimum answered, ``shown`` is false and no
    answer, figure or rationale is carried at all.
    """

    round_number: int
    count: int
    shown: bool
    median: float | None = None
    q25: float | None = None
    q75: float | None = None
    own: PanelAnswer | None = None
    rationales: tuple[PanelAnswer, ...] = ()
    chart: charts.Chart | None = None


def _keyed(secret: bytes, *parts: object) -> bytes:
    """Hash ``parts`` with the app's secret: unpredictable without it, stable with it."""
    return hmac.new(secret, ":".join(map(str, parts)).encode(), hashlib.sha256).digest()


def letter(index: int) -> str:
    """Return the ``index``-th label: A..Z, then AA, AB, ..."""
    letters = string.ascii_uppercase
    label = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        label = letters[rest] + label
    return label


def expert_label(letter: str) -> str:
    """Name an expert of the panel by their ``letter``: ``Expert C``."""
    # TRANSLATORS: an expert as the rest of the panel sees them; %(letter)s is A, B, ... AA.
    return gettext("Expert %(letter)s", letter=letter)


def round_letters(
    secret: bytes, round_: Round, expert_ids: list[int], question_id: int | None = None
) -> dict[int, str]:
    """Give each expert who answered in ``round_`` a letter (``C``).

    With ``question_id`` the letters are for that question of the round only
    (the default feedback); without it, for every question of the round.
    """
    scope = ("label", round_.id) if question_id is None else ("label", round_.id, question_id)
    order = sorted(set(expert_ids), key=lambda e: _keyed(secret, *scope, e))
    return {expert_id: letter(i) for i, expert_id in enumerate(order)}


@dataclass(frozen=True, eq=False)
class PanelQuestion:
    """The panel's answers to one question of a closed round, the same for every viewer.

    ``answers`` are in the order of their letters, none marked as the
    viewer's; ``experts`` gives the expert id of each; ``chart`` has no mark
    drawn as the viewer's own. :func:`for_viewer` makes a viewer's
    :class:`QuestionFeedback` from it. Compared and hashed by identity: one
    object stands for one question of one round as it was at one change, so a
    page may keep what it renders from it beside it.
    """

    count: int
    shown: bool
    kind: QuestionKind
    unit: str | None
    median: float | None = None
    q25: float | None = None
    q75: float | None = None
    answers: tuple[PanelAnswer, ...] = ()
    experts: tuple[int, ...] = ()
    chart: charts.Chart | None = None

    def position(self, expert_id: int) -> int | None:
        """Return the index of expert ``expert_id``'s answer in ``answers``, if they answered."""
        try:
            return self.experts.index(expert_id)
        except ValueError:
            return None


CACHE_SIZE = 64
"""How many rounds' panel feedback (per language) each process keeps."""

_cache: OrderedDict[tuple[object, ...], dict[int, PanelQuestion]] = OrderedDict()
_cache_lock = threading.Lock()


def panel_feedback(
    session: Session, previous: Round, *, secret: bytes, min_answers: int
) -> dict[int, PanelQuestion]:
    """Return the panel's feedback on ``previous`` for every viewer, keyed by question id.

    Computed from the round's judgments read as arrays
    (:func:`~elicit.analysis.round_statistics.round_arrays`) and kept, in this
    process, until the round's last-change marker
    (:func:`~elicit.analysis.round_statistics.last_change`) moves: hiding a
    rationale, or any other change of its judgments, is seen by the next
    request. Kept per language too, as the charts carry words and figures, and
    per setting of the study's letters (per question or per round).
    """
    key = (
        str(session.get_bind().engine.url),
        previous.id,
        last_change(session, previous.id),
        min_answers,
        previous.study.feedback_labels_per_round,
        hashlib.sha256(secret).hexdigest(),
        str(i18n.active_locale()),
    )
    with _cache_lock:
        found = _cache.get(key)
        if found is not None:
            _cache.move_to_end(key)
            return found
    computed = _compute(session, previous, secret=secret, min_answers=min_answers)
    with _cache_lock:
        _cache[key] = computed
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return computed


def _compute(
    session: Session, previous: Round, *, secret: bytes, min_answers: int
) -> dict[int, PanelQuestion]:
    """Compute :func:`panel_feedback` from the round's judgments (see there)."""
    import numpy as np

    loaded = round_arrays(session, previous)
    if not loaded.summaries:
        return {}
    per_round = (
        round_letters(secret, previous, loaded.expert_ids.tolist())
        if previous.study.feedback_labels_per_round
        else None
    )
    questions = {
        q.id: q
        for q in session.scalars(sa.select(Question).where(Question.id.in_(list(loaded.summaries))))
    }
    bounds = np.searchsorted(loaded.question_ids, sorted(loaded.summaries), side="left").tolist()
    bounds.append(len(loaded.question_ids))
    feedback = {}
    for start, end, question_id in zip(bounds, bounds[1:], sorted(loaded.summaries), strict=False):
        question, summary = questions[question_id], loaded.summaries[question_id]
        if summary.answers < min_answers:
            feedback[question_id] = PanelQuestion(
                summary.answers, False, question.kind, question.unit
            )
            continue
        letters = per_round or round_letters(
            secret, previous, loaded.expert_ids[start:end].tolist(), question_id
        )
        given = sorted(
            (
                (
                    PanelAnswer(
                        letter=letters[int(loaded.expert_ids[i])],
                        value=float(loaded.values[i]),
                        low=None if np.isnan(loaded.low[i]) else float(loaded.low[i]),
                        high=None if np.isnan(loaded.high[i]) else float(loaded.high[i]),
                        own=False,
                        rationale=loaded.rationales[i],
                    ),
                    int(loaded.expert_ids[i]),
                )
                for i in range(start, end)
            ),
            key=lambda pair: pair[0].letter,
        )
        answers = tuple(answer for answer, _ in given)
        median, q25, q75 = summary.median, summary.q25, summary.q75
        feedback[question_id] = PanelQuestion(
            count=summary.answers,
            shown=True,
            kind=question.kind,
            unit=question.unit,
            median=median,
            q25=q25,
            q75=q75,
            answers=answers,
            experts=tuple(expert for _, expert in given),
            chart=_chart(question, answers, median, q25, q75),
        )
    return feedback


def _chart(question: Question, answers: Sequence[PanelAnswer], median, q25, q75) -> charts.Chart:  # noqa: ANN001
    """Choose and lay out the chart for ``question``'s answers (none drawn as the viewer's)."""
    if question.kind is QuestionKind.BINARY:
        return charts.dot_plot([a.value for a in answers], None, median, (q25, q75))
    rows = []
    for answer in answers:
        if answer.low is None or answer.high is None:
            raise ValueError(f"a {question.kind} answer without its range ({answer.label})")
        rows.append((answer.low, answer.value, answer.high))
    if question.kind is QuestionKind.BINARY_INTERVAL:
        return charts.range_plot(
            rows, None, median, (q25, q75), domain=(0.0, 1.0), probability=True
        )
    return charts.range_plot(
        rows, None, median, (q25, q75), log=question.scale is Scale.LOG, unit=question.unit
    )


def answer_words(panel: PanelQuestion, index: int) -> str:
    """Write answer ``index``'s value as its chart's description does: a percentage or quantity."""
    value = panel.answers[index].value
    if panel.kind is QuestionKind.QUANTITY:
        return formatting.quantity(value, unit=panel.unit)
    return formatting.probability(value)


def rationale_order(secret: bytes, round_id: int, viewer_id: int, question_id: int, count: int):  # noqa: ANN201
    """Return the order (indices into ``count`` answers) a viewer sees a question's reasons in.

    A permutation drawn from a keyed hash of the round, viewer and question:
    stable for a viewer, different between viewers and questions, following
    neither submission order nor letters, and unpredictable without the secret.
    """
    order = list(range(count))
    random.Random(_keyed(secret, "order", round_id, viewer_id, question_id)).shuffle(order)
    return order


def for_viewer(
    panel: PanelQuestion,
    viewer_id: int,
    *,
    round_number: int,
    order: Sequence[int],
) -> QuestionFeedback:
    """Make ``viewer_id``'s feedback on one question from the panel's (:func:`panel_feedback`).

    The viewer's answer is marked as their own, in the list and on the chart,
    and the reasons are listed in ``order`` (see :func:`rationale_order`).
    """
    if not panel.shown:
        return QuestionFeedback(round_number, panel.count, shown=False)
    mine = panel.position(viewer_id)
    answers = list(panel.answers)
    chart = panel.chart
    if mine is not None:
        answers[mine] = replace(answers[mine], own=True)
        if chart is not None:
            chart = charts.with_own(chart, mine, answer_words(panel, mine))
    return QuestionFeedback(
        round_number=round_number,
        count=panel.count,
        shown=True,
        median=panel.median,
        q25=panel.q25,
        q75=panel.q75,
        own=answers[mine] if mine is not None else None,
        rationales=tuple(answers[i] for i in order if answers[i].rationale),
        chart=chart,
    )


def round_feedback(
    session: Session, previous: Round, viewer: Expert, *, secret: bytes, min_answers: int
) -> dict[int, QuestionFeedback]:
    """Build the feedback on ``previous`` (a closed round) for ``viewer``, keyed by question id.

    The median and quartiles of the answers' central values (probability or
    median) are the facilitator's figures
    (:func:`~elicit.analysis.round_statistics.round_arrays`); the panel's part
    is :func:`panel_feedback`, shared by every viewer.
    """
    return {
        question_id: for_viewer(
            panel,
            viewer.id,
            round_number=previous.number,
            order=rationale_order(secret, previous.id, viewer.id, question_id, len(panel.answers)),
        )
        for question_id, panel in panel_feedback(
            session, previous, secret=secret, min_answers=min_answers
        ).items()
    }


def set_rationale_hidden(
    session: Session, judgment: Judgment, hidden: bool, *, actor: User | None = None
) -> None:
    """Hide ``judgment``'s rationale from the panel's feedback, or show it again."""
    if judgment.rationale_hidden != hidden:
        judgment.rationale_hidden = hidden
        session.flush()
        audit.record(
            session,
            "rationale.hide" if hidden else "rationale.show",
            actor=actor,
            study_id=judgment.round.study_id,
            target=f"{judgment.expert.pseudonym} / {judgment.question.key}",
            details={
                "round": judgment.round.number,
                "before": "shown" if hidden else "hidden",
                "after": "hidden" if hidden else "shown",
            },
        )


def update_settings(
    session: Session,
    study: Study,
    *,
    min_answers: int,
    hide_until_answered: bool,
    actor: User | None = None,
) -> None:
    """Change how ``study`` shows feedback (see :class:`~elicit.studies.models.Study`).

    The audit entry holds the settings before and after; saving the settings
    the study already has changes nothing and records nothing.

    Raises
    ------
    DomainError
        If ``min_answers`` is not between 1 and ``MIN_ANSWERS_LIMIT``.
    """
    if not 1 <= min_answers <= MIN_ANSWERS_LIMIT:
        raise DomainError(
            "invalid_min_answers",
            gettext(
                "The minimum number of answers must be from 1 to %(limit)s.",
                limit=formatting.integer(MIN_ANSWERS_LIMIT),
            ),
        )
    before = {
        "min_answers": study.feedback_min_answers,
        "hide_until_answered": study.hide_feedback_until_answered,
    }
    after = {"min_answers": min_answers, "hide_until_answered": hide_until_answered}
    if after == before:
        return
    study.feedback_min_answers = min_answers
    study.hide_feedback_until_answered = hide_until_answered
    session.flush()
    audit.record(
        session,
        "study.feedback_settings",
        actor=actor,
        study_id=study.id,
        target=study.slug,
        details={"before": before, "after": after},
    )
