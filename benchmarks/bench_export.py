"""Export speed and memory: 1,000,000 judgment rows against the database's own CSV output.

Builds two studies with ``tests.factories.large_study`` in a fresh database
migrated to the head: ``large`` (2,500 experts x 40 questions x 5 rounds:
500,000 judgments, 1,000,000 rows of the long CSV, as half the questions are
quantities with three quantiles) and ``small`` (a tenth of it). Then, for
``large``, times :func:`elicit.analysis.exports.table` writing the judgments CSV
to a file, against the baseline measured in the same run: the database's own
CSV output of the very same query (:func:`elicit.analysis.exports.judgments_sql`,
neutralisation done in SQL) to a file, by the ``sqlite3`` shell (``.mode csv``)
on SQLite and by ``psql`` running ``COPY (...) TO STDOUT WITH CSV`` on
PostgreSQL. The best of :data:`REPEATS` runs of each is compared. The JSON and
the ZIP of the same study are timed too (no target).

Memory: the peak of Python's allocations (tracemalloc) and, on Linux, the
growth of the process's resident set (peak RSS reset through
``/proc/self/clear_refs``) while each study's CSV is exported. Flat memory
means the large study, ten times the rows, peaks at most :data:`FLAT_FACTOR`
times the small one.

Targets: CSV export at most 2x the baseline; flat memory. A missed target is
printed on a line starting ``MISSED:``; the script exits 0, or 1 with
``--strict`` and a miss.

Run: ``.venv/bin/python benchmarks/bench_export.py [--strict] [--postgres URL]``
(URL such as ``postgresql+psycopg://postgres@127.0.0.1:5432/test``: the study is
built in a new database on that server, dropped afterwards).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

EXPERTS, QUESTIONS, ROUNDS = 2_500, 40, 5
REPEATS = 3
TARGET_RATIO = 2.0
FLAT_FACTOR = 2.0


@contextmanager
def database(folder: str, server: str | None) -> Iterator[str]:
    """Yield the SQLAlchemy URL of a new database (a file, or one on ``server``); drop it after."""
    if server is None:
        yield f"sqlite:///{folder}/bench.sqlite3"
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


def best(run: Callable[[], object]) -> float:
    """Return the shortest wall time of :data:`REPEATS` calls of ``run``."""
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def write(chunks: Iterator[bytes], path: Path) -> int:
    """Write the chunks to ``path``; return the bytes written."""
    size = 0
    with path.open("wb") as out:
        for chunk in chunks:
            out.write(chunk)
            size += len(chunk)
    return size


def baseline(url: str, sql: str, path: Path) -> Callable[[], None]:
    """Return a run of the database's own CSV of ``sql`` to ``path``, by its command-line client."""
    import sqlalchemy as sa

    from elicit.analysis.exports import COPY_OPTIONS

    parsed = sa.make_url(url)
    if parsed.get_backend_name() == "sqlite":
        script = f".headers on\n.mode csv\n.output {path}\n{sql};\n"
        command = ["sqlite3", str(parsed.database)]
    else:
        script = f"COPY ({sql}) TO STDOUT WITH ({COPY_OPTIONS})"
        plain = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
        command = ["psql", "--no-psqlrc", "--quiet", "-v", "ON_ERROR_STOP=1", plain]

    def run() -> None:
        if parsed.get_backend_name() == "sqlite":
            subprocess.run(command, input=script, text=True, check=True)
        else:
            with path.open("wb") as out:
                subprocess.run(command + ["-c", script], stdout=out, check=True)

    return run


