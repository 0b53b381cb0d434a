"""A round's pooled forecasts for the pages, computed once per change of the round and stored.

:func:`round_pools` returns what :func:`elicit.analysis.aggregates.pool_round`
and :func:`~elicit.analysis.aggregates.consensus` give for a round of a study,
on the judgments :func:`elicit.analysis.study_data.judgments` reads (the very
arrays ``elicit pool`` reads from the exported long CSV), with the default
bootstrap (:data:`~elicit.analysis.aggregates.DEFAULT_RESAMPLES` resamples,
seed :data:`~elicit.analysis.aggregates.DEFAULT_SEED`). The result is stored in
:class:`~elicit.analysis.models.RoundPools` with a digest of what it came from
(:func:`change_key`); a later request with the same digest reads it back
instead of recomputing.

The digest covers the judgments the round's pools depend on: the last-change
marker (:func:`~elicit.analysis.round_statistics.last_change`: the count and the
latest change of the judgments) of the round and of round 1 (the aggreCAT shift
methods compare with round 1), the highest round with judgments (whether those
methods apply), the withdrawn questions, and the bootstrap settings.

With Redis configured (``ELICIT_REDIS_URL``), a page does not compute a stale
round itself: :func:`stored_pools` gives ``None`` and :func:`enqueue` asks the
RQ worker (queue :data:`QUEUE_NAME`, job :func:`elicit.worker.compute_round_pools`)
to compute and store it; the page says the figures are being computed and
looks again. One job per round and change key is queued however many pages ask.
"""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from elicit.analysis import aggregates, longform, results, study_data
from elicit.analysis.models import RoundPools
from elicit.analysis.round_statistics import change_columns
from elicit.db import utcnow
from elicit.judgments.models import Judgment
from elicit.rounds.models import Round
from elicit.studies.models import Question, Study
from elicit.unit_of_work import write_transaction

FORMAT_VERSION = 1
"""Bumped when the stored rows change shape, so older stored results are recomputed."""


def change_key(session: Session, round_: Round) -> str:
    """Return a digest of everything ``round_``'s pools are computed from (see the module)."""
    per_round = session.execute(
        sa.select(Round.number, *change_columns())
        .join(Judgment, Judgment.round_id == Round.id)
        .where(Round.study_id == round_.study_id)
        .group_by(Round.number)
    ).all()
    changes = {number: (count, str(last)) for number, count, last in per_round}
    withdrawn = session.scalars(
        sa.select(Question.id)
        .where(Question.study_id == round_.study_id, Question.withdrawn_at.is_not(None))
        .order_by(Question.id)
    ).all()
    basis = {
        "version": FORMAT_VERSION,
        "round": [round_.number, changes.get(round_.number)],
        "first": changes.get(1),
        "last_round": max(changes, default=0),
        "withdrawn": list(withdrawn),
        "bootstrap": [aggregates.DEFAULT_RESAMPLES, aggregates.DEFAULT_SEED],
    }
    return hashlib.sha256(json.dumps(basis, sort_keys=True).encode()).hexdigest()


def compute(session: Session, study: Study, round_: Round) -> dict[str, Any]:
    """Compute ``round_``'s pools and consensus statistics (no store): the stored payload.

    Returns ``{"aggregates": [row, ...], "consensus": [row, ...], "notes": [...]}``
    with rows as in the JSON ``elicit pool`` writes.
    """
    full = study_data.judgments(session, study)
    table = full.select(round_.number)
    if not table.value.size:
        return {"aggregates": [], "consensus": [], "notes": []}
    bootstrap = aggregates.Bootstrap(aggregates.DEFAULT_RESAMPLES, aggregates.DEFAULT_SEED)
    try:
        pooled = aggregates.pool_round(table, full=full, bootstrap=bootstrap)
    except longform.FormatError as error:  # the answer rules never store such judgments
        return {"aggregates": [], "consensus": [], "notes": list(error.report())}
    return {
        "aggregates": results.rows(pooled.blocks),
        "consensus": results.rows([aggregates.consensus(table)]),
        "notes": pooled.notes,
    }


