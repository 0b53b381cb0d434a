"""Resolving questions (service and ``elicit questions resolve``), scoring the record, and
which questions a round still asks."""

from datetime import date

import pytest
import sqlalchemy as sa

from elicit.accounts.models import Role
from elicit.analysis.expert_record import expert_record
from elicit.audit import AuditEvent
from elicit.errors import DomainError
from elicit.judgments.rules import Answer
from elicit.judgments.submission import record_judgment
from elicit.panels.services import add_expert
from elicit.rounds.services import close_round, create_round, open_round, round_questions
from elicit.studies.models import Outcome, QuestionKind, Resolution
from elicit.studies.services import resolve_question
from tests import factories

ON = date(2026, 11, 1)


def count(session, model) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(model))


@pytest.fixture
def study(session):
    return factories.study(session)


def resolve(session, question, **fields):
    fields = {"source": "https://news.test/item", "resolved_on": ON, **fields}
    return resolve_question(session, question, actor=question.study.owner, **fields)


# --- the service ------------------------------------------------------------------------------


@pytest.mark.parametrize("outcome", list(Outcome))
@pytest.mark.parametrize("kind", [QuestionKind.BINARY, QuestionKind.BINARY_INTERVAL])
def test_a_binary_question_resolves_to_an_outcome(session, study, kind, outcome):
    question = factories.question(session, study, kind=kind)
    resolution = resolve(session, question, outcome=outcome, source="  the gazette  ")
    assert question.resolution is resolution
    assert (resolution.outcome, resolution.value) == (outcome, None)
    assert resolution.source == "the gazette"
    assert resolution.resolved_on == ON
    assert resolution.resolved_by is study.owner
    event = session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "question.resolve")
    ).one()
    assert (event.study_id, event.target, event.actor_id) == (
        study.id,
        question.key,
        study.owner.id,
    )
    assert event.details == {"outcome": outcome.value, "value": None}


@pytest.mark.parametrize(
    ("bounds", "value"),
    [
        ({}, -3.5),
        ({}, 1e12),
        ({"lower_bound": 0.0, "upper_bound": 100.0}, 0.0),
        ({"lower_bound": 0.0, "upper_bound": 100.0}, 100.0),
        ({"lower_bound": 0.0}, 42.5),
    ],
)
def test_a_quantity_resolves_to_a_value_within_its_bounds(session, study, bounds, value):
    question = factories.question(session, study, kind=QuestionKind.QUANTITY, **bounds)
    resolution = resolve(session, question, value=value)
    assert (resolution.outcome, resolution.value) == (None, value)
    event = session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "question.resolve")
    ).one()
    assert event.details == {"outcome": None, "value": value}


@pytest.mark.parametrize(
    ("kind", "fields", "message"),
    [
        (QuestionKind.BINARY, {"value": 1.0}, "q1 resolves to yes, no or annulled"),
        (
            QuestionKind.BINARY,
            {"value": 1.0, "outcome": Outcome.YES},
            "q1 resolves to yes, no or annulled",
        ),
        (QuestionKind.BINARY, {}, "q1 resolves to yes, no or annulled"),
        (QuestionKind.BINARY_INTERVAL, {"value": 0.3}, "q1 resolves to yes, no or annulled"),
        (QuestionKind.QUANTITY, {"outcome": Outcome.YES}, "q1 resolves to a number"),
        (
            QuestionKind.QUANTITY,
            {"outcome": Outcome.ANNULLED, "value": 3.0},
            "q1 resolves to a number",
        ),
        (QuestionKind.QUANTITY, {}, "q1 resolves to a number"),
        (QuestionKind.QUANTITY, {"value": float("nan")}, "q1 resolves to a number"),
        (QuestionKind.QUANTITY, {"value": float("inf")}, "q1 resolves to a number"),
    ],
)
def test_the_wrong_kind_of_answer_is_refused(session, study, kind, fields, message):
    question = factories.question(session, study, kind=kind)
    with pytest.raises(DomainError, match=f"^{message}$") as caught:
        resolve(session, question, **fields)
    assert caught.value.code == "invalid_resolution"
    assert count(session, Resolution) == 0


