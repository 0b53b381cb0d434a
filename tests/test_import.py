"""Importing question sets: all or nothing, from the service and from ``elicit questions``."""

import copy

import sqlalchemy as sa
import yaml

from elicit import PROJECT_ROOT
from elicit.audit import AuditEvent
from elicit.studies import question_sets
from elicit.studies.models import Question, Source, Study
from elicit.studies.services import import_question_sets
from tests import factories
from tests.conftest import SEEDS
from tests.test_question_sets import SET, write_set

BUNDLED = PROJECT_ROOT / "question_sets"


def count(session, model) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(model))


def test_service_imports_every_question_with_its_fields(session):
    study = factories.study(session)
    sets, sources = question_sets.load(BUNDLED)
    added = import_question_sets(session, study, sets, sources)
    assert len(added) == sum(len(s.questions) for s in sets)
    assert [q.position for q in study.questions] == list(range(1, len(added) + 1))
    calibration = next(q for q in added if q.calibration and q.unit)
    assert calibration.realization is not None and calibration.quantiles == [0.05, 0.5, 0.95]
    assert calibration.source.sha256 == sources[calibration.source.key].sha256
    assert count(session, Source) == 2


def test_cli_validate_reports_success_and_checks_quotes(runner):
    args = ["questions", "validate", str(BUNDLED)]
    if SEEDS.is_dir():
        args += ["--sources", str(SEEDS)]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output + result.stderr
    assert "2 set(s)" in result.output and "valid" in result.output


def test_cli_validate_exits_2_with_every_problem(runner, tmp_path):
    data = copy.deepcopy(SET)
    data["sections"][0]["questions"][0]["source"] = "nowhere"
    data["sections"][0]["questions"][1]["quantiles"] = [0.5, 0.2, 0.9]
    path = write_set(tmp_path, data)
    result = runner.invoke(args=["questions", "validate", str(path)])
    assert result.exit_code == 2
    assert f"{path}: will-it: source: unknown source 'nowhere'" in result.stderr
    assert f"{path}: how-many: quantiles:" in result.stderr
    assert "2 problem(s) found; nothing was imported" in result.stderr


def test_cli_import_creates_the_study_and_records_it(runner, session):
    factories.user(session)
    result = runner.invoke(
        args=[
            "questions",
            "import",
            str(BUNDLED),
            "--study",
            "ukraine",
            "--owner",
            "fac@example.org",
        ]
    )
    assert result.exit_code == 0, result.stderr
    study = session.scalar(sa.select(Study).where(Study.slug == "ukraine"))
    assert len(study.questions) >= 23
    assert f"Imported {len(study.questions)} question(s)" in result.output
    actions = session.scalars(sa.select(AuditEvent.action).where(AuditEvent.study_id == study.id))
    assert set(actions) == {"study.create", "questions.import"}


def test_import_is_all_or_nothing_when_one_file_is_bad(runner, session, tmp_path):
    factories.user(session)
    write_set(tmp_path)
    bad = copy.deepcopy(SET)
    bad["id"] = "b-set"
    bad["sections"][0]["questions"] = [
        dict(SET["sections"][0]["questions"][0], id="other", kind="poll")
    ]
    write_set(tmp_path, bad, name="b-set.yaml")
    result = runner.invoke(
        args=["questions", "import", str(tmp_path), "--study", "st1", "--owner", "fac@example.org"]
    )
    assert result.exit_code == 2
    assert "other: kind:" in result.stderr
    assert count(session, Question) == 0 and count(session, Study) == 0


def test_reimporting_the_same_questions_changes_nothing(runner, session, tmp_path):
    owner = factories.user(session)
    path = write_set(tmp_path)
    first = runner.invoke(
        args=["questions", "import", str(path), "--study", "st1", "--owner", owner.email]
    )
    assert first.exit_code == 0, first.stderr
    before = count(session, Question), count(session, AuditEvent)
    second = runner.invoke(
        args=["questions", "import", str(path), "--study", "st1", "--title", "X"]
    )
    assert second.exit_code == 2
    assert "already has questions how-many, will-it; nothing was imported" in second.stderr
    assert "--owner and --title apply only to a new study" in second.stderr
    session.expire_all()
    assert (count(session, Question), count(session, AuditEvent)) == before


def test_a_database_error_midway_rolls_back_the_whole_import(session, app, tmp_path):
    """The import runs in one transaction: a failure on the last row leaves no rows behind."""
    from elicit.unit_of_work import transaction

    owner = factories.user(session)
    study = factories.study(session, owner)
    sets, sources = question_sets.load(write_set(tmp_path))
    sets[0].questions[-1].close_date = sets[0].questions[-1].resolve_by.replace(year=2099)
    try:
        with transaction() as tx:
            import_question_sets(tx, study, sets, sources)
    except sa.exc.IntegrityError:
        pass
    else:
        raise AssertionError("the CHECK constraint on dates should have refused the last row")
    assert count(session, Question) == 0


def test_import_needs_an_owner_for_a_new_study(runner, tmp_path):
    path = write_set(tmp_path)
    result = runner.invoke(args=["questions", "import", str(path), "--study", "new"])
    assert result.exit_code == 2
    assert "there is no study 'new'; give --owner" in result.stderr
    unknown = runner.invoke(
        args=["questions", "import", str(path), "--study", "new", "--owner", "x@y.z"]
    )
    assert unknown.exit_code == 2 and "there is no user 'x@y.z'" in unknown.stderr


def test_a_source_key_cannot_change_its_document(runner, session, tmp_path):
    owner = factories.user(session)
    path = write_set(tmp_path)
    assert (
        runner.invoke(
            args=["questions", "import", str(path), "--study", "st1", "--owner", owner.email]
        ).exit_code
        == 0
    )
    other = tmp_path / "other"
    other.mkdir()
    source = yaml.safe_load((tmp_path / "sources" / "doc.yaml").read_text())
    changed = write_set(other, dict(SET, id="c-set"), source={**source, "sha256": "1" * 64})
    text = changed.read_text().replace("will-it", "will-it-2").replace("how-many", "how-many-2")
    changed.write_text(text)
    result = runner.invoke(args=["questions", "import", str(changed), "--study", "st1"])
    assert result.exit_code == 2
    assert "source 'doc' is stored with SHA-256" in result.stderr
