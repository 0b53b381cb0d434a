"""A study's exports: the long CSV reads back as the study's arrays, formulas are neutralised,
empty studies give valid files, the ZIP's manifest hashes verify, downloads need access, and the
command line writes the web download's bytes."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import sqlite3
import zipfile
from datetime import UTC, datetime

import flask_migrate
import numpy as np
import pytest
import sqlalchemy as sa

from elicit.accounts.models import Role, StudyRole
from elicit.analysis import aggregates, calibration, exports, longform, study_data
from elicit.analysis.models import RoundPools
from elicit.extensions import db
from elicit.judgments.models import Judgment
from elicit.judgments.rules import Answer
from elicit.judgments.submission import record_judgment
from elicit.panels.models import Expert
from elicit.panels.services import add_expert
from elicit.rounds.services import close_round, open_next_round
from elicit.studies.models import Outcome, QuestionKind, Resolution
from elicit.studies.sharing import share_study
from tests import factories
from tests.conftest import login, make_app

FORMULAS = ["=1+2", "+1", "-1", "@SUM(A1)", "\tx", "\rx"]


def _resolve(session, question, owner, **fields):
    session.add(
        Resolution(
            question=question,
            source="=HYPERLINK(x)",
            resolved_on=question.resolve_by,
            resolved_by=owner,
            **fields,
        )
    )


@pytest.fixture
def study(session):
    """Two rounds of three experts on binary, three-point and quantity questions.

    The quantity has negative values and odd quantile levels; rationales
    begin like formulas; one question is withdrawn, one resolved, one annulled.
    """
    owner = factories.user(session)
    found = factories.study(session, owner=owner)
    binary = factories.question(session, found, key="b")
    interval = factories.question(session, found, key="a", kind=QuestionKind.BINARY_INTERVAL)
    quantity = factories.question(
        session,
        found,
        key="c",
        kind=QuestionKind.QUANTITY,
        quantiles=[0.025, 0.07, 0.5, 0.975],
        lower_bound=-100.0,
    )
    dropped = factories.question(session, found, key="d")
    experts = [
        add_expert(session, found, pseudonym=p, name=f"Name {p}", email=f"{p}@x.test")
        for p in ("Cedar", "alder", "Birch", "Ash 2")
    ]
    for number in (1, 2):
        round_ = open_next_round(session, found)
        for i, expert in enumerate(experts[: 3 if number == 1 else 4]):
            p = 0.05 * (i + number + 1)
            reason = FORMULAS[i % len(FORMULAS)] + ', "quoted"\nsecond line'
            record_judgment(
                session, expert, binary, round_, Answer(probability=p, rationale=reason)
            )
            record_judgment(
                session, expert, interval, round_, Answer(lower=p / 2, probability=p, upper=p * 2)
            )
            record_judgment(
                session,
                expert,
                quantity,
                round_,
                Answer(quantile_values=[-i - 7.25, -i, i + 1 / 3, i + 3], rationale="ok"),
            )
            record_judgment(session, expert, dropped, round_, Answer(probability=0.5))
        close_round(session, round_)
    _resolve(session, binary, owner, outcome=Outcome.YES)
    _resolve(session, interval, owner, outcome=Outcome.ANNULLED)
    _resolve(session, quantity, owner, value=-2.5)
    dropped.withdrawn_at = datetime(2026, 1, 1, tzinfo=UTC)
    dropped.withdrawn_reason = "ambiguous"
    session.flush()
    return found


def _bytes(session, study, what, fmt):
    return b"".join(exports.table(session, study, what, fmt))


def _rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))


def test_the_long_csv_reads_back_as_the_studys_arrays(session, study, tmp_path):
    path = tmp_path / "judgments.csv"
    path.write_bytes(_bytes(session, study, "judgments", "csv"))
    read = longform.read_judgments(path)
    expected = study_data.judgments(session, study)
    assert read.questions == expected.questions == ["a", "b", "c"]
    assert read.experts == expected.experts == ["Ash 2", "Birch", "Cedar", "alder"]
    for name in ("question", "expert", "round", "kind", "level", "value", "time"):
        got, want = getattr(read, name), getattr(expected, name)
        assert got.shape == want.shape and want.size == 3 * 8 + 4 * 8, name
        np.testing.assert_array_equal(got, want, err_msg=name)
    levels, _ = longform.quantiles(read)
    assert levels.tolist() == [0.025, 0.07, 0.5, 0.975]


def test_the_json_holds_the_same_rows_untouched(session, study):
    rows = _rows(_bytes(session, study, "judgments", "csv"))
    objects = json.loads(_bytes(session, study, "judgments", "json"))
    assert list(objects[0]) == rows[0] == list(exports.JUDGMENT_COLUMNS)
    assert len(objects) == len(rows) - 1
    for line, item in zip(rows[1:], objects, strict=True):
        assert float(line[4]) == item["value"] and isinstance(item["value"], float | int)
        assert line[:4] == [
            item["question_id"],
            item["expert_id"],
            str(item["round"]),
            item["element"],
        ]
        assert line[5] == item["time"] and item["time"].endswith(":00:00Z")
        assert line[6] == exports.neutralise(item["rationale"])
    reasons = {item["rationale"] for item in objects}
    assert {f + ', "quoted"\nsecond line' for f in FORMULAS[:4]} <= reasons


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_each_formula_start_is_neutralised_in_sql_and_python(session, study, start):
    expert = add_expert(session, study, pseudonym="E", name="N", email="n@x.test")
    question = next(q for q in study.questions if q.key == "b")
    round_ = open_next_round(session, study)
    record_judgment(session, expert, question, round_, Answer(probability=0.3))
    text = f"{start}cmd|' /C calc'!A0"  # set past the services, which strip spaces around text
    session.execute(
        sa.update(Judgment).where(Judgment.round_id == round_.id).values(rationale=text)
    )
    expert.pseudonym, question.title = f"{start}E", text
    session.flush()
    written = [r for r in _rows(_bytes(session, study, "judgments", "csv")) if r[2] == "3"]
    assert [[r[0], r[1], r[2], r[3], r[4], r[6]] for r in written] == [
        ["b", f"'{start}E", "3", "p", "0.3", "'" + text]
    ]
    titles = {r[0]: r[3] for r in _rows(_bytes(session, study, "questions", "csv"))[1:]}
    assert titles["b"] == "'" + text
    objects = json.loads(_bytes(session, study, "judgments", "json"))
    assert {(o["expert_id"], o["rationale"]) for o in objects if o["round"] == 3} == {
        (f"{start}E", text)
    }


def test_numbers_stay_numbers(session, study):
    rows = _rows(_bytes(session, study, "judgments", "csv"))
    negative = [r[4] for r in rows[1:] if r[0] == "c" and r[4].startswith("-")]
    assert negative and all(float(v) < 0 for v in negative)
    assert '"-7.25"' not in _bytes(session, study, "judgments", "csv").decode()
    questions = {r[0]: r for r in _rows(_bytes(session, study, "questions", "csv"))[1:]}
    header = list(exports.QUESTION_COLUMNS)
    assert float(questions["c"][header.index("lower_bound")]) == -100.0
    resolutions = _rows(_bytes(session, study, "resolutions", "csv"))
    assert resolutions[0] == list(exports.RESOLUTION_COLUMNS)
    by_key = {r[0]: r for r in resolutions[1:]}
    assert by_key["c"][1:3] == ["-2.5", "-2.5"]
    assert by_key["b"][1:4] == ["yes", "1.0", "'=HYPERLINK(x)"]
    assert by_key["a"][1:3] == ["annulled", ""]


def test_resolutions_read_as_the_outcomes_of_the_study(session, study, tmp_path):
    path = tmp_path / "resolutions.csv"
    path.write_bytes(_bytes(session, study, "resolutions", "csv"))
    keys = ["a", "b", "c"]
    read = longform.read_outcomes(path, keys)
    expected = study_data.outcomes(session, study, keys)
    np.testing.assert_array_equal(read.value, expected.value)
    np.testing.assert_array_equal(read.annulled, expected.annulled)


def test_the_questions_list_every_question_with_withdrawals(session, study):
    objects = json.loads(_bytes(session, study, "questions", "json"))
    assert [o["question_id"] for o in objects] == ["a", "b", "c", "d"]
    assert objects[2]["quantiles"] == [0.025, 0.07, 0.5, 0.975]
    assert objects[3]["withdrawn_reason"] == "ambiguous"
    assert objects[3]["withdrawn_at"] == "2026-01-01T00:00:00Z"


def test_a_study_without_judgments_exports_valid_files_with_headers(session):
    empty = factories.study(session, slug="empty-study")
    columns = exports.COLUMNS | {
        "aggregates": aggregates.COLUMNS,
        "consensus": aggregates.CONSENSUS,
        "scores": calibration.SCORE_COLUMNS,
    }
    assert list(columns) == list(exports.WHAT)
    for what in exports.WHAT:
        assert _rows(_bytes(session, empty, what, "csv")) == [list(columns[what])]
        assert json.loads(_bytes(session, empty, what, "json")) == []
    factories.question(session, empty, key="q1")
    assert _rows(_bytes(session, empty, "judgments", "csv")) == [list(exports.JUDGMENT_COLUMNS)]
    archive = zipfile.ZipFile(
        io.BytesIO(b"".join(exports.study_zip(empty, exports.study_files(session, empty))))
    )
    assert archive.testzip() is None
    assert archive.read("judgments.csv").decode() == ",".join(exports.JUDGMENT_COLUMNS) + "\n"


def test_the_zip_manifest_hashes_every_file(session, study):
    moment = datetime(2026, 5, 4, 3, 2, 1, tzinfo=UTC)
    data = b"".join(
        exports.study_zip(study, exports.study_files(session, study), exported_at=moment)
    )
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert archive.testzip() is None
    names = [f"{what}.csv" for what in exports.WHAT] + ["manifest.json"]
    assert archive.namelist() == names
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["exported_at"] == "2026-05-04T03:02:01Z"
    assert manifest["software"]["version"] == exports.software_version() != "unknown"
    listed = {f["name"]: f for f in manifest["files"]}
    assert list(listed) == names[:-1]
    for name, entry in listed.items():
        content = archive.read(name)
        assert entry["sha256"] == hashlib.sha256(content).hexdigest()
        assert entry["bytes"] == len(content)
    assert archive.read("judgments.csv") == _bytes(session, study, "judgments", "csv")
    assert manifest["judgment_data"] == {
        "file": "judgments.csv",
        "sha256": hashlib.sha256(archive.read("judgments.csv")).hexdigest(),
    }


def test_added_files_and_their_methods_join_the_manifest(session, study):
    told = []
    extra = exports.ExportFile(
        "extra.csv",
        lambda: iter([b"question_id,value\n", b"b,0.5\n"]),
        "pooled",
        lambda: told.append("asked") or {"seed": 7, "data": ["judgments.csv", "nosuch.csv"]},
    )
    files = [*exports.study_files(session, study), extra]
    archive = zipfile.ZipFile(io.BytesIO(b"".join(exports.study_zip(study, files))))
    manifest = json.loads(archive.read("manifest.json"))
    assert archive.read("extra.csv") == b"question_id,value\nb,0.5\n"
    assert told == ["asked"]
    judgments = hashlib.sha256(archive.read("judgments.csv")).hexdigest()
    assert manifest["methods"][-1] == {
        "file": "extra.csv",
        "seed": 7,
        "data": {"judgments.csv": judgments, "nosuch.csv": None},
    }
    assert [m["file"] for m in manifest["methods"]] == [
        "aggregates.csv",
        "consensus.csv",
        "scores.csv",
        "extra.csv",
    ]
    assert (
        manifest["files"][-1]["sha256"] == hashlib.sha256(b"question_id,value\nb,0.5\n").hexdigest()
    )


def test_progress_counts_every_judgment_row(session, study):
    told: list[int] = []
    data = b"".join(exports.table(session, study, "judgments", "csv", progress=told.append))
    assert told and sum(told) == exports.judgment_rows(session, study) == len(_rows(data)) - 1


def test_quantile_elements_read_back_as_their_levels():
    for level in (0.01, 0.025, 0.05, 0.07, 0.1, 0.333, 0.5, 0.9, 0.95, 0.975, 0.99):
        name = longform.quantile_element(level)
        assert float(name[1:]) / 100 == level
    assert longform.quantile_element(0.05) == "q05"
    with pytest.raises(ValueError, match="between 0 and 1"):
        longform.quantile_element(1.0)


@pytest.mark.parametrize(
    ("role", "shared", "status"),
    [
        (Role.ANALYST, StudyRole.ANALYST, 200),
        (Role.ANALYST, None, 404),
        (Role.FACILITATOR, None, 404),
        (Role.ADMIN, None, 200),
    ],
)
def test_downloads_need_the_study_shared(session, client, study, role, shared, status):
    viewer = factories.user(session, email="viewer@example.org", role=role, name="Vic Viewer")
    if shared is not None:
        share_study(session, study, viewer.email, shared, actor=study.owner)
    session.commit()
    login(client, "viewer@example.org", factories.PASSWORD)
    for url in (
        "/analyse/studies/study/download/judgments.csv",
        "/analyse/studies/study/download.zip",
    ):
        assert client.get(url).status_code == status
    if status == 200:
        page = client.get("/analyse/studies/study")
        assert "/analyse/studies/study/download.zip" in page.text
        assert "/analyse/studies/study/download/resolutions.json" in page.text


def test_downloads_are_attachments_and_bad_names_answer_400(session, client, study):
    session.commit()
    login(client, study.owner.email, factories.PASSWORD)
    response = client.get("/analyse/studies/study/download/judgments.csv")
    assert response.status_code == 200 and response.is_streamed
    assert response.headers["Content-Disposition"] == 'attachment; filename="study-judgments.csv"'
    assert response.mimetype == "text/csv"
    assert response.data == _bytes(session, study, "judgments", "csv")
    response = client.get("/analyse/studies/study/download/questions.json")
    assert response.mimetype == "application/json" and response.json[0]["question_id"] == "a"
    bad = client.get("/analyse/studies/study/download/judgments.xlsx")
    assert bad.status_code == 400 and "xlsx" in bad.text
    bad = client.get("/analyse/studies/study/download/votes.json")
    assert bad.status_code == 400
    assert bad.json["error"]["code"] == "bad_what" and "votes" in bad.json["error"]["message"]
    assert client.get("/analyse/studies/study/download/judgments").status_code == 400
    assert client.get("/analyse/studies/study/download/a/b.csv").status_code == 404
    assert client.get("/analyse/studies/nosuch/download.zip").status_code == 404


def test_the_command_writes_the_downloads_bytes(
    session, client, runner, study, tmp_path, monkeypatch
):
    session.commit()
    login(client, study.owner.email, factories.PASSWORD)
    for fmt in ("csv", "json"):
        for what in exports.WHAT:
            out = tmp_path / f"{what}.{fmt}"
            result = runner.invoke(
                args=["export", "study", "--format", fmt, "--table", what, "--output", str(out)]
            )
            assert result.exit_code == 0, result.output
            web = client.get(f"/analyse/studies/study/download/{what}.{fmt}").data
            assert out.read_bytes() == web
    monkeypatch.setattr("elicit.analysis.export_cli.PROGRESS_ROWS", 1)
    out = tmp_path / "study.zip"
    result = runner.invoke(args=["export", "study", "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert "judgment rows" in result.output
    cli = zipfile.ZipFile(out)
    web = zipfile.ZipFile(io.BytesIO(client.get("/analyse/studies/study/download.zip").data))
    assert cli.namelist() == web.namelist()
    for name in cli.namelist():
        if name != "manifest.json":
            assert cli.read(name) == web.read(name)
    ours, theirs = (json.loads(z.read("manifest.json")) for z in (cli, web))
    ours.pop("exported_at"), theirs.pop("exported_at")
    assert ours == theirs


def test_the_command_refuses_an_unknown_study(runner):
    result = runner.invoke(args=["export", "nosuch", "--format", "csv"])
    assert result.exit_code == 2 and "no study 'nosuch'" in result.output


def test_the_command_writes_a_table_to_standard_output(session, runner, study):
    result = runner.invoke(args=["export", "study", "--format", "json", "--table", "questions"])
    assert result.exit_code == 0, result.output
    assert result.stdout_bytes == _bytes(session, study, "questions", "json")


def test_a_streaming_export_leaves_sqlite_writable(tmp_path, monkeypatch):
    """Halfway through a download, another connection can still write (no write lock is held)."""
    path = tmp_path / "lock.sqlite3"
    app = make_app(f"sqlite:///{path}", tmp_path)
    monkeypatch.setattr(exports, "BATCH_ROWS", 10)
    with app.app_context():
        flask_migrate.upgrade()
        session = db.session()
        found = factories.large_study(session, experts=20, questions=4, rounds=1, slug="locked")
        session.commit()
        chunks = exports.table(session, found, "judgments", "csv")
        first = next(chunks)
        writer = sqlite3.connect(path, timeout=0.2, isolation_level=None)
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("UPDATE studies SET title = 'changed while exporting'")
        writer.execute("COMMIT")
        writer.close()
        rest = b"".join(chunks)
        session.rollback()
        db.engine.dispose()
    assert len(_rows(first + rest)) == 1 + 20 * (2 * 1 + 2 * 3)


TEXT = {"question_id", "method", "kind", "name"}
WHOLE = {"round", "n", "rank"}


def _typed(text: str) -> list[dict]:
    """Read a result CSV back as Python values, an empty cell left out of its row.

    Numbers are read as float (``round``, ``n``, ``rank`` as int: a float there
    fails), ``parameters`` as JSON: equal rows are equal floats, not nearly so.
    """
    rows = []
    for row in csv.DictReader(io.StringIO(text, newline="")):
        typed: dict[str, object] = {}
        for key, cell in row.items():
            if cell == "":
                continue
            if key == "parameters":
                typed[key] = json.loads(cell)
            elif key in TEXT:
                typed[key] = cell
            else:
                typed[key] = int(cell) if key in WHOLE else float(cell)
        rows.append(typed)
    return rows


def _unzipped(session, study, tmp_path) -> zipfile.ZipFile:
    archive = zipfile.ZipFile(
        io.BytesIO(b"".join(exports.study_zip(study, exports.study_files(session, study))))
    )
    for name in archive.namelist():
        (tmp_path / name).write_bytes(archive.read(name))
    return archive


@pytest.mark.parametrize(
    "renamed",
    [
        {"Cedar": "@Cedar"},
        {"Cedar": "=Cedar", "alder": "1alder"},  # "1alder" < "=Cedar" but "'=Cedar" < "1alder"
    ],
)
def test_elicit_pool_and_score_on_the_zip_reproduce_its_aggregates_and_scores(
    session, runner, study, tmp_path, renamed
):
    for old, new in renamed.items():
        session.scalar(sa.select(Expert).where(Expert.pseudonym == old)).pseudonym = new
    session.flush()
    archive = _unzipped(session, study, tmp_path)
    exported = _typed(archive.read("aggregates.csv").decode())
    assert {row["round"] for row in exported} == {1, 2}
    assert {"linear", "ArMean", "linear_pool_best_fit", "vincentize"} <= {
        row["method"] for row in exported
    }
    with_interval = [row for row in exported if "low" in row]
    assert len(with_interval) > len(exported) / 2
    assert all(row["low"] <= row["high"] for row in with_interval)
    judgments = str(tmp_path / "judgments.csv")
    for number in (1, 2):
        result = runner.invoke(
            args=["pool", judgments, "--round", str(number), "--bootstrap", "1000"]
            + ["--seed", "12", "--format", "csv"]
        )
        assert result.exit_code == 0, result.output
        assert _typed(result.stdout) == [row for row in exported if row["round"] == number]

    header = archive.read("scores.csv").decode().split("\n")[0]
    assert header == ",".join(calibration.SCORE_COLUMNS)
    scores = _typed(archive.read("scores.csv").decode())
    assert {row["kind"] for row in scores} == {"expert", "method"}
    assert {exports.neutralise(new) for new in renamed.values()} <= {row["name"] for row in scores}
    result = runner.invoke(
        args=["score", judgments, str(tmp_path / "resolutions.csv"), "--round", "2"]
        + ["--format", "csv"]
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.split("\n")[0].split(",") == list(calibration.SCORE_COLUMNS)
    assert _typed(result.stdout) == scores

    manifest = json.loads(archive.read("manifest.json"))
    methods = {entry["file"]: entry for entry in manifest["methods"]}
    digest = {n: hashlib.sha256(archive.read(n)).hexdigest() for n in archive.namelist()}
    pooled = methods["aggregates.csv"]
    assert pooled["data"] == {"judgments.csv": digest["judgments.csv"]}
    assert pooled["bootstrap"] == {"bootstrap": 1000, "level": 0.95, "seed": 12}
    assert pooled["rounds"] == [1, 2]
    assert {(m["method"], json.dumps(m["parameters"])) for m in pooled["methods"]} == {
        (row["method"], json.dumps(row["parameters"])) for row in exported
    }
    scored = methods["scores.csv"]
    assert scored["round"] == 2
    assert scored["data"] == {n: digest[n] for n in ("judgments.csv", "resolutions.csv")}
    assert {m["method"] for m in scored["methods"]} == {
        row["name"] for row in scores if row["kind"] == "method"
    }
    assert methods["consensus.csv"]["data"] == {"judgments.csv": digest["judgments.csv"]}


def test_the_pools_page_json_is_the_exported_round(session, client, study, monkeypatch):
    login(client, study.owner.email, factories.PASSWORD)
    assert session.scalar(sa.select(sa.func.count(RoundPools.id))) == 0
    exported = json.loads(_bytes(session, study, "aggregates", "json"))
    consensus = json.loads(_bytes(session, study, "consensus", "json"))
    assert session.scalar(sa.select(sa.func.count(RoundPools.id))) == 0  # an export stores nothing
    for number in (1, 2):
        got = client.get(f"/analyse/studies/study/pools.json?round={number}").get_json()
        assert got["aggregates"] == [row for row in exported if row["round"] == number]
        assert got["consensus"] == [row for row in consensus if row["round"] == number]
    assert session.scalar(sa.select(sa.func.count(RoundPools.id))) == 2

    def never(*args):
        raise AssertionError("recomputed although the page's stored pools are current")

    monkeypatch.setattr("elicit.analysis.round_pools.compute", never)
    assert json.loads(_bytes(session, study, "aggregates", "json")) == exported
    assert json.loads(_bytes(session, study, "consensus", "json")) == consensus


def test_a_study_with_nothing_resolved_exports_scores_as_a_header(session, study):
    session.execute(sa.delete(Resolution))
    session.flush()
    data = _bytes(session, study, "scores", "csv")
    assert data.decode() == ",".join(calibration.SCORE_COLUMNS) + "\n"
    archive = zipfile.ZipFile(
        io.BytesIO(b"".join(exports.study_zip(study, exports.study_files(session, study))))
    )
    assert archive.read("scores.csv") == data
    methods = {m["file"]: m for m in json.loads(archive.read("manifest.json"))["methods"]}
    assert methods["scores.csv"]["notes"] == [
        "no judged binary or three-point question has resolved"
    ]


def test_downloads_stream_once_the_request_has_let_go_of_its_session(tmp_path):
    """As under a real server: the body is sent after the view's app context (and session) ended.

    The ``client`` fixture keeps one app context open for the whole test, which
    hides this; a client of an app with no context open does not.
    """
    app = make_app(f"sqlite:///{tmp_path / 'stream.sqlite3'}", tmp_path)
    with app.app_context():
        flask_migrate.upgrade()
        session = db.session()
        found = factories.large_study(session, experts=3, questions=2, rounds=1, slug="streamed")
        email = found.owner.email
        session.commit()
        db.session.remove()
    client = app.test_client()
    login(client, email, factories.PASSWORD)
    table = client.get("/analyse/studies/streamed/download/judgments.csv")
    assert table.status_code == 200
    assert len(_rows(table.data)) == 1 + 3 * (1 + 3)
    archive = client.get("/analyse/studies/streamed/download.zip")
    assert archive.status_code == 200
    with zipfile.ZipFile(io.BytesIO(archive.data)) as opened:
        assert opened.read("judgments.csv") == table.data
    with app.app_context():
        db.engine.dispose()