@pytest.mark.parametrize(
    ("value", "message"),
    [(-0.5, "-0.5 is outside the question's bounds"), (101.0, "101 is outside")],
)
def test_a_value_out_of_bounds_is_refused(session, study, value, message):
    question = factories.question(
        session, study, kind=QuestionKind.QUANTITY, lower_bound=0.0, upper_bound=100.0
    )
    with pytest.raises(DomainError, match=message) as caught:
        resolve(session, question, value=value)
    assert caught.value.code == "invalid_resolution"
    assert question.resolution is None


@pytest.mark.parametrize("source", ["", "   ", "\n\t"])
def test_an_empty_source_is_refused(session, study, source):
    question = factories.question(session, study)
    with pytest.raises(DomainError, match=r"say where the resolution comes from") as caught:
        resolve(session, question, outcome=Outcome.YES, source=source)
    assert caught.value.code == "missing_source"
    assert count(session, Resolution) == 0


def test_a_question_resolves_only_once(session, study):
    question = factories.question(session, study)
    resolve(session, question, outcome=Outcome.NO)
    with pytest.raises(DomainError, match="question q1 has already resolved") as caught:
        resolve(session, question, outcome=Outcome.YES)
    assert caught.value.code == "already_resolved"
    assert question.resolution.outcome is Outcome.NO
    assert count(session, Resolution) == 1
    assert (
        session.scalar(sa.select(sa.func.count()).where(AuditEvent.action == "question.resolve"))
        == 1
    )


def test_the_database_refuses_both_or_neither_outcome_and_value(session, study):
    question = factories.question(session, study)
    session.add(Resolution(question=question, source="x", resolved_on=ON, resolved_by=study.owner))
    with pytest.raises(sa.exc.IntegrityError):
        session.flush()


def test_an_analyst_cannot_resolve_a_question(session, study):
    """Analysts only read (see ``Role``); resolving decides every expert's score.

    ``create_study`` refuses owners who are not facilitators or admins;
    ``resolve_question`` checks no role at all, so ``--by analyst@...`` works.
    """
    analyst = factories.user(session, email="ana@example.org", role=Role.ANALYST, name="Ana")
    question = factories.question(session, study)
    with pytest.raises(DomainError) as caught:
        resolve_question(
            session, question, outcome=Outcome.YES, source="x", resolved_on=ON, actor=analyst
        )
    assert caught.value.code == "forbidden"
    assert count(session, Resolution) == 0


# --- the command --------------------------------------------------------------------------------


def cli(runner, *args, by="fac@example.org", source="https://news.test/item"):
    command = ["questions", "resolve", *args]
    if source is not None:
        command += ["--source", source]
    if by is not None:
        command += ["--by", by]
    return runner.invoke(args=command)


@pytest.fixture
def questions(session, study):
    binary = factories.question(session, study, key="will-it")
    quantity = factories.question(
        session, study, key="how-many", kind=QuestionKind.QUANTITY, lower_bound=0.0
    )
    session.commit()  # a refused command rolls back only its own work
    return binary, quantity


def test_cli_resolves_a_binary_question(runner, session, study, questions):
    binary, _ = questions
    result = cli(runner, "study", "will-it", "--outcome", "yes", "--on", "2026-10-05")
    assert result.exit_code == 0, result.stderr
    assert "Resolved will-it in study 'study'." in result.output
    session.expire_all()
    resolution = session.scalars(sa.select(Resolution)).one()
    assert resolution.question_id == binary.id
    assert (resolution.outcome, resolution.value) == (Outcome.YES, None)
    assert resolution.resolved_on == date(2026, 10, 5)
    assert resolution.source == "https://news.test/item"
    assert resolution.resolved_by.email == "fac@example.org"


