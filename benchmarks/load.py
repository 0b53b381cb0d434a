"""Load and fault benchmark: a crowd of experts answering the demo's round over real HTTP.

For each database (SQLite, and PostgreSQL in a cluster of its own that this script starts) and each
level (50, 200 and 400 simulated experts), a fresh database gets the demo study plus that many
experts invited to its open 30-question round. The application runs under gunicorn on 127.0.0.1;
locust (``benchmarks/load_locustfile.py``) plays the experts, each opening their link, pausing
1-5 s between actions, autosaving drafts, reloading the answer page and submitting the round,
while the facilitator closes the round once half of the panel has been acknowledged. A bare Flask
endpoint under the same gunicorn settings, paced the same way, is the baseline of the same run.
Users arrive ``SPAWN_PER_SECOND`` a second, one at a time (see the locustfile). Each run prints
how busy the machine's CPUs were and the CPU time per user of gunicorn, PostgreSQL and locust.

After each run the database is read back: every expert whose submission was acknowledged (the
redirect to the receipt) must have every question recorded exactly once (one judgment, one
revision) -- ``lost`` and ``duplicated`` count the experts for whom that fails -- and no
request may have answered 5xx.

The fault run (PostgreSQL, 200 experts) kills one gunicorn worker with SIGKILL once a quarter of
the round's answers are recorded and restarts PostgreSQL once half are; experts whose submission
fails send it again, as a person would. Every acknowledged answer must still be in the database
exactly once.

Goals (issue 13): zero 5xx and zero lost or duplicated answers at every level on PostgreSQL and up
to 200 on SQLite; p99 of the submission at most 250 ms at 200 experts on PostgreSQL. A missed goal
is printed on a line starting ``MISSED:``; the script exits 0, or 1 with ``--strict`` and a miss.

Run: ``.venv/bin/python benchmarks/load.py [--levels 50,200,400] [--databases sqlite,postgresql]
[--no-fault] [--workers 4] [--threads 4] [--strict]`` (``make bench`` runs it with the defaults).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SUBMIT_P99_GOAL_MS = 250.0
SPAWN_PER_SECOND = 20
RUN_CAP_SECONDS = 240
DRAFTED_QUESTIONS = 5


def free_port() -> int:
    """Return a TCP port nobody listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(url: str, timeout: float = 30) -> None:
    """Wait until ``url`` answers at all; raise ``RuntimeError`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2).close()
            return
        except OSError as error:
            if getattr(error, "code", None):
                return
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


class Postgres:
    """A PostgreSQL cluster of this run's own, in a temporary folder, so it can be restarted."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder / "pg"
        self.port = free_port()
        self.as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        self.folder.mkdir()
        if self.as_postgres:
            shutil.chown(self.folder, "postgres")
            os.chmod(folder, 0o755)
        self._run("initdb", "-A", "trust", "-U", "postgres", "-D", str(self.folder / "data"))

    def _run(self, program: str, *args: str) -> None:
        """Run a PostgreSQL program as the ``postgres`` user (when this script runs as root)."""
        subprocess.run(
            [*self.as_postgres, shutil.which(program) or program, *args],
            check=True,
            stdout=subprocess.DEVNULL,
        )

    def ctl(self, action: str) -> None:
        """Start, stop or restart the cluster (fast shutdown: open connections are cut)."""
        options = f"-p {self.port} -k {self.folder} -c max_connections=300 -c fsync=on"
        self._run(
            "pg_ctl", action, "-w", "-m", "fast", "-D", str(self.folder / "data"),
            "-l", str(self.folder / "log"), "-o", options,
        )  # fmt: skip

    def fresh_database(self, name: str) -> str:
        """Create database ``name``; return its SQLAlchemy URL."""
        import psycopg

        with psycopg.connect(
            f"postgresql://postgres@127.0.0.1:{self.port}/postgres", autocommit=True
        ) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{name}"


