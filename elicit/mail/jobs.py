"""Handing queued messages to an RQ worker when ``ELICIT_REDIS_URL`` is set.

A message written in a unit of work is noted on its session; only when that
session commits is a job enqueued for it (one per message), so a worker never
looks for a message that is not yet, or never will be, in the database. The
job (:func:`elicit.worker.deliver_message`, run by ``rq worker elicit-mail``)
claims the message like any sender, so a message the cron sender already took
is not sent again. If Redis cannot be reached the messages simply stay queued
for ``elicit mail send``.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from flask import current_app, has_app_context
from sqlalchemy.orm import Session

QUEUE_NAME = "elicit-mail"
"""The RQ queue the worker listens on: ``rq worker --url $ELICIT_REDIS_URL elicit-mail``."""

JOB = "elicit.worker.deliver_message"
"""The job each message gets, named by path so this module imports no app."""

_PENDING = "elicit_outbox_written"

log = logging.getLogger(__name__)


def hand_over_after_commit(session: Session, message_id: int) -> None:
    """Enqueue a job for message ``message_id`` once ``session`` commits (if Redis is set)."""
    session.info.setdefault(_PENDING, []).append(message_id)


def enqueue(redis_url: str, message_ids: list[int]) -> None:
    """Enqueue one delivery job per message on the queue :data:`QUEUE_NAME`."""
    from redis import Redis
    from redis.exceptions import RedisError
    from rq import Queue

    try:
        queue = Queue(QUEUE_NAME, connection=Redis.from_url(redis_url))
        for message_id in message_ids:
            queue.enqueue(JOB, message_id, job_timeout=120)
    except RedisError as error:
        log.warning("messages %s stay queued: Redis refused them (%s)", message_ids, error)


@sa.event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    """Hand the messages the committed unit of work wrote to the RQ worker."""
    message_ids = session.info.pop(_PENDING, None)
    if message_ids and has_app_context() and current_app.config.get("REDIS_URL"):
        enqueue(current_app.config["REDIS_URL"], message_ids)


@sa.event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session: Session, previous_transaction: object) -> None:
    """Forget the messages of a unit of work that was rolled back."""
    session.info.pop(_PENDING, None)
