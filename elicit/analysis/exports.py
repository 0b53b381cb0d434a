"""A study's data as downloadable files, streamed: judgments, questions, resolutions, one ZIP.

Each table comes as tidy long CSV or as JSON, written a batch of rows at a
time, so memory stays flat however large the study (:func:`table`):

- ``judgments``: exactly the long CSV :func:`elicit.analysis.longform.read_judgments`
  reads (``question_id, expert_id, round, element, value``) plus ``time`` (when
  the answer was last changed, ISO 8601 in UTC, truncated to the hour as
  :func:`elicit.analysis.study_data.coarse_time` does) and ``rationale``. Its rows
  and their order are those of :func:`elicit.analysis.study_data.judgments`, so
  ``elicit pool`` on the file computes from the very arrays the pages use.
  Expert ids are the study's pseudonyms, never names or e-mails.
- ``questions``: one row per question, withdrawn ones included (with when and why).
- ``resolutions``: one row per resolved question (``question_id, outcome, value,
  source, date``), plus calibration questions' known realizations (source
  ``calibration``). ``outcome`` is what ``elicit score`` reads as OUTCOMES (``yes``,
  ``no``, ``annulled`` or the realized number); ``value`` is the number the
  scores use (1, 0 or the realized value; empty for an annulled question).

CSV is UTF-8 without a byte-order mark, with a header row, quoted as RFC 4180
says (a quote inside a field is doubled) and records ended by a line feed, as
PostgreSQL's ``COPY`` and :mod:`elicit.analysis.results` write them. Every
text field is quoted and no number is, so a reader can tell ``"12"`` (text)
from ``12``; numbers are written in full (they read back as the same float).
An empty cell (``""``) is a missing value. A text cell that begins with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return gets a single quote (``'``) in front, so a
spreadsheet shows it as text instead of running it as a formula (OWASP's advice
on CSV injection); numbers are never touched, so ``-0.5`` stays a number. Only
pseudonyms and free text can begin so (question keys cannot); an expert id so
written is read back with its quote.

JSON is one array with one object per row on each line (as
:mod:`elicit.analysis.results` writes it), the same keys as the CSV's columns,
numbers as numbers, missing values as ``null``, and text exactly as stored:
JSON is read by programs, not spreadsheets, so nothing is neutralised.

The judgments query does the work in SQL (element names, neutralisation, the
hour), so each row reaches Python ready to write; on PostgreSQL the CSV is the
server's own ``COPY ... TO STDOUT WITH CSV`` output of that query.

The computed tables (:mod:`elicit.analysis.export_results`) are written the
same way: ``aggregates`` (every round's pools, with bootstrap intervals),
``consensus`` (every round's consensus statistics) and ``scores`` (the last
round's calibration and back-test), each as ``elicit pool`` or ``elicit score``
recomputes it from the exported ``judgments.csv`` and ``resolutions.csv``.
Their numbers are written in full, so read back they are the very floats
computed; the ``parameters`` column holds compact JSON text (a JSON object in
the JSON files).

A whole study is one ZIP (:func:`study_zip`) of :class:`ExportFile` entries and
``manifest.json``: software version, export time, the rounds included, the
methods, parameters and seeds each computed file records, the command that
recomputes it, and the SHA-256 of every file and of the judgment data it was
computed from.

Every table and the ZIP take ``through_round``, the user's round limit
(:mod:`elicit.analysis.visibility`): the judgments of later rounds, and
everything computed from them, are left out, so an analyst never downloads an
open round unless the study lets analysts see it live.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache, partial
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from elicit.analysis.formula import FORMULA_STARTS, neutralise
from elicit.judgments.models import Judgment
from elicit.panels.models import Expert
from elicit.rounds.models import Round
from elicit.studies.models import Outcome, Question, QuestionKind, Resolution, Study
from elicit.unit_of_work import read_only_connection

if TYPE_CHECKING:
    from elicit.analysis.export_results import Computed

COMPUTED = ("aggregates", "consensus", "scores")
"""The tables computed from the judgments (:data:`elicit.analysis.export_results.WHAT`)."""

WHAT = ("judgments", "questions", "resolutions", *COMPUTED)
"""The tables a study exports."""

FORMATS = ("csv", "json")
"""The formats of one table."""

JUDGMENT_COLUMNS = ("question_id", "expert_id", "round", "element", "value", "time", "rationale")
QUESTION_COLUMNS = (
    "question_id",
    "position",
    "kind",
    "title",
    "section",
    "question_set",
    "unit",
    "scale",
    "quantiles",
    "lower_bound",
    "upper_bound",
    "allow_certainty",
    "calibration",
    "realization",
    "first_round",
    "close_date",
    "resolve_by",
    "resolution_criterion",
    "resolution_source",
    "withdrawn_at",
    "withdrawn_reason",
)
RESOLUTION_COLUMNS = ("question_id", "outcome", "value", "source", "date")
COLUMNS = {
    "judgments": JUDGMENT_COLUMNS,
    "questions": QUESTION_COLUMNS,
    "resolutions": RESOLUTION_COLUMNS,
}
"""Each stored table's columns, in order (the computed ones' are in their :class:`Computed`)."""


BATCH_ROWS = 10_000
"""Rows fetched and written at a time."""

CHUNK_BYTES = 1 << 16
"""Bytes gathered before a chunk is handed on."""

COPY_OPTIONS = "FORMAT csv, HEADER, FORCE_QUOTE (question_id, expert_id, element, time, rationale)"
"""PostgreSQL's CSV as the Python writer's: a header, text quoted, numbers not."""

MIME = {"csv": "text/csv; charset=utf-8", "json": "application/json", "zip": "application/zip"}

Progress = Callable[[int], None]
"""Told how many more judgment rows have been written."""


def filename(study: Study, what: str, fmt: str) -> str:
    """Name the download: ``SLUG-WHAT.FMT`` (``SLUG.zip`` for the whole study)."""
    return f"{study.slug}.zip" if fmt == "zip" else f"{study.slug}-{what}.{fmt}"


def table(
    session: Session,
    study: Study,
    what: str,
    fmt: str,
    *,
    progress: Progress | None = None,
    through_round: int | None = None,
) -> Iterator[bytes]:
    """Stream table ``what`` (one of :data:`WHAT`) of ``study`` as ``fmt`` (``csv`` or ``json``).

    ``progress``, if given, is told of the judgment rows as they are written.
    ``through_round`` keeps the judgments, and what is computed from them, of
    rounds 1 to that one (the user's :func:`~elicit.analysis.visibility.round_limit`);
    None keeps every round.
    Nothing is read until the first chunk is asked for; the reading is then
    done in a read-only transaction if none is open
    (:func:`elicit.unit_of_work.read_only_connection`: on SQLite it does not
    hold the write lock, however slowly the chunks are taken).

    Raises
    ------
    ValueError
        If ``what`` or ``fmt`` is not one of those.
    """
    if what not in WHAT:
        raise ValueError(f"what must be one of {', '.join(WHAT)}, not {what!r}")
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    return _table(session, study, what, fmt, progress, through_round)


def _table(
    session: Session,
    study: Study,
    what: str,
    fmt: str,
    progress: Progress | None,
    through_round: int | None,
) -> Iterator[bytes]:
    """Stream a table (see :func:`table`), reading only once the first chunk is asked for."""
    connection = read_only_connection(session)
    if what == "judgments":
        yield from _judgments(session, connection, study, fmt, progress, through_round)
        return
    if what in COMPUTED:
        from elicit.analysis import export_results  # NumPy, pyarrow: only when used

        computed = export_results.computed(session, study, what, through_round=through_round)
        yield from _computed(computed, fmt)
        return
    rows = _questions(session, study) if what == "questions" else _resolutions(session, study)
    yield from _written(COLUMNS[what], [[_cells(row, fmt) for row in rows]], fmt)


def _computed(table: Computed, fmt: str) -> Iterator[bytes]:
    """Write a computed table's rows (a missing column of a row is an empty cell, or null)."""
    rows = [_cells(tuple(row.get(c) for c in table.columns), fmt) for row in table.rows]
    return _written(table.columns, [rows], fmt)


def judgment_rows(session: Session, study: Study, *, through_round: int | None = None) -> int:
    """Count the rows of ``study``'s judgments file (one per number an expert gave)."""
    query = _judgment_query(session, study, neutralised=False, through_round=through_round)
    if query is None:
        return 0
    return session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0


# -- judgments -------------------------------------------------------------------------------


def _judgment_query(
    session: Session, study: Study, *, neutralised: bool, through_round: int | None
) -> sa.Select | None:
    """Select the judgment rows of the export, ready to write, in the order of the file.

    One row per element: a VALUES list (a CTE) names, for each question, its elements
    in order and the column (``slot``) each value is in: 0 the probability (or
    best estimate), 1 the lower and 2 the upper point, 3 + i the i-th quantile.
    Keys and pseudonyms are ordered by code point as Python sorts them
    (``COLLATE "C"`` on PostgreSQL, SQLite's default binary collation), pseudonyms
    as the CSV writes them (neutralised), then as stored: the order
    :func:`elicit.analysis.study_data.judgments` gives them. Rounds after
    ``through_round`` are left out (None: none is).
    None if the study has no question to export.
    """
    from elicit.analysis.study_data import study_questions  # NumPy: only when used

    postgres = session.get_bind().dialect.name == "postgresql"
    elements = []
    for question in study_questions(session, study):
        for ordinal, (name, place) in enumerate(_element_slots(question)):
            elements.append((question.id, ordinal, name, place))
    if not elements:
        return None
    listed = (
        sa.values(
            sa.column("question_id", sa.Integer),
            sa.column("ordinal", sa.Integer),
            sa.column("element", sa.String),
            sa.column("slot", sa.Integer),
            name="elements",
            literal_binds=True,
        )
        .data(elements)
        .cte("elements")
    )
    slot: sa.ColumnElement[int] = listed.c.slot
    quantile: sa.ColumnElement[Any]
    hour: sa.ColumnElement[Any]
    if postgres:
        quantile = sa.cast(
            sa.type_coerce(Judgment.quantile_values, sa.JSON).op("->>")(slot - 3), sa.Float
        )
        hour = sa.func.to_char(
            sa.func.timezone("UTC", Judgment.updated_at),
            sa.literal_column("'YYYY-MM-DD\"T\"HH24'"),
            type_=sa.String,
        ) + sa.literal_column("':00:00Z'", sa.String)
    else:
        path = sa.literal_column("'$['", sa.String) + sa.cast(slot - 3, sa.String) + "]"
        quantile = sa.func.json_extract(Judgment.quantile_values, path, type_=sa.Float)
        hour = sa.func.strftime(
            sa.literal_column("'%Y-%m-%dT%H:00:00Z'"), Judgment.updated_at, type_=sa.String
        )
    value = sa.case(
        (slot == 0, Judgment.probability),
        (slot == 1, Judgment.lower),
        (slot == 2, Judgment.upper),
        else_=quantile,
    )
    text = _neutralised_sql if neutralised else (lambda column: column)
    key: Any = Question.key
    pseudonym: Any = _neutralised_sql(Expert.pseudonym)
    stored: Any = Expert.pseudonym
    if postgres:
        key, pseudonym = sa.collate(key, "C"), sa.collate(pseudonym, "C")
        stored = sa.collate(stored, "C")
    query = (
        sa.select(
            text(Question.key).label("question_id"),
            text(Expert.pseudonym).label("expert_id"),
            Round.number.label("round"),
            listed.c.element.label("element"),
            value.label("value"),
            hour.label("time"),
            text(Judgment.rationale).label("rationale"),
        )
        .select_from(Judgment)
        .join(Round, Round.id == Judgment.round_id)
        .join(Question, Question.id == Judgment.question_id)
        .join(Expert, Expert.id == Judgment.expert_id)
        .join(listed, listed.c.question_id == Judgment.question_id)
        .where(
            Round.study_id == study.id,
            Question.study_id == study.id,
            Question.withdrawn_at.is_(None),
        )
        .order_by(Round.number, key, pseudonym, stored, listed.c.ordinal)
    )
    if through_round is not None:
        query = query.where(Round.number <= through_round)
    return query


def _element_slots(question: Question) -> list[tuple[str, int]]:
    """Name each element of ``question``'s judgments and the slot its value is in."""
    from elicit.analysis.longform import quantile_element  # NumPy and pyarrow: only when used

    if question.kind is QuestionKind.BINARY:
        return [("p", 0)]
    if question.kind is QuestionKind.BINARY_INTERVAL:
        return [("lower", 1), ("best", 0), ("upper", 2)]
    return [
        (quantile_element(float(level)), 3 + i) for i, level in enumerate(question.quantiles or [])
    ]


def _neutralised_sql(column: Any) -> Any:
    """Do :func:`neutralise` in SQL: a ``'`` in front of text that begins like a formula."""
    first = sa.func.substr(column, 1, 1)
    return sa.case(
        (first.in_([sa.literal_column(f"'{c}'") for c in FORMULA_STARTS]), "'" + column),
        else_=column,
    )


def judgments_sql(
    session: Session, study: Study, *, neutralised: bool = True, through_round: int | None = None
) -> str | None:
    """Return the judgments file's query as SQL text for the session's database (None if empty).

    The benchmark gives it to the database's own CSV writer as the baseline.
    """
    query = _judgment_query(session, study, neutralised=neutralised, through_round=through_round)
    if query is None:
        return None
    dialect = session.get_bind().dialect
    return str(query.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))


