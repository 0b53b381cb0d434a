"""With ``ELICIT_REDIS_URL``: a job per message after the commit, run by an RQ worker.

Runs against the Redis server on 127.0.0.1:6379, started here (without
persistence) if it is not answering; skipped, saying so, if none can be had.
"""

from __future__ import annotations

import shutil
import subprocess
import time

import pytest
import sqlalchemy as sa

from elicit import worker
from elicit.mail import jobs
from elicit.mail.models import MessageState, OutboxMessage
from tests import test_mail as mail
from tests import test_panel_pages as pages
from tests.conftest import csrf_token
from tests.test_refusals import snapshot

world = pages.world
smtp_server = mail.smtp_server
REDIS_URL = "redis://127.0.0.1:6379/15"


def _answering(connection) -> bool:
    from redis.exceptions import RedisError

    try:
        return bool(connection.ping())
    except RedisError:
        return False


@pytest.fixture(scope="session")
def redis_connection():
    """A connection to the Redis on 127.0.0.1:6379 (database 15), starting a server if needed."""
    from redis import Redis

    connection = Redis.from_url(REDIS_URL)
    if not _answering(connection) and shutil.which("redis-server"):
        subprocess.run(
            ["redis-server", "--port", "6379", "--save", "", "--daemonize", "yes"],
            check=False,
            capture_output=True,
        )
        for _ in range(50):
            if _answering(connection):
                break
            time.sleep(0.1)
    if not _answering(connection):
        pytest.skip("no Redis server answers on 127.0.0.1:6379 and none could be started")
    return connection


@pytest.fixture
def queue(app, redis_connection):
    """The mail queue, empty, with the app handing messages to it."""
    from rq import Queue

    mail_queue = Queue(jobs.QUEUE_NAME, connection=redis_connection)
    mail_queue.empty()
    app.config["REDIS_URL"] = REDIS_URL
    yield mail_queue
    app.config["REDIS_URL"] = None
    mail_queue.empty()


def _email(client, expert_id):
    token = csrf_token(client.get(pages.PANEL).text)
    return client.post(f"{pages.PANEL}/experts/{expert_id}/email", data={"csrf_token": token})


def test_a_committed_invitation_becomes_one_job_that_a_worker_delivers(
    app, client, world, session, queue, smtp_server, monkeypatch
):
    from rq import SimpleWorker

    inbox, settings = smtp_server
    pages._as(client)
    assert _email(client, world["experts"]["none"].id).status_code == 302
    (message_id,) = session.scalars(sa.select(OutboxMessage.id)).all()
    (job,) = queue.get_jobs()
    assert job.func_name == jobs.JOB and job.args == (message_id,)

    monkeypatch.setattr(worker, "_app", lambda: app)
    smtp = {
        "SMTP_HOST": settings.host,
        "SMTP_PORT": settings.port,
        "SMTP_FROM": settings.sender,
        "SMTP_STARTTLS": False,
    }
    for key, value in smtp.items():
        monkeypatch.setitem(app.config, key, value)
    SimpleWorker([queue], connection=queue.connection).work(burst=True)

    assert len(inbox.messages) == 1 and inbox.messages[0]["To"] == "none@x.test"
    session.expire_all()
    assert session.get(OutboxMessage, message_id).state is MessageState.SENT
    assert worker.deliver_message(message_id).startswith("skipped")


def test_a_refused_request_enqueues_nothing(client, world, session, queue, monkeypatch):
    from elicit.errors import DomainError
    from elicit.mail import outbox

    original = outbox._write

    def write_then_refuse(*args, **kwargs):
        original(*args, **kwargs)
        raise DomainError("refused", "refused after writing the message")

    monkeypatch.setattr(outbox, "_write", write_then_refuse)
    pages._as(client)
    before = snapshot(session)
    assert _email(client, world["experts"]["none"].id).status_code == 302
    assert snapshot(session) == before
    assert queue.count == 0
