"""Experts' track records in a study and across its owner's studies, and the weights they earn.

The same person sits on several panels of one facilitator as several
:class:`~elicit.panels.models.Expert` rows, each with a study-scoped pseudonym.
They are recognised as one person by the e-mail address of their
:class:`~elicit.panels.models.ExpertContact` (trimmed, case-folded), read here
and nowhere shown: what leaves this module is a *person pseudonym*, a keyed
hash (HMAC-SHA-256 under the app's secret key) of that address written as
``P-`` and two groups of four base-32 characters (``P-CSUX-GNCK``). It is
stable across studies and app restarts, reveals nothing of the address to
someone without the key, and cannot be reversed by guessing addresses without
it. An expert without a contact is a person of their own
study only.

Records take in every study of the same owner that the viewer may see (so a
viewer never learns anything about a study not shared with them), each up to
the viewer's round limit for it (an analyst: its closed rounds). Judgments
come from :func:`elicit.analysis.study_data.judgments` (each expert's last round
on each binary question: the probability, or a three-point judgment's best
estimate); their times are those of the long CSV (truncated to the hour, so a
forecast never looks later than it was). A resolution is known from the end
of its ``resolved_on`` day in the study's time zone: an outcome enters a weight
only if that moment is strictly before the forecast. Scores and weights are
computed by :mod:`elicit.core.trackrecord`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session

from elicit.accounts.access import study_access, visible_study_ids
from elicit.accounts.models import User
from elicit.analysis import longform, study_data
from elicit.analysis.visibility import round_limit
from elicit.panels.models import Expert, ExpertContact
from elicit.studies.models import Question, QuestionKind, Resolution, Study

if TYPE_CHECKING:
    from elicit.core.trackrecord import TrackRecordBacktest

BINARY_KINDS = (QuestionKind.BINARY, QuestionKind.BINARY_INTERVAL)
"""The questions a track record scores: those forecast with a probability."""


def normalised_email(email: str) -> str:
    """Return ``email`` as it identifies a person: Unicode NFKC, trimmed, case-folded."""
    return unicodedata.normalize("NFKC", email).strip().casefold()


def person_pseudonym(key: str, secret: bytes) -> str:
    """Return the readable pseudonym of the person identified by ``key``, e.g. ``P-CSUX-GNCK``.

    ``key`` is a normalised e-mail address (or, for an expert without one, a
    key of their own study); the pseudonym is the first 40 bits of
    HMAC-SHA-256(``secret``, ``key``) in base 32.
    """
    digest = hmac.new(secret, b"elicit-person\x00" + key.encode(), hashlib.sha256).digest()
    text = base64.b32encode(digest[:5]).decode()
    return f"P-{text[:4]}-{text[4:]}"


@dataclass(frozen=True)
class PersonRecord:
    """One expert of the study: their person pseudonym and resolved-question record.

    ``study_*`` count the study's own questions, ``all_*`` those of every study
    in scope; a mean Brier score is None without a scored question.
    """

    person: str
    pseudonym: str
    study_questions: int
    study_brier: float | None
    all_questions: int
    all_brier: float | None
    studies: int


@dataclass(frozen=True)
class TrackRecordReport:
    """A study's track records and the back-test of weighting by them.

    ``studies`` are the owner's studies the records and weights draw on (the
    study itself first); ``backtest`` is None when none of the study's
    questions can be scored (no resolved binary question with a forecast).
    ``forecasts`` counts the forecasts pooled for the study's questions and
    ``recorded`` those whose expert had at least ``minimum`` resolved questions
    by then (the rest take the average weight).
    """

    study: Study
    studies: list[Study]
    people: list[PersonRecord]
    backtest: TrackRecordBacktest | None
    scored_questions: int
    forecasts: int
    recorded: int
    minimum: int
    shrinkage: float
    sharpness: float
    score: str

    def rows(self) -> list[dict[str, float | str | int | bool]]:
        """Return the back-test table, best first: rank, method, ``pool`` and ``weighted``.

        ``pool`` is the pool's name in :data:`elicit.core.pooling.METHODS` and
        ``weighted`` whether it ran with track-record weights; the scores are
        those of :meth:`elicit.core.backtest.BacktestResult.rows`.
        """
        if self.backtest is None:
            return []
        from elicit.core.trackrecord import WEIGHTED_PREFIX

        rows = self.backtest.result.rows()
        for row in rows:
            method = str(row["method"])
            row["weighted"] = method.startswith(WEIGHTED_PREFIX)
            row["pool"] = method.removeprefix(WEIGHTED_PREFIX)
        return rows


@dataclass
class _Pooled:
    """Every study's binary judgments in one set of arrays, indices made global."""

    values: np.ndarray
    questions: np.ndarray
    experts: np.ndarray
    times: np.ndarray
    outcomes: np.ndarray
    resolved_at: np.ndarray
    study_of_question: np.ndarray
    persons: list[str]
    pseudonyms: dict[tuple[int, str], int]
    """(study id, study pseudonym) -> person index."""