def _judgments(
    session: Session,
    connection: sa.Connection,
    study: Study,
    fmt: str,
    progress: Progress | None,
    through_round: int | None,
) -> Iterator[bytes]:
    """Stream the judgments file: ``COPY`` on PostgreSQL for CSV, else rows from a cursor."""
    sql = judgments_sql(session, study, neutralised=fmt == "csv", through_round=through_round)
    if sql is None:
        return _written(JUDGMENT_COLUMNS, [], fmt)
    if fmt == "csv" and connection.dialect.name == "postgresql":
        return _copied(connection.connection, sql, progress)
    return _written(JUDGMENT_COLUMNS, _fetched(connection.connection, sql, progress), fmt)


def _fetched(connection: Any, sql: str, progress: Progress | None) -> Iterator[list[tuple]]:
    """Yield the query's rows a batch at a time (a server-side cursor on PostgreSQL)."""
    named = type(connection.driver_connection).__module__.startswith("psycopg")
    cursor = connection.driver_connection.cursor(name="elicit_export") if named else None
    cursor = cursor or connection.cursor()
    try:
        cursor.execute(sql)
        while batch := cursor.fetchmany(BATCH_ROWS):
            yield batch
            if progress is not None:
                progress(len(batch))
    finally:
        cursor.close()


