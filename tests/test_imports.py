"""`elicit import`: existing studies in, from the long CSV, EXCALIBUR and repliCATS files."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa
from numpy.testing import assert_array_equal

from elicit import PROJECT_ROOT
from elicit.analysis import longform, study_data
from elicit.judgments.models import Judgment
from elicit.studies.models import Outcome, QuestionKind, Resolution, Scale, Source, Study
from tests import factories

DATA = PROJECT_ROOT / "elicit" / "demo" / "data"
REPLICATS = DATA / "replicats"
TOBACCO = DATA / "tudelft" / "tobacco.dtt"
OWNER = "fac@example.org"
TABLES = [Study, Judgment, Resolution, Source]


def counts(session):
    session.expire_all()
    return [session.scalar(sa.select(sa.func.count()).select_from(m)) for m in TABLES]


def run_import(runner, *args, slug="imported"):
    return runner.invoke(args=["import", *map(str, args), "--study", slug, "--owner", OWNER])


@pytest.fixture
def owner(session):
    return factories.user(session, email=OWNER)


def find(session, slug):
    session.expire_all()
    return session.scalar(sa.select(Study).where(Study.slug == slug))


def long_csv(table: longform.Judgments, path: Path, *, percent=False) -> Path:
    """Write ``table`` as the long CSV (values exactly, as Python writes floats)."""
    names = {
        longform.P: "p",
        longform.LOWER: "lower",
        longform.BEST: "best",
        longform.UPPER: "upper",
    }
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(longform.COLUMNS)
        for i in range(table.value.size):
            kind = int(table.kind[i])
            element = names.get(kind) or f"q{table.level[i] * 100:g}"
            value = table.value[i] * (100 if percent and kind != longform.QUANTILE else 1)
            writer.writerow(
                [
                    table.questions[table.question[i]],
                    table.experts[table.expert[i]],
                    int(table.round[i]),
                    element,
                    repr(float(value)),
                ]
            )
    return path


def raw_ratings_as_long_csv(path: Path) -> Path:
    """The repliCATS three-point ratings as the long CSV, in percent, as `elicit pool` reads."""
    with (REPLICATS / "data_ratings.csv").open(newline="") as source:
        rows = [r for r in csv.DictReader(source) if r["element"].startswith("three_point_")]
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(longform.COLUMNS)
        for r in rows:
            writer.writerow(
                [
                    r["paper_id"],
                    r["user_name"],
                    r["round"].removeprefix("round_"),
                    r["element"].removeprefix("three_point_"),
                    r["value"],
                ]
            )
    return path


# repliCATS ####################################################################################


def test_replicats_import_reproduces_its_outcomes_rounds_experts_and_rationales(
    runner, session, owner
):
    result = run_import(runner, "replicats", REPLICATS, slug="pilot")
    assert result.exit_code == 0, result.output + result.stderr
    assert "25 experts, 25 questions" in result.output
    study = find(session, "pilot")
    assert [(r.number, r.state.value) for r in study.rounds] == [(1, "closed"), (2, "closed")]
    assert len(study.experts) == 25
    assert {e.panel_group for e in study.experts} == {f"UOM{i}" for i in range(1, 6)}
    assert {q.kind for q in study.questions} == {QuestionKind.BINARY_INTERVAL}
    with (REPLICATS / "data_outcomes.csv").open(newline="") as handle:
        published = {r["paper_id"]: float(r["outcome"]) for r in csv.DictReader(handle)}
    stored = {q.key: q.resolution.outcome for q in study.questions}
    assert len(published) == 25
    assert stored == {
        f"claim-{paper}": Outcome.YES if value == 1 else Outcome.NO
        for paper, value in published.items()
    }
    judgments = session.scalars(
        sa.select(Judgment).join(Judgment.question).where(Judgment.question.has(study_id=study.id))
    ).all()
    assert len(judgments) == 25 * 25 * 2
    # One expert's round-1 reason for claim 100, word for word from data_justifications.csv.
    with (REPLICATS / "data_justifications.csv").open(newline="") as handle:
        reason = next(
            r["justification"]
            for r in csv.DictReader(handle)
            if (r["round"], r["paper_id"], r["user_name"], r["question"])
            == ("round_1", "100", "7l8m7dmjdb", "direct_replication")
        )
    mine = next(
        j
        for j in judgments
        if j.expert.pseudonym == "7l8m7dmjdb"
        and j.question.key == "claim-100"
        and j.round.number == 1
    )
    assert mine.rationale.startswith(reason.strip())
    assert (mine.lower, mine.probability, mine.upper) == (0.3, 0.4, mine.upper)
    assert all(j.revisions[0].rationale == j.rationale for j in judgments[:50])


def test_replicats_import_stores_exactly_the_twelve_justification_votes(runner, session, owner):
    with (REPLICATS / "data_justifications.csv").open(newline="") as handle:
        published = [
            (
                r["paper_id"],
                r["user_name"],
                int(r["round"].removeprefix("round_")),
                r["question"],
                float(r["vote_count"]),
                float(r["vote_sum"]),
            )
            for r in csv.DictReader(handle)
            if float(r["vote_count"]) != 0
        ]
    assert len(published) == 12
    result = run_import(runner, "replicats", REPLICATS, slug="pilot")
    assert result.exit_code == 0, result.output + result.stderr
    assert "12 voted rationale part(s)" in result.output
    study = find(session, "pilot")
    voted = session.scalars(
        sa.select(Judgment).where(
            Judgment.question.has(study_id=study.id), Judgment.rationale_votes.is_not(None)
        )
    ).all()
    stored = [
        (j.question.key.removeprefix("claim-"), j.expert.pseudonym, j.round.number, v["part"])
        + (v["count"], v["sum"])
        for j in voted
        for v in j.rationale_votes
    ]
    assert sorted(stored) == sorted(published)
    # Two of the twelve are on two parts of one rationale: eleven judgments hold them.
    assert len(voted) == 11


def test_bad_votes_are_problems(runner, session, owner, tmp_path):
    folder = tmp_path / "replicats"
    shutil.copytree(REPLICATS, folder)
    path = folder / "data_justifications.csv"
    line = path.read_bytes().count(b"\n") + 1
    with path.open("a") as handle:
        handle.write("round_1,100,7l8m7dmjdb,comprehension,x,y,one,1,UOM1\n")
        handle.write("round_1,101,7l8m7dmjdb,comprehension,x,y,1.5,1,UOM1\n")
        handle.write("round_1,102,7l8m7dmjdb,comprehension,x,y,1,3,UOM1\n")
    before = counts(session)
    result = run_import(runner, "replicats", folder)
    assert result.exit_code == 2
    assert f"{path}:{line}: vote_count 'one' or vote_sum '1' is not a number" in result.stderr
    assert f"{path}:{line + 1}: vote_count '1.5' is not a whole number" in result.stderr
    assert f"{path}:{line + 2}: vote_sum 3 is beyond what 1 vote(s) can add up to" in result.stderr
    assert counts(session) == before


def test_replicats_aggrecat_values_from_the_study_equal_elicit_pool_on_the_raw_ratings(
    runner, session, owner, tmp_path
):
    assert run_import(runner, "replicats", REPLICATS, slug="pilot").exit_code == 0
    study = find(session, "pilot")
    from_study = long_csv(study_data.judgments(session, study), tmp_path / "study.csv")
    raw = raw_ratings_as_long_csv(tmp_path / "raw.csv")

    def pooled(path, *extra):
        result = runner.invoke(args=["pool", str(path), *extra, "--format", "json"])
        assert result.exit_code == 0, result.stderr
        return {(r["question_id"], r["method"]): r for r in json.loads(result.stdout)}

    from_db = pooled(from_study)
    expected = pooled(raw, "--percent")
    assert len(expected) >= 25 * 20
    assert {(f"claim-{q}", m) for q, m in expected} == set(from_db)
    for (question, method), row in expected.items():
        assert from_db[f"claim-{question}", method]["value"] == row["value"], (question, method)


# EXCALIBUR ###################################################################################


def test_excalibur_import_gives_the_cooke_results_of_elicit_cooke(runner, session, owner):
    from elicit.core import cooke

    result = run_import(runner, "excalibur", TOBACCO, slug="tobacco")
    assert result.exit_code == 0, result.output + result.stderr
    study = find(session, "tobacco")
    questions = study.questions
    assert len(questions) == 21 and sum(q.calibration for q in questions) == 10
    assert {q.scale for q in questions} == {Scale.LINEAR}
    assert not any(q.resolution for q in questions)
    table = study_data.judgments(session, study)
    levels, values = longform.quantiles(table)
    order = [table.questions.index(q.key) for q in questions]
    outcomes = study_data.outcomes(session, study, [q.key for q in questions])
    log = np.array([q.scale is Scale.LOG for q in questions])
    answers = np.ascontiguousarray(values[:, order])  # the layout the EXCALIBUR reader gives
    model = cooke.classical_model(answers, outcomes.value, levels, log, overshoot=0.1)

    offline = runner.invoke(args=["cooke", str(TOBACCO), "--format", "json"])
    assert offline.exit_code == 0, offline.stderr
    rows = json.loads(offline.stdout)
    experts = [r for r in rows if r["record"] == "expert"]
    assert [r["name"] for r in experts] == table.experts
    for field, ours in (
        ("calibration", model.calibration),
        ("information_all", model.information_all),
        ("information_seeds", model.information_seeds),
        ("weight", model.weights),
    ):
        assert_array_equal([r[field] for r in experts], ours, err_msg=field)
    dm = [r for r in rows if r["record"] == "dm_quantiles"]
    assert_array_equal([[r[f"q{p}"] for p in (5, 25, 50, 75, 95)] for r in dm], model.dm.quantiles)
    assert experts[0]["parameters"]["alpha"] == model.alpha


# Bad files ###################################################################################


def test_a_bad_long_csv_is_reported_line_by_line_and_nothing_is_saved(
    runner, session, owner, tmp_path
):
    path = tmp_path / "bad.csv"
    path.write_text(
        "question_id,expert_id,round,element,value\n"
        "a,E1,1,p,0.2\n"
        "a,E2,1,p,lots\n"  # 3: not a number
        "b,E1,1,lower,0.1\n"
        "b,E1,1,best,0.3\n"
        "a,E3,0,p,0.5\n",  # 6: round 0
        encoding="utf-8",
    )
    outcomes = tmp_path / "outcomes.csv"
    outcomes.write_text("question_id,outcome\na,yes\nzzz,no\na,maybe\n", encoding="utf-8")
    before = counts(session)
    result = run_import(runner, "long", path, outcomes)
    assert result.exit_code == 2
    assert f"{path}:3: value 'lots' is not a number" in result.stderr
    assert f"{path}:6: round 0 must be 1 or more" in result.stderr
    assert f"{outcomes}:3: question 'zzz' has no judgments" in result.stderr
    assert f"{outcomes}:4:" in result.stderr
    assert "nothing was imported" in result.stderr
    assert counts(session) == before

    path.write_text(
        "question_id,expert_id,round,element,value\n"
        "a,E1,1,p,0.2\n"
        "a,E2,1,lower,0.1\n"  # 3: a binary question answered in three points
        "b,E1,1,lower,0.1\n"
        "b,E1,1,best,0.3\n"  # 4: no upper
        "c,E1,1,q05,3\n"
        "c,E1,1,q95,2\n",  # 6: quantiles that fall
        encoding="utf-8",
    )
    result = run_import(runner, "long", path)
    assert result.exit_code == 2
    assert f"{path}:3: question 'a' is answered as binary on {path}:2" in result.stderr
    assert f"{path}:4: no upper" in result.stderr
    assert f"{path}:6: quantiles do not increase" in result.stderr
    assert counts(session) == before


def test_bad_replicats_files_report_every_bad_line_and_save_nothing(
    runner, session, owner, tmp_path
):
    folder = tmp_path / "replicats"
    shutil.copytree(REPLICATS, folder)
    ratings = folder / "data_ratings.csv"
    lines = ratings.read_text().splitlines()
    first = next(i for i, line in enumerate(lines) if ",three_point_best," in line)
    lines[first] = lines[first].replace(",40.0,", ",forty,")
    second = next(i for i, line in enumerate(lines) if ",three_point_upper," in line)
    lines[second] = lines[second].replace("round_1", "round_one")
    ratings.write_text("\n".join(lines) + "\n")
    stranger = (folder / "data_justifications.csv").read_bytes().count(b"\n") + 1
    with (folder / "data_justifications.csv").open("a") as handle:
        handle.write("round_1,100,stranger,direct_replication,hello,x,0.0,0.0,UOM1\n")
    with (folder / "data_outcomes.csv").open("a") as handle:
        handle.write("999,1.0\n100,0.5\n")
    before = counts(session)
    dry = runner.invoke(
        args=["import", "replicats", str(folder), "--study", "p", "--owner", OWNER, "--dry-run"]
    )
    result = run_import(runner, "replicats", folder)
    for output in (dry, result):
        assert output.exit_code == 2
        errors = output.stderr
        assert f"{ratings}:{first + 1}: value 'forty' is not a number" in errors
        assert f"{ratings}:{second + 1}: round 'round_one' is not round_1" in errors
        assert f"data_justifications.csv:{stranger}: expert 'stranger' has no ratings" in errors
        assert "data_outcomes.csv:27: claim '999' has no ratings" in errors
        assert "data_outcomes.csv:28: claim '100' appears again" in errors
    assert counts(session) == before


def test_a_missing_column_is_a_problem(runner, session, owner, tmp_path):
    ratings = tmp_path / "data_ratings.csv"
    ratings.write_text("round,paper_id,user_name,value\nround_1,1,a,3\n")
    result = run_import(runner, "replicats", ratings)
    assert result.exit_code == 2
    assert f"{ratings}:1: missing column(s) element" in result.stderr


def test_bad_excalibur_lines_are_all_named(runner, session, owner, tmp_path):
    dtt = tmp_path / "t.dtt"
    lines = TOBACCO.read_text(encoding="cp1252").splitlines()
    lines[3] = lines[3][:35] + "XYZ" + lines[3][38:]  # line 4: an unknown scale
    lines[10] = lines[10][:40] + "oops" + lines[10][53:]  # line 11: not a number
    dtt.write_text("\n".join(lines) + "\n", encoding="cp1252")
    shutil.copy(TOBACCO.with_suffix(".rls"), tmp_path / "t.rls")
    before = counts(session)
    result = run_import(runner, "excalibur", dtt)
    assert result.exit_code == 2
    assert f"{dtt}:4: scale 'XYZ' is neither UNI nor LOG" in result.stderr
    assert f"{dtt}:11: 'oops' is not a number" in result.stderr
    assert counts(session) == before


def test_excalibur_files_that_are_not_windows_1252_are_named(runner, session, owner, tmp_path):
    dtt = tmp_path / "t.dtt"
    data = TOBACCO.read_bytes().split(b"\n")
    data[5] = data[5][:20] + b"\x81" + data[5][21:]
    dtt.write_bytes(b"\n".join(data))
    shutil.copy(TOBACCO.with_suffix(".rls"), tmp_path / "t.rls")
    result = run_import(runner, "excalibur", dtt)
    assert result.exit_code == 2
    assert f"{dtt}:6: byte 0x81 is not Windows-1252 text" in result.stderr
    assert "t.rls" not in result.stderr


def test_dry_run_reports_and_saves_nothing(runner, session, owner):
    before = counts(session)
    result = runner.invoke(
        args=["import", "excalibur", str(TOBACCO), "--study", "t", "--owner", OWNER, "--dry-run"]
    )
    assert result.exit_code == 0, result.stderr
    assert "7 experts, 21 questions (10 calibration" in result.output
    assert "Dry run" in result.output
    assert counts(session) == before


def test_a_taken_slug_or_an_analyst_owner_is_refused(runner, session, owner):
    factories.study(session, owner=owner, slug="taken")
    result = run_import(runner, "excalibur", TOBACCO, slug="taken")
    assert result.exit_code == 2 and "a study called 'taken' already exists" in result.stderr
    factories.user(session, email="ana@example.org", role=factories.Role.ANALYST)
    result = runner.invoke(
        args=["import", "excalibur", str(TOBACCO), "--study", "new", "--owner", "ana@example.org"]
    )
    assert result.exit_code == 2 and "cannot own a study" in result.stderr
    assert find(session, "new") is None


# The long CSV round trip #####################################################################


def test_a_study_exported_as_the_long_csv_imports_as_the_same_judgments(
    runner, session, owner, tmp_path
):
    """Long CSV in: binary, three-point and quantity questions, rationales and times kept."""
    path = tmp_path / "judgments.csv"
    path.write_text(
        "question_id,expert_id,round,element,value,time,rationale\n"
        'nato-2027,E01,1,p,0.35,2025-03-01T14:30:00Z,"Slow, as always"\n'
        "nato-2027,E02,1,p,0.5,2025-03-01T15:00:00Z,\n"
        "nato-2027,E01,2,p,0.3,2025-03-08T09:00:00Z,Moved down\n"
        "elsa-2027,E01,1,lower,0.2,2025-03-01T14:30:00Z,\n"
        "elsa-2027,E01,1,best,0.35,2025-03-01T14:30:00Z,\n"
        "elsa-2027,E01,1,upper,0.5,2025-03-01T14:30:00Z,\n"
        "allies,E02,1,q05,22,2025-03-01T15:00:00Z,\n"
        "allies,E02,1,q50,27,2025-03-01T15:00:00Z,\n"
        "allies,E02,1,q95,31,2025-03-01T15:00:00Z,\n",
        encoding="utf-8",
    )
    outcomes = tmp_path / "outcomes.csv"
    outcomes.write_text("question_id,outcome\nnato-2027,no\nallies,25.5\n", encoding="utf-8")
    result = run_import(runner, "long", path, outcomes, slug="roundtrip")
    assert result.exit_code == 0, result.output + result.stderr
    study = find(session, "roundtrip")
    table = study_data.judgments(session, study)
    given = longform.read_judgments(path)
    again = longform.read_judgments(long_csv(table, tmp_path / "again.csv"))
    assert again.questions == given.questions and again.experts == given.experts
    key = lambda t: sorted(  # noqa: E731
        zip(
            [t.questions[q] for q in t.question],
            [t.experts[e] for e in t.expert],
            t.round.tolist(),
            t.kind.tolist(),
            t.value.tolist(),
            strict=True,
        )
    )
    assert key(again) == key(given)
    kinds = {q.key: q.kind for q in study.questions}
    assert kinds == {
        "nato-2027": QuestionKind.BINARY,
        "elsa-2027": QuestionKind.BINARY_INTERVAL,
        "allies": QuestionKind.QUANTITY,
    }
    out = study_data.outcomes(session, study, ["allies", "elsa-2027", "nato-2027"])
    assert out.value[0] == 25.5 and np.isnan(out.value[1]) and out.value[2] == 0
    rationales = {
        (j.expert.pseudonym, j.round.number): j.rationale
        for j in session.scalars(sa.select(Judgment).where(Judgment.question.has(key="nato-2027")))
    }
    assert rationales[("E01", 1)] == "Slow, as always" and rationales[("E01", 2)] == "Moved down"
    first, second = study.rounds
    assert first.opened_at.isoformat().startswith("2025-03-01T14:30")
    assert second.closed_at.isoformat().startswith("2025-03-08T09:00")


def test_an_invisible_format_character_in_an_imported_rationale_is_a_problem(
    runner, session, owner, tmp_path
):
    """A rationale holding U+202E (shown reversed to the panel) is refused, as typed ones are."""
    path = tmp_path / "judgments.csv"
    path.write_text(
        "question_id,expert_id,round,element,value,rationale\n"
        "nato-2027,E01,1,p,0.35,Plain reasons\n"
        "nato-2027,E02,1,p,0.5,Looks \u202efine\n",
        encoding="utf-8",
    )
    before = counts(session)
    result = run_import(runner, "long", path)
    assert result.exit_code == 2
    assert f"{path}:3: the rationale holds an invisible format character" in result.stderr
    assert "U+202E RIGHT-TO-LEFT OVERRIDE" in result.stderr and "at character 7" in result.stderr
    assert f"{path}:2" not in result.stderr
    assert counts(session) == before
