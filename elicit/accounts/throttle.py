"""Per-account login throttling with back-off, on top of the per-address rate limit.

The per-address limit (Flask-Limiter, ``10 per minute``) slows one machine;
an attacker with many addresses is slowed by this one, which counts failed
logins per e-mail address typed (whether or not it has an account, so the
answers tell nobody which addresses do). The first :data:`FREE_FAILURES`
failures cost nothing; each one after them locks the address out for twice
as long as the one before, from :data:`FIRST_LOCKOUT` up to
:data:`MAX_LOCKOUT`. While locked, a login is refused without checking the
password (so guesses made then count for nothing) and says when to try again.
A successful login forgets the count, and so does :data:`FORGET_AFTER` without
a failure.

The counts live where the rate limits live: in Redis when
``ELICIT_RATELIMIT_STORAGE_URL`` names one (shared by every worker and host),
otherwise in the database (table ``login_throttles``), which every worker
shares too. Keys are the SHA-256 of the normalised address.
"""

from __future__ import annotations

import functools
import hashlib
import math
import time
from datetime import timedelta
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.orm import Session

from elicit.accounts.models import LoginThrottle
from elicit.db import upsert, utcnow

FREE_FAILURES = 5
"""Failed logins of one address before the first lockout."""

FIRST_LOCKOUT = timedelta(minutes=1)
MAX_LOCKOUT = timedelta(hours=1)
FORGET_AFTER = timedelta(days=1)
"""A count with no failure for this long starts again from nothing."""

REDIS_PREFIX = "elicit:login-throttle:"


def account_key(email: str) -> str:
    """Return the key an address is counted under: the SHA-256 of it trimmed and lower-cased."""
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()


def lockout(failures: int) -> timedelta:
    """Return how long ``failures`` consecutive failed logins lock an address out."""
    if failures < FREE_FAILURES:
        return timedelta(0)
    doublings = min(failures - FREE_FAILURES, 20)
    return min(FIRST_LOCKOUT * 2**doublings, MAX_LOCKOUT)


class Throttle(Protocol):
    """Where the failed logins of each address are counted."""

    def wait(self, key: str) -> int:
        """Return the seconds until address ``key`` may try again (0: now)."""

    def failed(self, key: str) -> None:
        """Count a failed login of ``key``, locking it out if that is one too many."""

    def succeeded(self, key: str) -> None:
        """Forget the failures of ``key``."""


class DatabaseThrottle:
    """The counts in table ``login_throttles``, in the request's unit of work.

    A failure is one atomic upsert (``failures = failures + 1``), so
    concurrent failures are all counted. The request that records one must be
    committed though it answers 401 (:func:`elicit.unit_of_work.keep`).
    """

    def __init__(self, session: Session) -> None:
        self.session = session

    def wait(self, key: str) -> int:
        """Return the seconds until address ``key`` may try again (0: now)."""
        row = self.session.get(LoginThrottle, key)
        if row is None or row.locked_until is None:
            return 0
        return max(0, math.ceil((row.locked_until - utcnow()).total_seconds()))

    def failed(self, key: str) -> None:
        """Count a failed login of ``key``, locking it out if that is one too many."""
        now = utcnow()
        table = LoginThrottle.__table__
        statement = upsert(self.session, LoginThrottle).values(
            key=key, failures=1, last_failure_at=now
        )
        stale = table.c.last_failure_at < now - FORGET_AFTER
        statement = statement.on_conflict_do_update(
            index_elements=[table.c.key],
            set_={
                "failures": sa.case((stale, 1), else_=table.c.failures + 1),
                "last_failure_at": now,
            },
        )
        self.session.execute(statement)
        row = self.session.get(LoginThrottle, key, populate_existing=True)
        assert row is not None
        locked = lockout(row.failures)
        row.locked_until = now + locked if locked else None
        self.session.flush()

    def succeeded(self, key: str) -> None:
        """Forget the failures of ``key``."""
        self.session.execute(sa.delete(LoginThrottle).where(LoginThrottle.key == key))


class RedisThrottle:
    """The counts in Redis: a hash per address, gone :data:`FORGET_AFTER` after its last failure."""

    def __init__(self, url: str) -> None:
        self.redis = _redis(url)

    def wait(self, key: str) -> int:
        """Return the seconds until address ``key`` may try again (0: now)."""
        locked_until = self.redis.hget(REDIS_PREFIX + key, "locked_until")
        if locked_until is None:
            return 0
        return max(0, math.ceil(float(locked_until) - time.time()))

    def failed(self, key: str) -> None:
        """Count a failed login of ``key``, locking it out if that is one too many."""
        name = REDIS_PREFIX + key
        pipeline = self.redis.pipeline()
        pipeline.hincrby(name, "failures", 1)
        pipeline.expire(name, int(FORGET_AFTER.total_seconds()))
        failures = int(pipeline.execute()[0])
        locked = lockout(failures)
        if locked:
            self.redis.hset(name, "locked_until", str(time.time() + locked.total_seconds()))

    def succeeded(self, key: str) -> None:
        """Forget the failures of ``key``."""
        self.redis.delete(REDIS_PREFIX + key)


@functools.cache
def _redis(url: str) -> Any:
    """Return a client of the Redis at ``url``, one per process (it keeps a connection pool)."""
    from redis import Redis

    return Redis.from_url(url)


def throttle(session: Session, storage_uri: str | None) -> Throttle:
    """Return the throttle for the configured rate-limit storage (see the module docstring)."""
    if storage_uri and storage_uri.startswith(("redis://", "rediss://")):
        return RedisThrottle(storage_uri)
    return DatabaseThrottle(session)