def _copied(connection: Any, sql: str, progress: Progress | None) -> Iterator[bytes]:
    """Yield PostgreSQL's own CSV of the query (``COPY ... TO STDOUT``), in large chunks.

    The server sends each row (the header first) as one message, so the
    messages count the rows for ``progress``.
    """
    buffer = bytearray()
    rows = -1
    statement = f"COPY ({sql}) TO STDOUT WITH ({COPY_OPTIONS})"
    with connection.driver_connection.cursor() as cursor, cursor.copy(statement) as copy:
        for data in copy:
            buffer += data
            rows += 1
            if len(buffer) >= CHUNK_BYTES:
                if progress is not None:
                    progress(rows)
                rows = 0
                yield bytes(buffer)
                buffer.clear()
    if progress is not None:
        progress(max(rows, 0))
    yield bytes(buffer)


# -- questions and resolutions ---------------------------------------------------------------


def _questions(session: Session, study: Study) -> list[tuple]:
    """One row per question (withdrawn ones included), by key."""
    from elicit.analysis.study_data import study_questions

    return [
        (
            q.key,
            q.position,
            q.kind.value,
            q.title,
            q.section,
            q.question_set,
            q.unit,
            q.scale.value if q.scale else None,
            q.quantiles,
            q.lower_bound,
            q.upper_bound,
            q.allow_certainty,
            q.calibration,
            q.realization,
            q.first_round,
            q.close_date.isoformat(),
            q.resolve_by.isoformat(),
            q.resolution_criterion,
            q.resolution_source,
            _iso(q.withdrawn_at),
            q.withdrawn_reason,
        )
        for q in study_questions(session, study, withdrawn=True)
    ]


