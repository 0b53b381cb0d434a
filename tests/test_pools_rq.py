"""With ``ELICIT_REDIS_URL``: a stale round's pools are computed by an RQ job, not in the request.

Runs against the Redis server on 127.0.0.1:6379 (database 15), started if
needed (see :mod:`tests.test_mail_rq`).
"""

from __future__ import annotations

import pytest

from elicit import worker
from elicit.analysis import round_pools
from elicit.analysis.models import RoundPools
from tests import factories
from tests.conftest import login
from tests.test_analysing_pools import study as study  # noqa: F401 (a fixture)
from tests.test_mail_rq import REDIS_URL, redis_connection  # noqa: F401 (a fixture)


@pytest.fixture
def analysis_queue(app, redis_connection):  # noqa: F811
    """The analysis queue, empty, with the app configured to use it."""
    from rq import Queue

    queue = Queue(round_pools.QUEUE_NAME, connection=redis_connection)
    queue.empty()
    app.config["REDIS_URL"] = REDIS_URL
    yield queue
    app.config["REDIS_URL"] = None
    queue.empty()


PAGE = "/analyse/studies/study/pools?round=2"


def test_a_stale_round_is_computed_by_one_job_then_shown(
    app, client, session, study, analysis_queue, monkeypatch
):
    from rq import SimpleWorker

    session.commit()
    login(client, "fac@example.org", factories.PASSWORD)
    first = client.get(PAGE)
    assert first.status_code == 202
    assert "being computed" in first.text and 'http-equiv="refresh"' in first.text
    assert client.get(PAGE.replace("pools?", "pools.json?")).json == {
        "study": "study",
        "round": 2,
        "computing": True,
    }
    (job,) = analysis_queue.get_jobs()
    assert job.func_name == round_pools.JOB
    assert session.query(RoundPools).count() == 0

    monkeypatch.setattr(worker, "_app", lambda: app)
    SimpleWorker([analysis_queue], connection=analysis_queue.connection).work(burst=True)

    session.expire_all()
    assert session.query(RoundPools).count() == 1
    shown = client.get(PAGE.replace("pools?", "pools.json?"))
    assert shown.status_code == 200
    expected = round_pools.compute(session, study, study.rounds[1])
    assert shown.json["aggregates"] == expected["aggregates"]
    assert client.get(PAGE).status_code == 200
    assert analysis_queue.count == 0
    assert worker.compute_round_pools(study.rounds[1].id) == "skipped: already current"


def test_without_redis_answering_the_request_computes(app, client, session, study, monkeypatch):
    session.commit()
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"
    try:
        login(client, "fac@example.org", factories.PASSWORD)
        assert client.get(PAGE).status_code == 200
    finally:
        app.config["REDIS_URL"] = None
    assert session.query(RoundPools).count() == 1
