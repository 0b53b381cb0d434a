"""Throughput of the expert's answer page and its form posts under gunicorn, against bare Flask.

Builds the demo (``elicit db upgrade`` and ``elicit demo``: 12 experts, 30
questions, round 1 closed, round 2 open) in a fresh database, gives every
expert an invitation link and their consent, and serves it with gunicorn on
127.0.0.1 beside ``benchmarks/bare_app.py``, a Flask app whose one endpoint
answers ``ok``, under the same gunicorn settings (:func:`gunicorn_command`). A
client of :data:`CONNECTIONS` threads (spread over :data:`CLIENT_PROCESSES`
processes, ``http.client``, one connection per request as gunicorn's sync
workers close it) asks each endpoint for :data:`SECONDS` seconds in all, in
:data:`WINDOWS` windows (each after :data:`WARM_UP` seconds), each right after
a window of the bare endpoint, and the script prints the medians of the
windows' requests per second and of their ratios to the bare endpoint, for:

- the bare endpoint (the baseline measured in the same run);
- the answer page (``GET /expert/round``);
- a draft save (``POST /expert/rounds/2/answers``, ``action=draft``, all 30
  answers with a changed rationale, so every question's draft is written);
- a submit (the same post with ``action=submit``: 30 answers recorded, each a
  new version as the rationale alternates);

each thread as one of the 12 experts.
Every request must answer as a browser's would (200, or the 302 after a
post: to the answer page after a draft, to the receipt after an accepted
submit); any other answer is counted and printed. The answers sent are valid
(quantities inside their bounds), so every submit is accepted.

Targets, as ratios to the bare endpoint: answer page at least 3%, draft save
and submit at least 5%. On SQLite, and on PostgreSQL too when
``ELICIT_BENCH_PG`` is set to a server URL (or ``--postgres URL``), or when
the test server ``postgresql+psycopg://postgres@127.0.0.1:5432/test`` answers:
the demo is built in a new database there, dropped afterwards. A missed target
is printed on a line starting ``MISSED:``; the script exits 0, or 1 with
``--strict`` and a miss.

Run: ``.venv/bin/python benchmarks/bench_answer_page.py [--strict] [--postgres URL]
[--sqlite-only] [--seconds N]``.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from statistics import median
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CONNECTIONS = 50
CLIENT_PROCESSES = 2
SECONDS = 12.0
WINDOWS = 3
WARM_UP = 2.0
WORKERS = 2 * (os.cpu_count() or 1) + 1
TEST_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
TARGETS = {"answer page": 0.03, "draft save": 0.05, "submit": 0.05}
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def gunicorn_command(app: str, port: int) -> list[str]:
    """Return the one gunicorn command line both apps are served with (only the app differs).

    Its settings file (``benchmarks/gunicorn_warm.py``) warms each worker as deployed.
    """
    return [
        str(Path(sys.executable).with_name("gunicorn")),
        "--config",
        str(ROOT / "benchmarks" / "gunicorn_warm.py"),
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(WORKERS),
        "--worker-class",
        "sync",
        "--backlog",
        "2048",
        "--log-level",
        "warning",
        "--pythonpath",
        f"{ROOT},{ROOT / 'benchmarks'}",
        app,
    ]


def free_port() -> int:
    """Return a TCP port nobody listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def served(app: str, env: dict[str, str]) -> Iterator[int]:
    """Run gunicorn serving ``app``; yield its port once it answers; stop it after."""
    port = free_port()
    process = subprocess.Popen(gunicorn_command(app, port), env=env, cwd=ROOT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"gunicorn serving {app} did not start") from None
                time.sleep(0.2)
        yield port
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def database(folder: str, server: str | None) -> Iterator[str]:
    """Yield the SQLAlchemy URL of a new database (a file, or one on ``server``); drop it after."""
    if server is None:
        yield f"sqlite:///{folder}/elicit.sqlite3"
        return
    import sqlalchemy as sa

    url = sa.make_url(server)
    name = f"elicit_bench_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def reachable(server: str) -> bool:
    """Whether the PostgreSQL server at ``server`` answers."""
    import sqlalchemy as sa

    engine = sa.create_engine(server, connect_args={"connect_timeout": 3})
    try:
        with engine.connect():
            return True
    except sa.exc.OperationalError:
        return False
    finally:
        engine.dispose()