def _resolutions(session: Session, study: Study) -> list[tuple]:
    """One row per resolved question and per calibration question with a realization, by key."""
    found = session.execute(
        sa.select(Question.key, Question.realization, Resolution)
        .outerjoin(Resolution, Resolution.question_id == Question.id)
        .where(
            Question.study_id == study.id,
            sa.or_(Resolution.id.is_not(None), Question.realization.is_not(None)),
        )
    ).all()
    rows: list[tuple] = []
    outcome: object
    for key, realization, resolution in sorted(found, key=lambda row: row.key):
        if resolution is None:
            rows.append((key, realization, realization, "calibration", None))
            continue
        if resolution.outcome is None:
            outcome, value = resolution.value, resolution.value
        else:
            outcome = resolution.outcome.value
            value = {Outcome.YES: 1.0, Outcome.NO: 0.0}.get(resolution.outcome)
        rows.append((key, outcome, value, resolution.source, resolution.resolved_on.isoformat()))
    return rows


def _iso(moment: datetime | None) -> str | None:
    """Write a time as ISO 8601 in UTC (``2026-03-01T14:30:00Z``), to the second."""
    if moment is None:
        return None
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


# -- writing ---------------------------------------------------------------------------------


def _written(columns: Sequence[str], batches: Iterable[list[tuple]], fmt: str) -> Iterator[bytes]:
    """Write batches of rows, their cells ready (see :func:`_cells`), as CSV or JSON."""
    if fmt == "csv":
        return _csv(columns, batches)
    return _json(columns, batches)