def test_cli_resolves_a_quantity_today_by_default(runner, session, study, questions):
    _, quantity = questions
    result = cli(runner, "study", "how-many", "--value", "1234.5")
    assert result.exit_code == 0, result.stderr
    session.expire_all()
    resolution = session.scalars(sa.select(Resolution)).one()
    assert resolution.question_id == quantity.id
    assert (resolution.outcome, resolution.value) == (None, 1234.5)
    assert resolution.resolved_on == date.today()


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        (
            ["study", "will-it", "--value", "1"],
            {},
            "error: will-it resolves to yes, no or annulled",
        ),
        (["study", "will-it"], {}, "error: will-it resolves to yes, no or annulled"),
        (["study", "how-many", "--outcome", "no"], {}, "error: how-many resolves to a number"),
        (["study", "how-many", "--value", "-1"], {}, "error: -1 is outside the question's bounds"),
        (["study", "how-many", "--value", "nan"], {}, "error: how-many resolves to a number"),
        (
            ["study", "will-it", "--outcome", "yes"],
            {"source": "  "},
            "error: say where the resolution comes from",
        ),
        (["nope", "will-it", "--outcome", "yes"], {}, "error: there is no study 'nope'"),
        (
            ["study", "wont-it", "--outcome", "yes"],
            {},
            "error: study 'study' has no question 'wont-it'",
        ),
        (
            ["study", "will-it", "--outcome", "yes"],
            {"by": "who@example.org"},
            "error: there is no user 'who@example.org'",
        ),
    ],
)
def test_cli_refuses_bad_input_with_status_2(runner, session, questions, args, kwargs, message):
    result = cli(runner, *args, **kwargs)
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Resolved" not in result.output
    session.expire_all()
    assert count(session, Resolution) == 0
    assert (
        session.scalar(sa.select(sa.func.count()).where(AuditEvent.action == "question.resolve"))
        == 0
    )


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [
        (["study", "will-it", "--outcome", "maybe"], {}),
        (["study", "how-many", "--value", "lots"], {}),
        (["study", "will-it", "--outcome", "yes", "--on", "5 Oct 2026"], {}),
        (["study", "will-it", "--outcome", "yes"], {"source": None}),
        (["study", "will-it", "--outcome", "yes"], {"by": None}),
    ],
)
def test_cli_refuses_malformed_options_with_status_2(runner, session, questions, args, kwargs):
    result = cli(runner, *args, **kwargs)
    assert result.exit_code == 2
    assert result.stderr.strip()
    session.expire_all()
    assert count(session, Resolution) == 0


def test_cli_refuses_to_resolve_twice(runner, session, questions):
    assert cli(runner, "study", "will-it", "--outcome", "no").exit_code == 0
    again = cli(runner, "study", "will-it", "--outcome", "yes")
    assert again.exit_code == 2
    assert "error: question will-it has already resolved" in again.stderr
    session.expire_all()
    assert session.scalars(sa.select(Resolution.outcome)).all() == [Outcome.NO]


# --- the expert's record ------------------------------------------------------------------------


@pytest.fixture
def answered(session, study):
    """An expert who answered five questions over two rounds, and a second expert."""
    q = {
        "yes": factories.question(session, study, key="yes"),
        "interval": factories.question(
            session, study, key="interval", kind=QuestionKind.BINARY_INTERVAL
        ),
        "qty": factories.question(session, study, key="qty", kind=QuestionKind.QUANTITY),
        "annulled": factories.question(session, study, key="annulled"),
        "open": factories.question(session, study, key="open"),
        "open-qty": factories.question(session, study, key="open-qty", kind=QuestionKind.QUANTITY),
    }
    expert = add_expert(session, study, pseudonym="Alder", name="A", email="a@example.org")
    other = add_expert(session, study, pseudonym="Birch", name="B", email="b@example.org")
    first = create_round(session, study)
    open_round(session, first)
    record_judgment(session, expert, q["yes"], first, Answer(probability=0.3))
    record_judgment(
        session, expert, q["interval"], first, Answer(lower=0.1, probability=0.2, upper=0.5)
    )
    record_judgment(session, expert, q["qty"], first, Answer(quantile_values=[10, 40, 60]))
    record_judgment(session, expert, q["annulled"], first, Answer(probability=0.9))
    record_judgment(session, expert, q["open"], first, Answer(probability=0.7))
    record_judgment(session, expert, q["open-qty"], first, Answer(quantile_values=[1, 2, 3]))
    record_judgment(session, other, q["yes"], first, Answer(probability=0.99))
    close_round(session, first)
    second = create_round(session, study)
    open_round(session, second)
    record_judgment(session, expert, q["yes"], second, Answer(probability=0.6))
    record_judgment(session, expert, q["qty"], second, Answer(quantile_values=[1, 2, 3]))
    return q, expert, other


def entries(records):
    return {r.question.key: [(e.round_number, e.brier, e.hit) for e in r.entries] for r in records}