QUEUE_NAME = "elicit-analysis"
"""The RQ queue of the pools jobs: ``rq worker --url $ELICIT_REDIS_URL elicit-analysis``."""

JOB = "elicit.worker.compute_round_pools"
"""The job computing and storing one round's pools, named by path (this module imports no app)."""

log = logging.getLogger(__name__)


def stored_pools(session: Session, round_: Round) -> dict[str, Any] | None:
    """Return ``round_``'s stored pools if they are still current, else ``None``."""
    key, stored = _stored(session, round_)
    if stored is None or stored.change_key != key:
        return None
    payload: dict[str, Any] = json.loads(stored.payload)
    return payload


def enqueue(redis_url: str, round_: Round, key: str) -> bool:
    """Queue the job computing ``round_``'s pools for ``key`` unless it is queued; whether queued.

    Returns ``False`` if Redis cannot be reached (the caller then computes).
    """
    from redis import Redis
    from redis.exceptions import RedisError
    from rq import Queue
    from rq.job import Job, JobStatus

    job_id = f"round-pools-{round_.id}-{key[:32]}"
    try:
        connection = Redis.from_url(redis_url)
        if Job.exists(job_id, connection=connection):
            status = Job.fetch(job_id, connection=connection).get_status()
            if status in (JobStatus.QUEUED, JobStatus.STARTED, JobStatus.DEFERRED):
                return True
        Queue(QUEUE_NAME, connection=connection).enqueue(
            JOB, round_.id, job_id=job_id, job_timeout=1800, result_ttl=600
        )
    except RedisError as error:
        log.warning("round %s: pools computed in the request, Redis refused (%s)", round_.id, error)
        return False
    return True


def pools_or_job(
    session: Session, study: Study, round_: Round, redis_url: str | None
) -> dict[str, Any] | None:
    """Return ``round_``'s current pools; with ``redis_url``, queue a stale round and give ``None``.

    Without Redis (or when it cannot be reached) this is :func:`round_pools`.
    """
    if redis_url:
        found = stored_pools(session, round_)
        if found is not None:
            return found
        if enqueue(redis_url, round_, change_key(session, round_)):
            return None
    return round_pools(session, study, round_)


def round_pools(session: Session, study: Study, round_: Round) -> dict[str, Any]:
    """Return ``round_``'s pools (see :func:`compute`), from the store when still current.

    A stale or missing stored result is recomputed and stored (:func:`_store`).
    Two requests racing to store the first result both answer; one of them
    stores it.
    """
    key, stored = _stored(session, round_)
    if stored is not None and stored.change_key == key:
        payload: dict[str, Any] = json.loads(stored.payload)
        return payload
    payload = compute(session, study, round_)
    _store(session, round_.id, key, json.dumps(payload, separators=(",", ":"), allow_nan=False))
    return payload


def _store(session: Session, round_id: int, key: str, text: str) -> None:
    """Store round ``round_id``'s pools ``text`` computed for ``key``, replacing older ones.

    A page (a GET, which only reads) stores them in a short write transaction
    of its own (:func:`elicit.unit_of_work.write_transaction`); a job or a
    command stores them in its own transaction.
    """
    with write_transaction(session) as writing:
        stored = writing.scalar(sa.select(RoundPools).where(RoundPools.round_id == round_id))
        if stored is not None:
            stored.change_key, stored.payload = key, text
            stored.computed_at = utcnow()
            writing.flush()
            return
        try:
            with writing.begin_nested():
                writing.add(RoundPools(round_id=round_id, change_key=key, payload=text))
        except sa.exc.IntegrityError:
            pass  # another request stored it first


def current_pools(session: Session, study: Study, round_: Round) -> dict[str, Any]:
    """Return ``round_``'s pools from the store when current, else computed and not stored.

    For readers that must not write (the exports read in a read-only transaction).
    """
    found = stored_pools(session, round_)
    return found if found is not None else compute(session, study, round_)


def _stored(session: Session, round_: Round) -> tuple[str, RoundPools | None]:
    """Return the digest of what ``round_``'s pools come from now, and its stored pools if any."""
    key = change_key(session, round_)
    return key, session.scalar(sa.select(RoundPools).where(RoundPools.round_id == round_.id))