def _csv(columns: Sequence[str], batches: Iterable[list[tuple]]) -> Iterator[bytes]:
    """Write a header, then each batch of rows, as CSV (see the module's description)."""
    buffer = io.StringIO()
    buffer.write(",".join(columns) + "\n")
    writer = csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_NONNUMERIC)
    for batch in batches:
        writer.writerows(batch)
        yield buffer.getvalue().encode("utf-8")
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def _cells(row: tuple, fmt: str) -> tuple:
    """Make a row of Python values ready for ``fmt``: as is for JSON, else :func:`_csv_cells`."""
    return row if fmt == "json" else _csv_cells(row)


def _csv_cells(row: tuple) -> tuple:
    """Neutralise text, write booleans as ``true``/``false``, lists and objects as compact JSON."""
    cells: list[object] = []
    for cell in row:
        if isinstance(cell, bool):
            cells.append("true" if cell else "false")
        elif isinstance(cell, list | dict):
            cells.append(json.dumps(cell, separators=(",", ":"), allow_nan=False))
        elif isinstance(cell, str):
            cells.append(neutralise(cell))
        else:
            cells.append(cell)
    return tuple(cells)


def _json(columns: Sequence[str], batches: Iterable[list[tuple]]) -> Iterator[bytes]:
    """Write the rows as a JSON array, one object to a line."""
    encode = json.JSONEncoder(allow_nan=False).encode
    keys = list(columns)
    opening = "[\n"
    for batch in batches:
        if not batch:
            continue
        lines = ",\n".join(encode(dict(zip(keys, row, strict=True))) for row in batch)
        yield (opening + lines).encode("utf-8")
        opening = ",\n"
    yield ("[\n]\n" if opening == "[\n" else "\n]\n").encode("utf-8")


# -- the whole study -------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportFile:
    """One file of a study's ZIP.

    Attributes
    ----------
    name : str
        Its name in the ZIP (``judgments.csv``).
    chunks : callable
        Returns the file's bytes as an iterator of chunks; called once, when
        the file is written.
    description : str
        What the file holds, for the manifest.
    method : dict or callable
        How the file's numbers were made, if they were computed (method name,
        parameters, seeds): listed under ``methods`` in the manifest. A callable
        returning it is called once the file is written (a computed file knows
        its methods once computed). A ``data`` entry names the files it was
        computed from; the manifest gives each one's SHA-256 there.
    """

    name: str
    chunks: Callable[[], Iterable[bytes]]
    description: str
    method: Mapping[str, Any] | Callable[[], Mapping[str, Any]] = field(default_factory=dict)