def test_nothing_is_scored_before_questions_resolve(session, answered):
    q, expert, _ = answered
    records = expert_record(session, expert)
    assert [r.question.key for r in records] == [
        "yes",
        "interval",
        "qty",
        "annulled",
        "open",
        "open-qty",
    ]
    assert entries(records)["yes"] == [(1, None, None), (2, None, None)]
    assert all(e.brier is None and e.hit is None for r in records for e in r.entries)


def test_the_record_scores_each_round_of_resolved_questions(session, answered):
    q, expert, other = answered
    resolve(session, q["yes"], outcome=Outcome.YES)
    resolve(session, q["interval"], outcome=Outcome.NO)
    resolve(session, q["qty"], value=50.0)
    resolve(session, q["annulled"], outcome=Outcome.ANNULLED)
    records = expert_record(session, expert)
    got = entries(records)
    assert [r for r, _, _ in got["yes"]] == [1, 2]
    assert [b for _, b, _ in got["yes"]] == pytest.approx([0.49, 0.16])
    assert [h for _, _, h in got["yes"]] == [None, None]
    assert got["interval"][0][1] == pytest.approx(0.04)
    assert got["qty"] == [(1, None, True), (2, None, False)]
    assert got["annulled"] == [(1, None, None)]
    assert got["open"] == [(1, None, None)]
    assert got["open-qty"] == [(1, None, None)]
    # each entry carries the judgment it scores
    yes = next(r for r in records if r.question.key == "yes")
    assert [e.judgment.probability for e in yes.entries] == [0.3, 0.6]
    assert all(e.judgment.expert_id == expert.id for r in records for e in r.entries)
    # the other expert's record holds only their own answer, scored on its own
    (theirs,) = expert_record(session, other)
    assert theirs.question.key == "yes"
    assert [(e.round_number, e.brier) for e in theirs.entries] == [(1, pytest.approx(0.0001))]


def test_the_ends_of_a_range_count_as_hits(session, study):
    question = factories.question(session, study, kind=QuestionKind.QUANTITY)
    expert = add_expert(session, study, pseudonym="Alder", name="A", email="a@example.org")
    round_ = create_round(session, study)
    open_round(session, round_)
    record_judgment(session, expert, question, round_, Answer(quantile_values=[50, 60, 70]))
    resolve(session, question, value=50.0)
    ((entry,),) = [r.entries for r in expert_record(session, expert)]
    assert entry.hit is True and entry.brier is None


def test_an_expert_without_answers_has_an_empty_record(session, study):
    expert = add_expert(session, study, pseudonym="Alder", name="A", email="a@example.org")
    factories.question(session, study)
    assert expert_record(session, expert) == []


# --- which questions a round asks -------------------------------------------------------------


def test_a_round_asks_open_unresolved_questions_in_order(session, study):
    later = factories.question(session, study, key="later", close_date=date(2026, 12, 31))
    closes = factories.question(session, study, key="closes", close_date=date(2026, 6, 30))
    resolved = factories.question(session, study, key="resolved", close_date=date(2026, 12, 31))
    factories.question(session, study, key="first", position=0, close_date=date(2026, 12, 31))
    other_study = factories.study(session, study.owner, slug="other")
    factories.question(session, other_study, key="elsewhere", close_date=date(2026, 12, 31))
    resolve(session, resolved, outcome=Outcome.YES)
    round_ = create_round(session, study)

    def asked(today):
        return [q.key for q in round_questions(session, round_, today=today)]

    assert asked(date(2026, 6, 1)) == ["first", "later", "closes"]
    assert asked(date(2026, 6, 30)) == ["first", "later", "closes"]  # open on its close date
    assert asked(date(2026, 7, 1)) == ["first", "later"]
    assert asked(date(2027, 1, 1)) == []
    assert later in round_questions(session, round_, today=date(2026, 1, 1))
    assert closes not in round_questions(session, round_, today=date(2026, 7, 1))


def test_a_question_resolved_mid_study_is_no_longer_asked(session, study):
    question = factories.question(session, study, key="q", close_date=date(2026, 12, 31))
    round_ = create_round(session, study)
    assert round_questions(session, round_, today=date(2026, 1, 1)) == [question]
    resolve(session, question, outcome=Outcome.ANNULLED)
    assert round_questions(session, round_, today=date(2026, 1, 1)) == []