def scope(session: Session, study: Study, viewer: User) -> list[Study]:
    """Return ``study`` and the other studies of its owner that ``viewer`` may see, oldest first."""
    others = session.scalars(
        sa.select(Study)
        .where(
            Study.owner_id == study.owner_id,
            Study.id != study.id,
            visible_study_ids(viewer, Study.id, Study.owner_id),
        )
        .order_by(Study.created_at, Study.id)
    ).all()
    return [study, *others]


def end_of_day(day: date, time_zone: str) -> float:
    """Return the first moment after ``day`` in ``time_zone``, in microseconds since 1970 (UTC)."""
    moment = datetime.combine(day + timedelta(days=1), time(), tzinfo=ZoneInfo(time_zone))
    return float((moment - study_data.EPOCH) // timedelta(microseconds=1))


def _person_keys(session: Session, study: Study) -> dict[str, str]:
    """Map each of ``study``'s expert pseudonyms to the key identifying the person."""
    rows = session.execute(
        sa.select(Expert.pseudonym, ExpertContact.email)
        .outerjoin(ExpertContact, ExpertContact.expert_id == Expert.id)
        .where(Expert.study_id == study.id)
    ).all()
    return {
        pseudonym: normalised_email(email) if email else f"study:{study.id}:{pseudonym}"
        for pseudonym, email in rows
    }


def _gather(session: Session, studies: list[Study], viewer: User) -> _Pooled:
    """Read every study's binary judgments, outcomes and resolution times into global arrays.

    Only questions resolved on a date count: a binary calibration question whose
    realization is recorded without a resolution is left unresolved here. Each
    study's judgments stop at the viewer's round limit for it
    (:func:`elicit.analysis.visibility.round_limit`): an analyst's records
    never take in an open round.
    """
    parts = []
    person_at: dict[str, int] = {}
    pseudonyms: dict[tuple[int, str], int] = {}
    offset = 0
    for number, study in enumerate(studies):
        questions = [
            q for q in study_data.study_questions(session, study) if q.kind in BINARY_KINDS
        ]
        limit = round_limit(study, study_access(session, viewer, study))
        table = study_data.judgments(session, study, questions, through_round=limit).select(None)
        rows = (table.kind == longform.P) | (table.kind == longform.BEST)
        table = table.take(rows)
        keys = _person_keys(session, study)
        local = np.array(
            [person_at.setdefault(keys[p], len(person_at)) for p in table.experts], dtype=np.intp
        )
        for pseudonym, person in zip(table.experts, local.tolist(), strict=True):
            pseudonyms[study.id, pseudonym] = person
        outcomes = study_data.outcomes(session, study, table.questions)
        resolved_on = dict(
            session.execute(
                sa.select(Question.key, Resolution.resolved_on)
                .join(Resolution, Resolution.question_id == Question.id)
                .where(Question.study_id == study.id, Question.key.in_(table.questions))
            ).all()
        )
        resolved_at = np.array(
            [
                end_of_day(resolved_on[k], study.time_zone) if k in resolved_on else np.nan
                for k in table.questions
            ]
        )
        outcomes.value[np.isnan(resolved_at)] = np.nan
        times = table.time if table.time is not None else np.zeros(table.value.size)
        parts.append(
            (
                table.value,
                table.question + offset,
                local[table.expert] if table.value.size else np.zeros(0, dtype=np.intp),
                times,
                outcomes.value,
                resolved_at,
                np.full(len(table.questions), number, dtype=np.intp),
            )
        )
        offset += len(table.questions)
    columns = [np.concatenate(column) for column in zip(*parts, strict=True)]
    persons = [""] * len(person_at)
    for key, index in person_at.items():
        persons[index] = key
    values, question_index, experts, times, outcome, resolved, study_of_question = columns
    return _Pooled(
        values,
        question_index,
        experts,
        times,
        outcome,
        resolved,
        study_of_question,
        persons=persons,
        pseudonyms=pseudonyms,
    )


def track_record(
    session: Session,
    study: Study,
    viewer: User,
    *,
    secret: bytes,
    score: str = "brier",
    minimum: int | None = None,
    shrinkage: float | None = None,
    sharpness: float | None = None,
) -> TrackRecordReport:
    """Return the track record of each of ``study``'s experts and the weighting back-test.

    The records span :func:`scope`; the back-test scores the study's own
    resolved binary questions, weighting each forecast by its expert's record
    (in ``score``) across the scope as of the forecast's time, against the
    equal-weight pools (:func:`elicit.core.trackrecord.track_record_backtest`).
    Unset parameters take the core's documented defaults.
    """
    from elicit.core import trackrecord as tr
    from elicit.core.scoring import grouped_mean_score

    minimum = tr.DEFAULT_MINIMUM if minimum is None else minimum
    shrinkage = tr.DEFAULT_SHRINKAGE if shrinkage is None else shrinkage
    sharpness = tr.DEFAULT_SHARPNESS if sharpness is None else sharpness
    studies = scope(session, study, viewer)
    data = _gather(session, studies, viewer)
    n_questions, n_persons = data.outcomes.size, len(data.persons)
    arrays = (
        data.values,
        data.questions,
        data.experts,
        data.times,
        n_questions,
        data.outcomes,
        data.resolved_at,
    )
    brier = tr.scored_forecasts(*arrays)
    own = data.study_of_question[brier.question] == 0
    records = {}
    for name, chosen in (("study", own), ("all", np.ones_like(own))):
        count = np.bincount(brier.expert[chosen], minlength=n_persons)
        mean = grouped_mean_score(brier.score[chosen], brier.expert[chosen], n_persons)
        records[name] = (count, mean)
    appears = np.zeros((n_persons, len(studies)), dtype=bool)
    appears[data.experts, data.study_of_question[data.questions]] = True
    people = []
    for (study_id, pseudonym), person in sorted(data.pseudonyms.items(), key=lambda i: i[0][1]):
        if study_id != study.id:
            continue
        count, mean = records["study"]
        all_count, all_mean = records["all"]
        people.append(
            PersonRecord(
                person=person_pseudonym(data.persons[person], secret),
                pseudonym=pseudonym,
                study_questions=int(count[person]),
                study_brier=float(mean[person]) if count[person] else None,
                all_questions=int(all_count[person]),
                all_brier=float(all_mean[person]) if all_count[person] else None,
                studies=int(appears[person].sum()),
            )
        )
    target = data.study_of_question == 0
    forecast = data.times < data.resolved_at[data.questions]
    answered = np.zeros(n_questions, dtype=bool)
    answered[data.questions[forecast]] = True
    scorable = target & answered & ~np.isnan(data.outcomes)
    backtest = None
    pooled = forecast & target[data.questions]
    recorded = 0
    if scorable.any():
        backtest = tr.track_record_backtest(
            *arrays,
            scored=target,
            score=score,
            minimum=minimum,
            shrinkage=shrinkage,
            sharpness=sharpness,
        )
        recorded = int((backtest.record.count[pooled] >= minimum).sum())
    return TrackRecordReport(
        study=study,
        studies=studies,
        people=people,
        backtest=backtest,
        scored_questions=int(scorable.sum()),
        forecasts=int(pooled.sum()),
        recorded=recorded,
        minimum=minimum,
        shrinkage=float(shrinkage),
        sharpness=float(sharpness),
        score=score,
    )