JUDGMENTS_FILE = "judgments.csv"
RESOLUTIONS_FILE = "resolutions.csv"

DESCRIPTIONS = {
    "judgments": "One row per number an expert gave: the long CSV `elicit pool` reads.",
    "questions": "One row per question, withdrawn ones included.",
    "resolutions": "How each resolved question turned out; calibration realizations.",
    "aggregates": "Every round's pooled forecasts with bootstrap intervals, as "
    "`elicit pool judgments.csv --round N --bootstrap 1000 --seed 12` computes them.",
    "consensus": "Every round's consensus statistics of the experts' central values.",
    "scores": "The last round's expert scores and back-tested pooling methods, as "
    "`elicit score judgments.csv resolutions.csv --round N` computes them "
    "(no rows if no judged question has resolved).",
}
"""What each file of a study's ZIP holds."""

SOURCES = {
    "aggregates": [JUDGMENTS_FILE],
    "consensus": [JUDGMENTS_FILE],
    "scores": [JUDGMENTS_FILE, RESOLUTIONS_FILE],
}
"""The files each computed file can be recomputed from."""


def study_files(
    session: Session,
    study: Study,
    *,
    progress: Progress | None = None,
    through_round: int | None = None,
) -> list[ExportFile]:
    """Return the files every study's ZIP holds, as CSV: the stored tables, then the computed.

    The computed tables (:data:`COMPUTED`) are computed once, when the first
    of them is written; aggregates and consensus statistics together. Every
    file keeps rounds 1 to ``through_round`` only, as :func:`table` does; give
    :func:`study_zip` the same limit, for its manifest.
    """
    from elicit.analysis import export_results

    limit = {"through_round": through_round}
    pools = cache(partial(export_results.pools, session, study, **limit))
    scores = cache(partial(export_results.scores, session, study, **limit))
    computed: dict[str, Callable[[], Computed]] = {
        "aggregates": lambda: pools()[0],
        "consensus": lambda: pools()[1],
        "scores": scores,
    }
    stored = [
        ExportFile(
            f"{what}.csv",
            partial(
                table,
                session,
                study,
                what,
                "csv",
                progress=progress if what == "judgments" else None,
                through_round=through_round,
            ),
            DESCRIPTIONS[what],
        )
        for what in COLUMNS
    ]
    return stored + [
        ExportFile(
            f"{what}.csv",
            partial(_chunks_of, session, get, "csv"),
            DESCRIPTIONS[what],
            partial(_method_of, get, SOURCES[what]),
        )
        for what, get in computed.items()
    ]


def _chunks_of(session: Session, get: Callable[[], Computed], fmt: str) -> Iterator[bytes]:
    """Write the computed table ``get`` returns as ``fmt``, read as :func:`table` reads."""
    read_only_connection(session)
    yield from _computed(get(), fmt)


def _method_of(get: Callable[[], Computed], sources: list[str]) -> dict[str, Any]:
    """Return the manifest entry of the computed table ``get`` returns, naming its sources."""
    return {**get().method, "data": sources}


def software_version() -> str:
    """Return the installed elicit's version."""
    try:
        return version("elicit")
    except PackageNotFoundError:  # pragma: no cover - run from a checkout that is not installed
        return "unknown"


