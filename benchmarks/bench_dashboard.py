"""Response time of the dashboard for a study of 500 experts x 40 questions x 3 rounds.

Builds the study (``tests.factories.large_study``, 60,000 answers) in a fresh
SQLite database migrated to the head, logs in as its facilitator and asks for
the dashboard :data:`REQUESTS` times through the WSGI test client (no network),
after :data:`WARM_UP` requests. Prints the median, p95 and worst times, the
number of SQL statements one request runs, and, as the baseline measured in the
same run, the study page of the same study (which also reads every answer).

Target: p95 at most 300 ms. A missed target is printed on a line starting
``MISSED:``; the script exits 0, or 1 with ``--strict`` and a miss.

Run: ``.venv/bin/python benchmarks/bench_dashboard.py [--strict]``.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

REQUESTS = 40
WARM_UP = 3
TARGET_P95 = 0.300


def timings(client, url: str) -> list[float]:
    """Return the wall time of :data:`REQUESTS` GETs of ``url`` (each must answer 200)."""
    for _ in range(WARM_UP):
        assert client.get(url).status_code == 200
    times = []
    for _ in range(REQUESTS):
        start = time.perf_counter()
        response = client.get(url)
        times.append(time.perf_counter() - start)
        assert response.status_code == 200, response.status_code
    return times


def main() -> int:
    """Build the study, time both pages, print the figures and the verdict."""
    import flask_migrate
    import sqlalchemy as sa

    from elicit.app import create_app
    from elicit.extensions import db, init_migrations
    from tests import factories
    from tests.conftest import login

    with tempfile.TemporaryDirectory() as folder:
        app = init_migrations(
            create_app(
                {
                    "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/bench.sqlite3",
                    "INSTANCE_PATH": folder,
                    "SECRET_KEY": "bench",
                    "RATELIMIT_ENABLED": False,
                }
            )
        )
        with app.app_context():
            flask_migrate.upgrade()
            started = time.perf_counter()
            factories.large_study(db.session())
            db.session.commit()
            built = time.perf_counter() - started
        client = app.test_client()
        login(client, "fac@example.org", factories.PASSWORD)
        statements: list[str] = []
        with app.app_context():
            sa.event.listen(db.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
        client.get("/facilitate/studies/large/dashboard")
        queries = len(statements)
        dashboard = timings(client, "/facilitate/studies/large/dashboard")
        study_page = timings(client, "/facilitate/studies/large")
    print(
        "dashboard of 500 experts x 40 questions x 3 rounds (60,000 answers, SQLite; "
        f"built in {built:.1f} s); {REQUESTS} requests after {WARM_UP} warm-up, WSGI test client"
    )
    print(f"{'page':<34}{'median':>9}{'p95':>9}{'worst':>9}")
    for name, times in (("dashboard", dashboard), ("baseline: the study page", study_page)):
        p95 = statistics.quantiles(times, n=20)[-1]
        print(
            f"{name:<34}{statistics.median(times) * 1000:>7.0f}ms"
            f"{p95 * 1000:>7.0f}ms{max(times) * 1000:>7.0f}ms"
        )
    print(f"SQL statements per dashboard request: {queries}")
    p95 = statistics.quantiles(dashboard, n=20)[-1]
    verdict = "met" if p95 <= TARGET_P95 else "MISSED"
    print(
        f"{verdict}: dashboard p95 {p95 * 1000:.0f} ms (target at most {TARGET_P95 * 1000:.0f} ms)"
    )
    return 1 if verdict == "MISSED" and "--strict" in sys.argv else 0


if __name__ == "__main__":
    sys.exit(main())