Asked = tuple[int, str, int, float | None, float | None]
"""A question as the client needs it: (id, kind, number of quantile levels, bounds)."""


def build_demo(env: dict[str, str]) -> tuple[list[str], list[Asked]]:
    """Build the demo; give each expert a link and consent; return the links and the questions.

    Questions are given as :data:`Asked`, in the page's order.
    """
    elicit = str(Path(sys.executable).with_name("elicit"))
    for command in (["db", "upgrade"], ["demo"]):
        subprocess.run([elicit, *command], env=env, cwd=ROOT, check=True, capture_output=True)
    script = """
import json
from elicit.app import create_app
from elicit.demo.services import SLUG
from elicit.panels.services import issue_invitation, record_consent
from elicit.rounds.services import open_round_of, round_questions
from elicit.studies.services import find_study
from elicit.unit_of_work import transaction
app = create_app()
with app.app_context(), transaction() as session:
    study = find_study(session, SLUG)
    tokens = []
    for expert in study.experts:
        if expert.consented_at is None:
            record_consent(session, expert)
        tokens.append(issue_invitation(session, expert))
    asked = round_questions(session, open_round_of(session, study))
    questions = [
        (q.id, q.kind.value, len(q.quantiles or []), q.lower_bound, q.upper_bound) for q in asked
    ]
print(json.dumps({"tokens": tokens, "questions": questions}))
"""
    made = subprocess.run(
        [sys.executable, "-c", script], env=env, cwd=ROOT, check=True, capture_output=True
    )
    result = json.loads(made.stdout.decode().strip().splitlines()[-1])
    return result["tokens"], [tuple(q) for q in result["questions"]]


def quantiles(levels: int, lower: float | None, upper: float | None) -> list[float]:
    """Return ``levels`` increasing values strictly inside the bounds a quantity allows."""
    if lower is not None and upper is not None:
        return [lower + (upper - lower) * (i + 1) / (levels + 1) for i in range(levels)]
    if lower is not None:
        return [lower + (abs(lower) or 1.0) * (i + 1) / 10 for i in range(levels)]
    if upper is not None:
        return [upper - (abs(upper) or 1.0) * (levels - i) / 10 for i in range(levels)]
    return [10.0 * (i + 1) for i in range(levels)]


def answers(questions: list[Asked], words: str) -> dict[str, str]:
    """Return the form fields of a valid answer to every question, with ``words`` as reasons."""
    form = {}
    for question_id, kind, levels, lower, upper in questions:
        prefix = f"q{question_id}"
        form[f"{prefix}-present"] = "1"
        if kind == "binary":
            form[f"{prefix}-probability"] = "40"
        elif kind == "binary_interval":
            form |= {f"{prefix}-lower": "20", f"{prefix}-probability": "40"}
            form[f"{prefix}-upper"] = "60"
        else:
            values = quantiles(levels, lower, upper)
            form |= {f"{prefix}-q{i}": repr(value) for i, value in enumerate(values)}
        form[f"{prefix}-confidence"] = "3"
        form[f"{prefix}-rationale"] = words
    return form