class Gunicorn:
    """A gunicorn serving ``app`` on a free port with the production settings and a few of its own.

    ``deploy/gunicorn.conf.py`` as deployed (gthread workers warmed before they take requests,
    replaced after ``max_requests``, the redacting access log, here written to nowhere), with the
    port, the numbers of workers and threads, and the timeouts set here.

    Kept-alive connections live 10 s: the experts' pauses (1-5 s) outlast gunicorn's default of
    2 s, and locust's client, unlike a browser, does not send a request again when the server has
    just closed the idle connection it reused (a reset counted as "no answer", not a server fault).
    """

    def __init__(
        self, app: str, env: dict[str, str], workers: int, threads: int, log: Path
    ) -> None:
        """Start gunicorn, its errors going to ``log``, and wait until it answers."""
        self.port = free_port()
        self.log = log.open("ab")
        self.process = subprocess.Popen(
            [
                str(BIN / "gunicorn"), "--config", str(ROOT / "deploy" / "gunicorn.conf.py"),
                app, "--bind", f"127.0.0.1:{self.port}",
                "--workers", str(workers), "--threads", str(threads), "--timeout", "30",
                "--graceful-timeout", "5", "--keep-alive", "10",
                "--access-logfile", os.devnull, "--log-level", "warning", "--chdir", str(ROOT),
            ],
            env=env,
            start_new_session=True,
            stderr=self.log,
        )  # fmt: skip
        self.url = f"http://127.0.0.1:{self.port}"
        wait_for(self.url + "/")

    def workers(self) -> list[int]:
        """Return the process ids of the master's workers."""
        found = subprocess.run(
            ["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True
        ).stdout.split()
        return [int(pid) for pid in found]

    def stop(self) -> None:
        """Stop the master and its workers."""
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self.log.close()


def warm_up(server: Gunicorn, token: str, args) -> None:
    """Load the answer page a few times per worker first, so no expert waits for a cold start.

    An expert outside the crowd (consented, so the link leads to the answer page) opens their link
    concurrently, twice per worker thread, so every worker has imported what the answer page uses
    and computed the panel's feedback before the crowd arrives.
    """
    from concurrent.futures import ThreadPoolExecutor

    def visit(_: int) -> None:
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
        opener.open(f"{server.url}/invite/{token}", timeout=60).read()

    with ThreadPoolExecutor(args.workers * args.threads) as pool:
        list(pool.map(visit, range(2 * args.workers * args.threads)))


def app_env(folder: Path, database_url: str, args) -> dict[str, str]:
    """Return the environment that configures the application for one run.

    The pool follows the server's size as in production (``ELICIT_WORKERS``, ``ELICIT_THREADS``).
    """
    return {
        **os.environ,
        "ELICIT_WORKERS": str(args.workers),
        "ELICIT_THREADS": str(args.threads),
        "ELICIT_DATABASE_URL": database_url,
        "ELICIT_SECRET_KEY": "load-benchmark",
        "ELICIT_INSTANCE_PATH": str(folder),
        "ELICIT_BASE_URL": "http://127.0.0.1",
        "PYTHONPATH": str(ROOT),
    }


def prepare(experts: int, plan_path: Path) -> None:
    """Migrate the configured database, build the demo and invite ``experts`` more experts.

    Writes the plan the locustfile reads: tokens, the answer form for every question of the open
    round (each answer taken from a round-1 answer of the simulated panel), drafts, the round
    number, the study and the facilitator's login.
    """
    import flask_migrate
    import sqlalchemy as sa

    from elicit.app import create_app
    from elicit.demo import services as demo
    from elicit.extensions import db, init_migrations
    from elicit.judgments import parsing
    from elicit.judgments.models import Judgment
    from elicit.panels.services import add_expert, issue_invitation, record_consent
    from elicit.rounds.services import open_round_of, round_questions

    app = init_migrations(create_app())
    with app.app_context():
        flask_migrate.upgrade()
        session = db.session()
        result = demo.build(session, ROOT / "question_sets")
        study = result.study
        tokens = []
        for number in range(experts):
            expert = add_expert(
                session,
                study,
                pseudonym=f"load-{number:04d}",
                name=f"Load Expert {number}",
                email=f"load-{number}@load.elicit.example",
            )
            record_consent(session, expert)
            tokens.append(issue_invitation(session, expert))
        warm = add_expert(
            session, study, pseudonym="load-warm-up", name="Warm-up", email="warm@load.example"
        )
        record_consent(session, warm)
        warm_up_token = issue_invitation(session, warm)
        round_ = open_round_of(session, study)
        form: dict[str, str] = {}
        drafts: dict[str, dict] = {}
        for question in round_questions(session, round_):
            answer = session.scalars(
                sa.select(Judgment).where(Judgment.question_id == question.id).limit(1)
            ).one()
            raw = parsing.raw_from_values(question, answer)
            prefix = f"q{question.id}"
            form[f"{prefix}-present"] = "1"
            for name in (*parsing.PROBABILITY_FIELDS, "confidence", "rationale"):
                form[f"{prefix}-{name}"] = raw[name]
            for index, value in enumerate(raw["quantile_values"]):
                form[f"{prefix}-q{index}"] = value
            if len(drafts) < DRAFTED_QUESTIONS:
                drafts[str(question.id)] = raw
        plan = {
            "tokens": tokens,
            "form": form,
            "drafts": drafts,
            "round": round_.number,
            "round_id": round_.id,
            "questions": len(round_questions(session, round_)),
            "study": study.slug,
            "facilitator": {"email": result.facilitator.email, "password": result.password},
            "warm_up_token": warm_up_token,
        }
        db.session.commit()
    plan_path.write_text(json.dumps(plan), encoding="utf-8")


def check_database(database_url: str, plan: dict, acknowledged: list[str]) -> dict[str, int]:
    """Count the acknowledged experts whose answers are missing, or recorded more than once."""
    import sqlalchemy as sa

    from elicit.panels.services import hash_token

    engine = sa.create_engine(database_url)
    hashes = [hash_token(token) for token in acknowledged]
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text(
                "SELECT i.token_hash, count(DISTINCT j.question_id), count(j.id), count(r.id) "
                "FROM invitations i "
                "LEFT JOIN judgments j ON j.expert_id = i.expert_id AND j.round_id = :round "
                "LEFT JOIN judgment_revisions r ON r.judgment_id = j.id "
                "WHERE i.token_hash IN :hashes GROUP BY i.token_hash"
            ).bindparams(sa.bindparam("hashes", expanding=True)),
            {"round": plan["round_id"], "hashes": hashes or [""]},
        ).all()
        recorded = connection.scalar(
            sa.text("SELECT count(*) FROM judgments WHERE round_id = :round"),
            {"round": plan["round_id"]},
        )
    engine.dispose()
    found = {row[0]: row[1:] for row in rows}
    lost = sum(1 for h in hashes if h not in found or found[h][0] < plan["questions"])
    duplicated = sum(1 for h in hashes if h in found and found[h][2] > found[h][0])
    return {"lost": lost, "duplicated": duplicated, "judgments": recorded}


