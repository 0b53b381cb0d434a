"""Per-account login throttling with back-off, in the database or in Redis; and the rate-limit
storage setting starting cleanly with Redis."""

from __future__ import annotations

import time
import uuid
from datetime import timedelta

import flask_migrate
import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

from elicit.accounts.models import LoginThrottle
from elicit.accounts.throttle import (
    FIRST_LOCKOUT,
    FREE_FAILURES,
    MAX_LOCKOUT,
    REDIS_PREFIX,
    account_key,
    lockout,
)
from elicit.db import utcnow
from elicit.extensions import db
from tests import factories
from tests import test_mail_rq as rq
from tests.conftest import csrf_token, make_app

redis_connection = rq.redis_connection


def attempt(client, email: str, password: str):
    page = client.get("/login")
    return client.post(
        "/login", data={"email": email, "password": password, "csrf_token": csrf_token(page.text)}
    )


@pytest.fixture
def staff(session):
    user = factories.user(session)
    session.commit()
    return user


def test_the_lockout_starts_after_the_free_failures_and_doubles_up_to_its_cap():
    assert [lockout(n) for n in range(FREE_FAILURES)] == [timedelta(0)] * FREE_FAILURES
    assert lockout(FREE_FAILURES) == FIRST_LOCKOUT
    assert lockout(FREE_FAILURES + 1) == 2 * FIRST_LOCKOUT
    assert lockout(FREE_FAILURES + 2) == 4 * FIRST_LOCKOUT
    assert lockout(10_000) == MAX_LOCKOUT


@given(st.integers(min_value=0, max_value=500))
def test_one_more_failure_never_shortens_the_lockout(failures):
    assert lockout(failures) <= lockout(failures + 1) <= MAX_LOCKOUT


def test_failures_lock_the_account_out_even_for_the_right_password(client, staff, session):
    statuses = [attempt(client, "fac@example.org", "wrong password!").status_code for _ in range(5)]
    assert statuses == [401] * 5
    # Counted though every answer was an error (the unit of work kept them).
    row = session.get(LoginThrottle, account_key("FAC@example.org "))
    assert row.failures == 5 and row.locked_until is not None
    locked = attempt(client, "fac@example.org", factories.PASSWORD)
    assert locked.status_code == 429
    assert "Too many attempts. Try again in about a minute." in locked.text
    assert 'value="fac@example.org"' in locked.text
    # Guesses during the lockout are not even checked, so they add nothing.
    session.expire_all()
    assert session.get(LoginThrottle, account_key("fac@example.org")).failures == 5

    row = session.get(LoginThrottle, account_key("fac@example.org"))
    row.locked_until = utcnow() - timedelta(seconds=1)
    session.commit()
    assert attempt(client, "fac@example.org", "wrong again!!").status_code == 401
    session.expire_all()
    row = session.get(LoginThrottle, account_key("fac@example.org"))
    assert row.failures == 6
    assert row.locked_until - utcnow() > timedelta(seconds=100)  # two minutes now
    again = attempt(client, "fac@example.org", factories.PASSWORD)
    assert again.status_code == 429 and "about 2 minutes" in again.text

    row.locked_until = utcnow() - timedelta(seconds=1)
    session.commit()
    assert attempt(client, "fac@example.org", factories.PASSWORD).status_code == 302
    session.expire_all()
    assert session.get(LoginThrottle, account_key("fac@example.org")) is None


def test_an_address_without_an_account_is_throttled_alike(client, staff):
    answers = [attempt(client, "nobody@example.org", "a guess here") for _ in range(6)]
    assert [a.status_code for a in answers] == [401] * 5 + [429]
    # Another account is not affected.
    assert attempt(client, "fac@example.org", factories.PASSWORD).status_code == 302


def test_an_old_count_is_forgotten(client, staff, session):
    for _ in range(4):
        attempt(client, "fac@example.org", "wrong password!")
    row = session.get(LoginThrottle, account_key("fac@example.org"))
    row.last_failure_at = utcnow() - timedelta(days=2)
    session.commit()
    attempt(client, "fac@example.org", "wrong password!")
    session.expire_all()
    assert session.get(LoginThrottle, account_key("fac@example.org")).failures == 1


# With Redis as the rate-limit storage


@pytest.fixture
def redis_app(tmp_path, redis_connection):
    """An app whose rate limits and login counts live in Redis (the RQ tests' server)."""
    from elicit.extensions import limiter

    connection = redis_connection
    app = make_app(
        f"sqlite:///{tmp_path / 'redis.db'}",
        tmp_path,
        RATELIMIT_ENABLED=True,
        RATELIMIT_STORAGE_URI=rq.REDIS_URL,
        RATELIMIT_KEY_PREFIX=f"elicit-test-{uuid.uuid4().hex[:8]}",
    )
    with app.app_context():
        flask_migrate.upgrade()
        factories.user(db.session())
        db.session.commit()
    try:
        yield app, connection
    finally:
        limiter.reset()
        limiter.enabled = False
        for key in connection.scan_iter(REDIS_PREFIX + "*"):
            connection.delete(key)
        with app.app_context():
            db.engine.dispose()


def test_with_redis_the_app_starts_and_counts_per_address_and_per_account(redis_app):
    app, redis = redis_app
    client = app.test_client()
    answers = [attempt(client, "fac@example.org", "wrong password!") for _ in range(6)]
    assert [a.status_code for a in answers] == [401] * 5 + [429]
    stored = redis.hgetall(REDIS_PREFIX + account_key("fac@example.org"))
    assert int(stored[b"failures"]) == 5 and float(stored[b"locked_until"]) > time.time()
    with app.app_context():
        assert db.session.scalars(sa.select(LoginThrottle)).all() == []
    # The per-address limit (10 a minute), counted in Redis too, stops other addresses.
    others = [attempt(client, f"x{n}@example.org", "a guess here") for n in range(5)]
    assert [a.status_code for a in others] == [401] * 4 + [429]