def study_zip(
    study: Study,
    files: Sequence[ExportFile],
    *,
    exported_at: datetime | None = None,
    through_round: int | None = None,
) -> Iterator[bytes]:
    """Stream a ZIP of ``files`` and ``manifest.json`` (written last, with every file's hash).

    The manifest records the software version, the export time (``exported_at``,
    default now), the conventions of the files, the rounds whose judgments the
    files hold (those that opened, up to ``through_round``, the limit
    ``files`` were made with) and those left out, each file's name, size,
    description and SHA-256, the methods (with parameters and seeds) of
    computed files, and the SHA-256 of the judgment data (``judgments.csv``).
    """
    moment = (exported_at or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    stamp = moment.timetuple()[:6]
    sink = _Sink()
    listed: list[dict[str, Any]] = []
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for entry in files:
            digest, size = hashlib.sha256(), 0
            info = zipfile.ZipInfo(entry.name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            with archive.open(info, "w", force_zip64=True) as member:
                for chunk in entry.chunks():
                    digest.update(chunk)
                    size += len(chunk)
                    member.write(chunk)
                    if sink.size >= CHUNK_BYTES:
                        yield sink.take()
            listed.append(
                {
                    "name": entry.name,
                    "description": entry.description,
                    "bytes": size,
                    "sha256": digest.hexdigest(),
                }
            )
            yield sink.take()
        manifest = _manifest(study, files, listed, moment, through_round)
        info = zipfile.ZipInfo("manifest.json", date_time=stamp)
        info.compress_type = zipfile.ZIP_DEFLATED
        archive.writestr(info, json.dumps(manifest, indent=2) + "\n")
    yield sink.take()


def _manifest(
    study: Study,
    files: Sequence[ExportFile],
    listed: list[dict[str, Any]],
    moment: datetime,
    through_round: int | None,
) -> dict[str, Any]:
    """Return the manifest of a study's ZIP (see :func:`study_zip`)."""
    from elicit.analysis.study_data import TIME_RESOLUTION
    from elicit.analysis.visibility import visible_rounds

    opened = visible_rounds(study.rounds, None)
    included = [r.number for r in visible_rounds(opened, through_round)]

    judgment_hash = next((f["sha256"] for f in listed if f["name"] == JUDGMENTS_FILE), None)
    return {
        "software": {"name": "elicit", "version": software_version()},
        "exported_at": _iso(moment),
        "study": {"slug": study.slug, "title": study.title},
        "rounds": {
            "included": included,
            "left_out": [r.number for r in opened if r.number not in included],
            "through_round": through_round,
            "note": "the files hold the judgments of the included rounds, and what is computed "
            "from them, only: an open round is left out for whoever sees closed rounds only",
        },
        "conventions": {
            "csv": "UTF-8, header row, RFC 4180 quoting, line feed after each record; an empty "
            "cell is a missing value",
            "formula_injection": "a text cell beginning with =, +, -, @, tab or carriage return "
            "has a single quote (') put in front; numbers are never changed",
            "expert_id": "the study's pseudonymous expert ids",
            "time": f"ISO 8601 in UTC, truncated to {TIME_RESOLUTION}",
        },
        "judgment_data": {"file": JUDGMENTS_FILE, "sha256": judgment_hash},
        "methods": [
            {"file": entry.name, **_hashed(method, listed)}
            for entry in files
            if (method := entry.method() if callable(entry.method) else entry.method)
        ],
        "files": listed,
    }


def _hashed(method: Mapping[str, Any], listed: list[dict[str, Any]]) -> dict[str, Any]:
    """Give each file named under ``data`` its SHA-256 (None if not in the ZIP)."""
    if "data" not in method:
        return dict(method)
    hashes = {f["name"]: f["sha256"] for f in listed}
    return {**method, "data": {name: hashes.get(name) for name in method["data"]}}


class _Sink(io.RawIOBase):
    """A write-only stream that keeps what is written until taken (a ZIP streamed in pieces).

    It cannot tell or seek, so :mod:`zipfile` writes each member's sizes after
    its data, and nothing is ever rewritten.
    """

    def __init__(self) -> None:
        super().__init__()
        self._parts: list[bytes] = []
        self.size = 0

    def writable(self) -> bool:
        """Yes: the ZIP is written to it."""
        return True

    def write(self, data: Any) -> int:
        """Keep a copy of ``data``."""
        self._parts.append(bytes(data))
        self.size += len(data)
        return len(data)

    def take(self) -> bytes:
        """Return what was written since the last call, and forget it."""
        data = b"".join(self._parts)
        self._parts.clear()
        self.size = 0
        return data