def machine_cpu() -> tuple[float, float]:
    """Return the seconds all CPUs have been busy and in all since boot (``/proc/stat``)."""
    try:
        fields = [float(f) for f in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except OSError:
        return 0.0, 0.0
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0.0)
    tick = os.sysconf("SC_CLK_TCK")
    return (sum(fields) - idle) / tick, sum(fields) / tick


def process_cpu() -> dict[str, float]:
    """Return the CPU seconds used so far by gunicorn's and PostgreSQL's processes (``/proc``).

    Each process counts with the children it has reaped, so a worker that was
    replaced (``max_requests``, the fault run's kill) still counts in its master.
    """
    tick = os.sysconf("SC_CLK_TCK")
    used = {"gunicorn": 0.0, "postgres": 0.0}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            raw = stat.read_text()
        except OSError:
            continue
        name = raw[raw.index("(") + 1 : raw.rindex(")")]
        group = next((group for group in used if name.startswith(group)), None)
        if group is not None:
            times = raw[raw.rindex(")") + 2 :].split()[11:15]
            used[group] += sum(int(t) for t in times) / tick
    return used


def swarm(url: str, plan_path: Path, out: Path, users: int, user_class: str, close: float) -> dict:
    """Run locust headless against ``url``; return what the locustfile wrote.

    Beside it, under ``cpu``: how busy the machine's CPUs were during the run
    (in all, and per simulated user), the share of one CPU locust itself used
    (it runs on the same machine), and the CPU time per user of gunicorn's and
    PostgreSQL's processes.
    """
    env = {
        **os.environ,
        "LOAD_PLAN": str(plan_path),
        "LOAD_OUT": str(out),
        "LOAD_CLOSE_AFTER": str(close),
        "LOAD_SPAWN_RATE": str(SPAWN_PER_SECOND),
    }
    processes = process_cpu()
    before = resource.getrusage(resource.RUSAGE_CHILDREN), machine_cpu(), time.monotonic()
    subprocess.run(
        [
            str(BIN / "locust"), "-f", str(ROOT / "benchmarks" / "load_locustfile.py"),
            "--headless", "--host", url, "-u", str(users), "-r", str(SPAWN_PER_SECOND),
            "-t", f"{RUN_CAP_SECONDS}s", "--only-summary", "--loglevel", "ERROR",
            "--skip-log-setup", user_class,
        ],
        env=env,
        check=False,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    after = resource.getrusage(resource.RUSAGE_CHILDREN), machine_cpu(), time.monotonic()
    # A restarted PostgreSQL's old processes take their CPU time with them (NaN: not measured).
    processes = {
        group: used - processes[group] if used >= processes[group] else math.nan
        for group, used in process_cpu().items()
    }
    seen = json.loads(out.read_text(encoding="utf-8"))
    wall = after[2] - before[2]
    busy, total = (a - b for a, b in zip(after[1], before[1], strict=True))
    locust = after[0].ru_utime + after[0].ru_stime - before[0].ru_utime - before[0].ru_stime
    seen["cpu"] = {
        "machine_busy": busy / total if total else 0.0,
        "busy_seconds": busy,
        "per_user_ms": busy / users * 1000,
        "locust": locust / wall,
        "locust_per_user_ms": locust / users * 1000,
        **{f"{group}_per_user_ms": used / users * 1000 for group, used in processes.items()},
    }
    return seen


def percentile(values: list[float], q: float) -> float:
    """Return the ``q``-th percentile of ``values`` (nearest rank), or NaN for none."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, int(round(q / 100 * len(ordered) + 0.5)) - 1))
    return ordered[rank]


def summarise(seen: dict) -> dict[str, dict[str, float]]:
    """Per request name: count, 5xx, no answer at all, p50 and p99 in milliseconds."""
    by_name: dict[str, list[tuple[int, float]]] = {}
    errors: dict[str, int] = {}
    for name, status, elapsed, error in seen["samples"]:
        by_name.setdefault(name, []).append((status, elapsed))
        if error:
            errors[error] = errors.get(error, 0) + 1
    seen["errors"] = errors
    summary = {}
    for name, items in by_name.items():
        times = [elapsed for _status, elapsed in items]
        summary[name] = {
            "n": len(items),
            "5xx": sum(1 for status, _ in items if status >= 500),
            "no answer": sum(1 for status, _ in items if status == 0),
            "p50": percentile(times, 50),
            "p99": percentile(times, 99),
        }
    return summary


def print_run(label: str, summary: dict, checked: dict | None, seen: dict) -> None:
    """Print one run's table."""
    print(f"--- {label}")
    print(f"  {'request':<20}{'n':>7}{'5xx':>6}{'none':>6}{'p50 ms':>9}{'p99 ms':>9}")
    for name in ("open link", "autosave", "answer page", "submit", "close round", "bare"):
        if name in summary:
            row = summary[name]
            print(
                f"  {name:<20}{row['n']:>7}{row['5xx']:>6}{row['no answer']:>6}"
                f"{row['p50']:>9.0f}{row['p99']:>9.0f}"
            )
    cpu = seen.get("cpu")
    if cpu:
        print(
            f"  CPUs busy {cpu['machine_busy']:.0%} of the run ({cpu['busy_seconds']:.0f} CPU-s, "
            f"{cpu['per_user_ms']:.0f} ms per user, locust included); locust itself used "
            f"{cpu['locust']:.0%} of one CPU"
        )
        postgres = cpu["postgres_per_user_ms"]
        print(
            f"  CPU per user: gunicorn {cpu['gunicorn_per_user_ms']:.0f} ms, PostgreSQL "
            + ("not measured (restarted)" if math.isnan(postgres) else f"{postgres:.0f} ms")
            + f", locust {cpu['locust_per_user_ms']:.0f} ms"
        )
    if seen.get("errors"):
        named = ", ".join(f"{count} {error}" for error, count in sorted(seen["errors"].items()))
        print(f"  requests without an answer: {named}")
    tracebacks, last = seen.get("server_errors", (0, []))
    if tracebacks:
        print(f"  the server logged {tracebacks} tracebacks; the last error: {' '.join(last)}")
    if checked is not None:
        closed = seen.get("closed_after_s")
        when = f"closed after {closed:.0f} s" if closed is not None else "never closed"
        print(
            f"  acknowledged {len(seen['acknowledged'])}, lost {checked['lost']}, duplicated "
            f"{checked['duplicated']}, judgments in the round {checked['judgments']} ({when})"
        )


def inject_faults(
    server: Gunicorn,
    pg: Postgres,
    url: str,
    plan: dict,
    users: int,
    faults: list[str],
    done: threading.Event,
) -> None:
    """Kill a worker once a quarter of the round's answers are in; restart PostgreSQL at half.

    Tied to the answers recorded, not to the clock, so both faults land while
    submissions are arriving however fast the server is; each is added to
    ``faults`` with when it happened, and a fault not reached before the run
    ends (``done``) is not.
    """
    import sqlalchemy as sa

    engine = sa.create_engine(url, pool_pre_ping=True)
    expected = users * plan["questions"]
    started = time.monotonic()

    def recorded() -> int:
        """Count the round's judgments now (0 while the server is down)."""
        try:
            with engine.connect() as connection:
                return connection.scalar(
                    sa.text("SELECT count(*) FROM judgments WHERE round_id = :round"),
                    {"round": plan["round_id"]},
                )
        except sa.exc.DBAPIError:
            return 0

    def kill_worker() -> str:
        victims = server.workers()
        if not victims:
            return "no worker to kill"
        os.kill(victims[0], signal.SIGKILL)
        return f"killed worker {victims[0]}"

    def restart_postgresql() -> str:
        engine.dispose()
        pg.ctl("restart")
        return "restarted PostgreSQL"

    try:
        for share, fault in ((0.25, kill_worker), (0.5, restart_postgresql)):
            while recorded() < share * expected:
                if done.wait(0.25):
                    return
            faults.append(f"{fault()} at {time.monotonic() - started:.0f} s ({share:.0%} recorded)")
    finally:
        engine.dispose()


def run_level(
    database: str, users: int, folder: Path, pg: Postgres | None, args, fault: bool = False
) -> tuple[dict, dict, dict]:
    """Prepare a fresh database, serve it, swarm it; return the summary, the check and the run."""
    name = f"{database}_{users}{'_fault' if fault else ''}"
    if database == "sqlite":
        url = f"sqlite:///{folder / name}.sqlite3"
    else:
        assert pg is not None
        url = pg.fresh_database(name)
    env = app_env(folder, url, args)
    plan_path = folder / f"{name}.plan.json"
    prepared = subprocess.run(
        [sys.executable, __file__, "prepare", str(users), str(plan_path)],
        env=env,
        capture_output=True,
        text=True,
    )
    if prepared.returncode:
        raise RuntimeError(f"preparing {name} failed:\n{prepared.stderr}")
    server = Gunicorn("wsgi:app", env, args.workers, args.threads, folder / f"{name}.log")
    warm_up(server, json.loads(plan_path.read_text(encoding="utf-8"))["warm_up_token"], args)
    faults: list[str] = []
    done = threading.Event()
    injector = None
    if fault:
        assert pg is not None
        plan = json.loads(plan_path.read_text(encoding="utf-8"))
        injector = threading.Thread(
            target=inject_faults, args=(server, pg, url, plan, users, faults, done), daemon=True
        )
        injector.start()
    try:
        seen = swarm(
            server.url, plan_path, folder / f"{name}.out.json", users, "Expert", 1 if fault else 0.5
        )
    finally:
        done.set()
        if injector is not None:
            injector.join(timeout=120)
        server.stop()
    log = (folder / f"{name}.log").read_text(encoding="utf-8", errors="replace").splitlines()
    errors = ("sqlalchemy.exc.", "sqlite3.", "psycopg.")
    failures = [line for line in log if line.startswith(errors)]
    seen["server_errors"] = (log.count("Traceback (most recent call last):"), failures[-1:])
    plan = json.loads(plan_path.read_text(encoding="utf-8"))
    checked = check_database(url, plan, seen["acknowledged"])
    seen["faults"] = faults
    return summarise(seen), checked, seen


def main() -> int:
    """Run every level on every database, the baseline and the fault run; print the verdicts."""
    if len(sys.argv) > 1 and sys.argv[1] == "prepare":
        prepare(int(sys.argv[2]), Path(sys.argv[3]))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--levels", default="50,200,400")
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--no-fault", action="store_true")
    parser.add_argument("--strict", action="store_true")
    args = parser.parse_args()
    levels = [int(level) for level in args.levels.split(",")]
    databases = args.databases.split(",")
    misses: list[str] = []
    print(
        f"gunicorn {args.workers} workers x {args.threads} threads on 127.0.0.1, "
        f"{os.cpu_count()} CPUs; experts pause 1-5 s between actions; the demo's 30-question round"
    )
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        pg = None
        if "postgresql" in databases:
            pg = Postgres(folder)
            pg.ctl("start")
        try:
            bare_env = {**os.environ, "PYTHONPATH": str(ROOT)}
            bare = Gunicorn(
                "benchmarks.bare_app:app", bare_env, args.workers, args.threads, folder / "bare.log"
            )
            for users in levels:
                plan = folder / f"bare_{users}.plan.json"
                plan.write_text(json.dumps({"tokens": list(range(users))}), encoding="utf-8")
                seen = swarm(bare.url, plan, folder / f"bare_{users}.out.json", users, "Bare", 1)
                label = f"baseline: bare Flask endpoint, {users} users"
                print_run(label, summarise(seen), None, seen)
                for database in databases:
                    summary, checked, seen = run_level(database, users, folder, pg, args)
                    print_run(f"{database}, {users} experts", summary, checked, seen)
                    errors = sum(row["5xx"] for row in summary.values())
                    goal_applies = database == "postgresql" or users <= 200
                    if goal_applies and (errors or checked["lost"] or checked["duplicated"]):
                        misses.append(
                            f"{database} at {users}: {errors} 5xx, {checked['lost']} lost, "
                            f"{checked['duplicated']} duplicated"
                        )
                    if database == "postgresql" and users == 200:
                        p99 = summary.get("submit", {}).get("p99", float("nan"))
                        if not p99 <= SUBMIT_P99_GOAL_MS:
                            misses.append(f"submit p99 {p99:.0f} ms at 200 experts on PostgreSQL")
            bare.stop()
            if pg is not None and not args.no_fault:
                summary, checked, seen = run_level("postgresql", 200, folder, pg, args, fault=True)
                print_run(
                    f"fault run, postgresql, 200 experts: {'; '.join(seen['faults'])}",
                    summary,
                    checked,
                    seen,
                )
                if checked["lost"] or checked["duplicated"]:
                    lost, duplicated = checked["lost"], checked["duplicated"]
                    misses.append(f"fault run: {lost} lost, {duplicated} duplicated")
                if len(seen["faults"]) < 2:
                    misses.append("fault run: the run ended before both faults were injected")
        finally:
            if pg is not None:
                pg.ctl("stop")
    for miss in misses:
        print(f"MISSED: {miss}")
    if not misses:
        print("met: zero 5xx, lost or duplicated answers where the goals apply; submit p99 goal")
    return 1 if misses and args.strict else 0


if __name__ == "__main__":
    sys.exit(main())