def _rss_kib(field: str) -> int | None:
    """Return a field of ``/proc/self/status`` in KiB (None where there is none)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def memory(export: Callable[[], object]) -> tuple[float, float | None]:
    """Return the MiB of the Python peak (tracemalloc) and of the RSS growth during ``export``."""
    reset = Path("/proc/self/clear_refs")
    rss = None
    try:
        reset.write_text("5")
        rss = _rss_kib("VmRSS")
    except OSError:
        pass
    tracemalloc.start()
    export()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    high = _rss_kib("VmHWM")
    grown = (high - rss) / 1024 if rss is not None and high is not None else None
    return peak / 2**20, grown


def main() -> int:
    """Build the studies, time and measure the exports, print the figures and the verdicts."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--strict", action="store_true", help="exit 1 if a target is missed")
    parser.add_argument("--postgres", metavar="URL", help="run on a new database on this server")
    options = parser.parse_args()
    client = "sqlite3" if options.postgres is None else "psql"
    if shutil.which(client) is None:
        print(f"MISSED: the baseline needs the {client} command, which is not installed")
        return 1 if options.strict else 0

    import flask_migrate

    from elicit.analysis import exports
    from elicit.app import create_app
    from elicit.extensions import db, init_migrations
    from elicit.studies.services import find_study
    from tests import factories

    with tempfile.TemporaryDirectory() as folder, database(folder, options.postgres) as url:
        out = Path(folder)
        app = init_migrations(
            create_app(
                {
                    "SQLALCHEMY_DATABASE_URI": url,
                    "INSTANCE_PATH": folder,
                    "SECRET_KEY": "bench",
                    "RATELIMIT_ENABLED": False,
                }
            )
        )
        with app.app_context():
            flask_migrate.upgrade()
            started = time.perf_counter()
            session = db.session()
            owner = factories.user(session)
            for slug, experts in (("small", EXPERTS // 10), ("large", EXPERTS)):
                factories.large_study(session, experts, QUESTIONS, ROUNDS, slug=slug, owner=owner)
                session.commit()
            built = time.perf_counter() - started
            large = find_study(session, "large")
            small = find_study(session, "small")
            rows = exports.judgment_rows(session, large)
            sql = exports.judgments_sql(session, large)
            assert sql is not None
            session.commit()

            def export(study, fmt: str, name: str) -> Callable[[], int]:
                def run() -> int:
                    size = write(exports.table(session, study, "judgments", fmt), out / name)
                    session.commit()
                    return size

                return run

            def whole() -> int:
                files = exports.study_files(session, large)
                size = write(exports.study_zip(large, files), out / "large.zip")
                session.commit()
                return size

            csv_time = best(export(large, "csv", "large.csv"))
            base_time = best(baseline(url, sql, out / "baseline.csv"))
            json_time = best(export(large, "json", "large.json"))
            zip_start = time.perf_counter()
            zip_size = whole()
            zip_time = time.perf_counter() - zip_start
            csv_size = (out / "large.csv").stat().st_size
            base_lines = sum(1 for _ in (out / "baseline.csv").open("rb"))
            ours_lines = sum(1 for _ in (out / "large.csv").open("rb"))
            json_size = (out / "large.json").stat().st_size
            small_peak, small_rss = memory(export(small, "csv", "small.csv"))
            large_peak, large_rss = memory(export(large, "csv", "large.csv"))

    backend = "PostgreSQL" if options.postgres else "SQLite"
    baseline_name = (
        "psql: COPY (same query) TO STDOUT WITH CSV"
        if options.postgres
        else "sqlite3 shell: .mode csv, same query"
    )
    print(
        f"judgments export on {backend}: {rows:,} rows ({EXPERTS:,} experts x {QUESTIONS} "
        f"questions x {ROUNDS} rounds; built in {built:.0f} s); best of {REPEATS} runs"
    )
    print(f"{'what':<56}{'time':>9}{'MiB':>9}")
    for name, seconds, size in (
        ("judgments.csv (elicit.analysis.exports)", csv_time, csv_size),
        (f"baseline: {baseline_name}", base_time, None),
        ("judgments.json", json_time, json_size),
        ("whole study .zip (1 run)", zip_time, zip_size),
    ):
        shown = f"{size / 2**20:>9.1f}" if size is not None else f"{'':>9}"
        print(f"{name:<56}{seconds:>8.2f}s{shown}")
    print(f"lines written: export {ours_lines:,}, baseline {base_lines:,}")
    print(f"{'memory while exporting the CSV':<56}{'py peak':>9}{'RSS +':>9}")
    for name, peak, rss in (
        (f"small ({rows // 10:,} rows)", small_peak, small_rss),
        (f"large ({rows:,} rows)", large_peak, large_rss),
    ):
        grown = f"{rss:>8.1f}M" if rss is not None else f"{'n/a':>9}"
        print(f"{name:<56}{peak:>8.1f}M{grown}")
    ratio = csv_time / base_time
    verdicts = [
        (
            ratio <= TARGET_RATIO,
            f"CSV export {ratio:.2f}x the baseline (target at most {TARGET_RATIO:.0f}x)",
        ),
        (
            large_peak <= FLAT_FACTOR * max(small_peak, 1.0),
            f"memory flat: Python peak {large_peak:.1f} MiB for 10x the rows of "
            f"{small_peak:.1f} MiB (target at most {FLAT_FACTOR:.0f}x)",
        ),
    ]
    for met, text in verdicts:
        print(f"{'met' if met else 'MISSED'}: {text}")
    missed = not all(met for met, _ in verdicts)
    return 1 if missed and options.strict else 0


if __name__ == "__main__":
    sys.exit(main())