def request(port: int, method: str, path: str, cookie: str = "", body: str = ""):
    """Send one request on a new connection; return (status, headers, body)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    headers = {"Cookie": cookie} if cookie else {}
    if body:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    try:
        connection.request(method, path, body=body or None, headers=headers)
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


def sign_in(port: int, tokens: list[str]) -> list[tuple[str, str]]:
    """Open every expert's link; return each expert's (session cookie, CSRF token)."""
    sessions = []
    for token in tokens:
        status, headers, _ = request(port, "GET", f"/invite/{token}")
        assert status == 302, f"invitation answered {status}"
        cookie = headers["Set-Cookie"].split(";", 1)[0]
        status, headers, page = request(port, "GET", "/expert/round", cookie)
        assert status == 200, f"the answer page answered {status}"
        if headers["Set-Cookie"]:  # the session now holds the CSRF token's secret
            cookie = headers["Set-Cookie"].split(";", 1)[0]
        match = CSRF.search(page.decode())
        assert match, "no CSRF token on the answer page"
        sessions.append((cookie, match.group(1)))
    return sessions


def encoded(forms: list[dict[str, str]], sessions: list[tuple[str, str]]) -> list[list[str]]:
    """Return each session's request bodies: every form with the session's CSRF token, encoded."""
    if not forms:
        return []
    return [[urlencode({**form, "csrf_token": csrf}) for form in forms] for _, csrf in sessions]


def drive(port, method, path, sessions, bodies, expected, seconds, threads, counts):  # noqa: ANN001
    """One client process: ``threads`` threads sending requests until ``seconds`` pass.

    Thread ``i`` is expert ``i`` modulo the experts, sending that expert's
    ``bodies`` in turn (encoded before the clock starts: encoding a 30-answer
    form took the client 0.17 ms, CPU the server shares, which the bare
    endpoint's requests do not cost).
    """
    stop = time.monotonic() + seconds
    done, wrong, seen = [0], [0], set()
    lock = threading.Lock()

    def worker(index: int) -> None:
        cookie = sessions[index % len(sessions)][0] if sessions else ""
        mine = bodies[index % len(bodies)] if bodies else [""]
        sent = 0
        while time.monotonic() < stop:
            status, headers, _ = request(port, method, path, cookie, mine[sent % len(mine)])
            answered = (status, headers.get("Location", "").split("?", 1)[0])
            sent += 1
            with lock:
                done[0] += 1
                if answered != expected:
                    wrong[0] += 1
                    seen.add(" ".join(map(str, answered)).strip())
        return None

    pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    counts.put((done[0], wrong[0], sorted(seen)))


def throughput(port, method, path, sessions=(), bodies=(), expected=(200, ""), seconds=SECONDS):  # noqa: ANN001
    """Return (requests per second, wrong answers) with :data:`CONNECTIONS` concurrent clients.

    ``bodies`` holds each session's request bodies (:func:`encoded`), ``expected``
    the (status, redirect path without its query) every answer must have.
    """
    per_process = CONNECTIONS // CLIENT_PROCESSES
    context = multiprocessing.get_context("fork")
    results = []
    for duration, keep in ((WARM_UP, False), (seconds, True)):
        counts = context.Queue()
        processes = [
            context.Process(
                target=drive,
                args=(port, method, path, list(sessions), list(bodies), expected, duration),
                kwargs={"threads": per_process, "counts": counts},
            )
            for _ in range(CLIENT_PROCESSES)
        ]
        started = time.monotonic()
        for process in processes:
            process.start()
        totals = [counts.get() for _ in processes]
        for process in processes:
            process.join()
        elapsed = time.monotonic() - started
        if keep:
            statuses = sorted({s for t in totals for s in t[2]})
            results = [sum(t[0] for t in totals) / elapsed, sum(t[1] for t in totals), statuses]
    return results[0], results[1], results[2]


def run(url: str, folder: str, seconds: float) -> dict[str, tuple[float, float, int, list[str]]]:
    """Build the demo on ``url``, serve both apps, measure every endpoint; return the figures.

    Each endpoint is measured in :data:`WINDOWS` windows, each right after a
    window of the bare endpoint of the same length, and its ratio is the median
    of the windows' ratios: on a shared machine the CPU left to the benchmark
    moves from minute to minute, and a ratio of two figures measured minutes
    apart moved with it by a third or more. Figures are (requests per second
    (median), ratio (median), wrong answers, the wrong answers seen).
    """
    env = {
        **os.environ,
        "ELICIT_DATABASE_URL": url,
        "ELICIT_INSTANCE_PATH": folder,
        "ELICIT_SECRET_KEY": "bench",
        "ELICIT_BASE_URL": "http://127.0.0.1:5000",
    }
    env.pop("ELICIT_REDIS_URL", None)
    tokens, questions = build_demo(env)
    window = seconds / WINDOWS
    bares: list[float] = []
    figures = {}
    with served("bare_app:app", env) as bare_port, served("wsgi:app", env) as port:
        sessions = sign_in(port, tokens)
        drafts = [
            {**answers(questions, f"draft reasons {i}"), "action": "draft"} for i in range(50)
        ]
        submits = [
            {**answers(questions, f"submitted reasons {i}"), "action": "submit"} for i in range(2)
        ]
        endpoints = {
            "answer page": ("GET", "/expert/round", (), (200, "")),
            "draft save": ("POST", "/expert/rounds/2/answers", drafts, (302, "/expert/round")),
            "submit": (
                "POST",
                "/expert/rounds/2/answers",
                submits,
                (302, "/expert/rounds/2/receipt"),
            ),
        }
        for name, (method, path, forms, expected) in endpoints.items():
            bodies = encoded(forms, sessions)
            rates, ratios, wrong, statuses = [], [], 0, set()
            for _ in range(WINDOWS):
                bare = throughput(bare_port, "GET", "/", seconds=window)[0]
                rate, missed, seen = throughput(
                    port, method, path, sessions, bodies, expected, seconds=window
                )
                bares.append(bare)
                rates.append(rate)
                ratios.append(rate / bare if bare else 0.0)
                wrong += missed
                statuses.update(seen)
            figures[name] = (median(rates), median(ratios), wrong, sorted(statuses))
    return {"bare Flask endpoint": (median(bares), 1.0, 0, []), **figures}


def report(backend: str, figures: dict[str, tuple[float, float, int, list[str]]]) -> list[str]:
    """Print one database's figures; return the missed targets."""
    print(
        f"{backend}: {CONNECTIONS} connections, gunicorn {WORKERS} sync workers, "
        f"medians of {WINDOWS} windows"
    )
    print(f"{'endpoint':<24}{'req/s':>10}{'ratio':>9}{'target':>9}{'wrong':>7}")
    missed = []
    for name, (rate, ratio, wrong, statuses) in figures.items():
        target = TARGETS.get(name)
        shown_target = f">={target:.0%}" if target else ""
        print(f"{name:<24}{rate:>10.1f}{ratio:>9.2%}{shown_target:>9}{wrong:>7}")
        if target is not None and ratio < target:
            missed.append(f"{backend} {name} {ratio:.2%} (target at least {target:.0%})")
        if wrong:
            missed.append(f"{backend} {name}: {wrong} answers other than expected ({statuses})")
    return missed


def main() -> int:
    """Measure on SQLite and, when there is one, PostgreSQL; print the figures and the verdict."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--strict", action="store_true", help="exit 1 if a target is missed")
    parser.add_argument("--postgres", metavar="URL", help="PostgreSQL server to measure too")
    parser.add_argument("--sqlite-only", action="store_true", help="skip PostgreSQL")
    parser.add_argument(
        "--seconds", type=float, default=SECONDS, help="seconds per endpoint, all windows"
    )
    options = parser.parse_args()
    server = options.postgres or os.environ.get("ELICIT_BENCH_PG")
    if server is None and not options.sqlite_only and reachable(TEST_SERVER):
        server = TEST_SERVER
    backends: list[tuple[str, str | None]] = [("SQLite", None)]
    if server and not options.sqlite_only:
        backends.append(("PostgreSQL", server))
    missed = []
    for backend, url_server in backends:
        folder = tempfile.mkdtemp(prefix="elicit-bench-")
        try:
            with database(folder, url_server) as url:
                missed += report(backend, run(url, folder, options.seconds))
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    for line in missed:
        print(f"MISSED: {line}")
    if not missed:
        print("met: every target")
    return 1 if missed and options.strict else 0


if __name__ == "__main__":
    sys.exit(main())
