"""Feedback on a closed round: figures, anonymous labels, rationales, and the charts drawn."""

import math
import re

import numpy as np
import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

from elicit import formatting
from elicit.audit import AuditEvent
from elicit.errors import DomainError
from elicit.feedback import charts
from elicit.feedback.services import (
    MIN_ANSWERS_LIMIT,
    letter,
    round_feedback,
    round_letters,
    set_rationale_hidden,
    update_settings,
)
from elicit.judgments.rules import Answer
from elicit.judgments.submission import record_judgment
from elicit.panels.services import add_expert
from elicit.rounds.services import close_round, create_round, open_round
from elicit.studies.models import QuestionKind, Scale
from tests import factories

SECRET = b"k"
PSEUDONYMS = ["Alder", "Birch", "Cedar", "Damson", "Elm", "Fir", "Gorse", "Hazel", "Ivy", "Juniper"]
LABEL = re.compile(r"Expert [A-Z]+")


@pytest.fixture
def study(session):
    return factories.study(session)


@pytest.fixture
def experts(session, study):
    return [
        add_expert(
            session, study, pseudonym=name, name=f"{name} Person", email=f"{name}@example.org"
        )
        for name in PSEUDONYMS
    ]


def new_round(session, study):
    round_ = create_round(session, study)
    open_round(session, round_)
    return round_


def answer_round(session, round_, question, answers):
    """Record ``answers``, a list of (expert, Answer), in that order; return the judgments."""
    return [record_judgment(session, e, question, round_, a) for e, a in answers]


def feedback_for(session, round_, viewer, question, min_answers=3, secret=SECRET):
    return round_feedback(session, round_, viewer, secret=secret, min_answers=min_answers)[
        question.id
    ]


def assert_quartiles_match_numpy(feedback, values):
    expected = np.quantile(np.asarray(values, dtype=float), [0.5, 0.25, 0.75])
    assert (feedback.median, feedback.q25, feedback.q75) == pytest.approx(
        tuple(expected), rel=1e-12, abs=1e-12
    )


def all_texts(feedback):
    texts = [a.label for a in feedback.rationales] + [a.rationale for a in feedback.rationales]
    if feedback.own is not None:
        texts += [feedback.own.label, feedback.own.rationale]
    if feedback.chart is not None:
        texts += [feedback.chart.title, feedback.chart.description]
        texts += [label for _, label in feedback.chart.ticks]
    return texts


# --- figures ------------------------------------------------------------------------------


def test_binary_figures_match_numpy(session, study, experts):
    question = factories.question(session, study)
    round_ = new_round(session, study)
    probabilities = [0.1, 0.35, 0.2, 0.8, 0.55, 0.6, 0.05]
    answer_round(
        session,
        round_,
        question,
        [
            (e, Answer(probability=p, rationale=f"reason {i}"))
            for i, (e, p) in enumerate(zip(experts, probabilities, strict=False))
        ],
    )
    close_round(session, round_)
    viewer = experts[3]
    feedback = feedback_for(session, round_, viewer, question)
    assert feedback.shown is True
    assert feedback.round_number == 1
    assert feedback.count == len(probabilities)
    assert_quartiles_match_numpy(feedback, probabilities)
    assert feedback.own is not None and feedback.own.own is True
    assert feedback.own.value == pytest.approx(0.8)
    assert (feedback.own.low, feedback.own.high) == (None, None)
    assert feedback.own.rationale == "reason 3"
    assert sorted(a.value for a in feedback.rationales) == pytest.approx(sorted(probabilities))
    assert [a.own for a in feedback.rationales].count(True) == 1


def test_interval_figures_use_the_best_estimate(session, study, experts):
    question = factories.question(session, study, kind=QuestionKind.BINARY_INTERVAL)
    round_ = new_round(session, study)
    rows = [(0.1, 0.2, 0.4), (0.3, 0.5, 0.9), (0.05, 0.1, 0.15), (0.4, 0.45, 0.7)]
    answer_round(
        session,
        round_,
        question,
        [
            (e, Answer(lower=lo, probability=p, upper=hi))
            for e, (lo, p, hi) in zip(experts, rows, strict=False)
        ],
    )
    close_round(session, round_)
    feedback = feedback_for(session, round_, experts[1], question)
    assert feedback.count == 4
    assert_quartiles_match_numpy(feedback, [p for _, p, _ in rows])
    assert (feedback.own.low, feedback.own.value, feedback.own.high) == pytest.approx(rows[1])
    assert feedback.rationales == ()  # nobody gave a rationale
    chart = feedback.chart
    assert chart.ranges is True
    assert len(chart.marks) == 4
    (own,) = [m for m in chart.marks if m.own]
    axis = charts.Axis(0.0, 1.0)
    assert (own.x1, own.x, own.x2) == (axis.x(0.3), axis.x(0.5), axis.x(0.9))


def test_quantity_figures_use_each_experts_median(session, study, experts):
    question = factories.question(session, study, kind=QuestionKind.QUANTITY)
    round_ = new_round(session, study)
    quantiles = [[1, 5, 9], [2, 3, 4], [10, 20, 30], [0.5, 7, 100], [4, 6, 8]]
    answer_round(
        session,
        round_,
        question,
        [(e, Answer(quantile_values=v)) for e, v in zip(experts, quantiles, strict=False)],
    )
    close_round(session, round_)
    feedback = feedback_for(session, round_, experts[3], question)
    assert feedback.count == 5
    assert_quartiles_match_numpy(feedback, [v[1] for v in quantiles])
    assert (feedback.own.low, feedback.own.value, feedback.own.high) == (0.5, 7, 100)
    for mark in feedback.chart.marks:
        assert charts.LEFT <= mark.x1 <= mark.x <= mark.x2 <= charts.RIGHT


def test_quantity_median_is_the_middle_quantile_when_0_5_is_not_asked(session, study, experts):
    question = factories.question(
        session, study, kind=QuestionKind.QUANTITY, quantiles=[0.1, 0.25, 0.75, 0.9]
    )
    round_ = new_round(session, study)
    quantiles = [[1, 2, 3, 4], [10, 20, 30, 40], [5, 6, 7, 8]]
    answer_round(
        session,
        round_,
        question,
        [(e, Answer(quantile_values=v)) for e, v in zip(experts, quantiles, strict=False)],
    )
    close_round(session, round_)
    feedback = feedback_for(session, round_, experts[0], question)
    assert_quartiles_match_numpy(feedback, [v[2] for v in quantiles])
    assert feedback.own.value == 3


def test_each_question_is_summarised_on_its_own(session, study, experts):
    a = factories.question(session, study, key="a")
    b = factories.question(session, study, key="b")
    round_ = new_round(session, study)
    answer_round(
        session,
        round_,
        a,
        [(e, Answer(probability=0.1 * (i + 1))) for i, e in enumerate(experts[:4])],
    )
    answer_round(
        session,
        round_,
        b,
        [(e, Answer(probability=0.9 - 0.05 * i)) for i, e in enumerate(experts[:6])],
    )
    close_round(session, round_)
    result = round_feedback(session, round_, experts[0], secret=SECRET, min_answers=3)
    assert set(result) == {a.id, b.id}
    assert result[a.id].count == 4 and result[b.id].count == 6
    assert_quartiles_match_numpy(result[a.id], [0.1, 0.2, 0.3, 0.4])
    assert_quartiles_match_numpy(result[b.id], [0.9 - 0.05 * i for i in range(6)])


def test_a_round_without_answers_gives_no_feedback(session, study, experts):
    factories.question(session, study)
    round_ = new_round(session, study)
    close_round(session, round_)
    assert round_feedback(session, round_, experts[0], secret=SECRET, min_answers=1) == {}


def test_only_the_given_rounds_answers_count(session, study, experts):
    question = factories.question(session, study)
    first = new_round(session, study)
    answer_round(session, first, question, [(e, Answer(probability=0.9)) for e in experts[:5]])
    close_round(session, first)
    second = new_round(session, study)
    answer_round(session, second, question, [(e, Answer(probability=0.1)) for e in experts[:3]])
    close_round(session, second)
    feedback = feedback_for(session, second, experts[0], question)
    assert feedback.round_number == 2
    assert feedback.count == 3
    assert feedback.median == pytest.approx(0.1)


# --- the minimum number of answers ----------------------------------------------------------


def test_too_few_answers_show_nothing_but_the_count(session, study, experts):
    question = factories.question(session, study)
    round_ = new_round(session, study)
    answer_round(
        session,
        round_,
        question,
        [(e, Answer(probability=0.3, rationale="my view")) for e in experts[:2]],
    )
    close_round(session, round_)
    feedback = feedback_for(session, round_, experts[0], question, min_answers=3)
    assert feedback.shown is False
    assert feedback.count == 2
    assert feedback.round_number == 1
    assert feedback.rationales == ()
    assert feedback.chart is None
    assert (feedback.median, feedback.q25, feedback.q75, feedback.own) == (None,) * 4


def test_exactly_the_minimum_is_shown(session, study, experts):
    question = factories.question(session, study)
    round_ = new_round(session, study)
    answer_round(session, round_, question, [(e, Answer(probability=0.3)) for e in experts[:3]])
    close_round(session, round_)
    assert feedback_for(session, round_, experts[0], question, min_answers=3).shown is True
    assert feedback_for(session, round_, experts[0], question, min_answers=4).shown is False


# --- hidden rationales ----------------------------------------------------------------------


def test_a_hidden_rationale_is_left_out_but_the_answer_counts(session, study, experts):
    facilitator = study.owner
    question = factories.question(session, study)
    round_ = new_round(session, study)
    probabilities = [0.2, 0.4, 0.6, 0.95]
    judgments = answer_round(
        session,
        round_,
        question,
        [
            (e, Answer(probability=p, rationale=f"text {i}"))
            for i, (e, p) in enumerate(zip(experts, probabilities, strict=False))
        ],
    )
    close_round(session, round_)
    set_rationale_hidden(session, judgments[3], True, actor=facilitator)
    feedback = feedback_for(session, round_, experts[0], question)
    assert feedback.count == 4
    assert_quartiles_match_numpy(feedback, probabilities)
    assert sorted(a.rationale for a in feedback.rationales) == ["text 0", "text 1", "text 2"]
    assert all("text 3" not in text for text in all_texts(feedback))
    assert len(feedback.chart.marks) == 4
    event = session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "rationale.hide")
    ).one()
    assert event.actor_id == facilitator.id
    assert event.target == f"{experts[3].pseudonym} / {question.key}"
    assert event.details == {"round": 1, "before": "shown", "after": "hidden"}

    set_rationale_hidden(session, judgments[3], False, actor=facilitator)
    shown_again = feedback_for(session, round_, experts[0], question)
    assert "text 3" in [a.rationale for a in shown_again.rationales]
    assert (
        session.scalar(sa.select(sa.func.count()).where(AuditEvent.action == "rationale.show")) == 1
    )


def test_hiding_twice_records_one_event(session, study, experts):
    question = factories.question(session, study)
    round_ = new_round(session, study)
    (judgment,) = answer_round(session, round_, question, [(experts[0], Answer(probability=0.5))])
    set_rationale_hidden(session, judgment, True)
    set_rationale_hidden(session, judgment, True)
    assert judgment.rationale_hidden is True
    assert (
        session.scalar(sa.select(sa.func.count()).where(AuditEvent.action == "rationale.hide")) == 1
    )


# --- the viewer's own answer -----------------------------------------------------------------


def test_the_viewers_own_answer_is_marked_once(session, study, experts):
    question = factories.question(session, study)
    round_ = new_round(session, study)
    probabilities = [0.3, 0.31, 0.32, 0.7, 0.5]  # the first three share a dot-plot column
    answer_round(
        session,
        round_,
        question,
        [(e, Answer(probability=p)) for e, p in zip(experts, probabilities, strict=False)],
    )
    close_round(session, round_)
    for i, viewer in enumerate(experts[:5]):
        feedback = feedback_for(session, round_, viewer, question)
        assert feedback.own.own is True
        assert feedback.own.value == pytest.approx(probabilities[i])
        own_marks = [m for m in feedback.chart.marks if m.own]
        assert len(own_marks) == 1
        assert own_marks[0].x == charts.Axis(0.0, 1.0).x(probabilities[i])
        assert "Your answer" in feedback.chart.description
        assert formatting.probability(probabilities[i]) in feedback.chart.description


def test_an_expert_who_did_not_answer_has_no_own_answer(session, study, experts):
    question = factories.question(session, study)
    round_ = new_round(session, study)
    answer_round(session, round_, question, [(e, Answer(probability=0.4)) for e in experts[:4]])
    close_round(session, round_)
    feedback = feedback_for(session, round_, experts[9], question)
    assert feedback.shown is True
    assert feedback.own is None
    assert not any(m.own for m in feedback.chart.marks)
    assert "Your answer" not in feedback.chart.description


# --- labels -----------------------------------------------------------------------------------


def test_labels_are_unique_letters_without_pseudonyms(session, study, experts):
    question = factories.question(session, study)
    round_ = new_round(session, study)
    answer_round(
        session,
        round_,
        question,
        [
            (e, Answer(probability=0.05 + 0.1 * i, rationale=f"view {i}"))
            for i, e in enumerate(experts)
        ],
    )
    close_round(session, round_)
    feedback = feedback_for(session, round_, experts[0], question)
    labels = [a.label for a in feedback.rationales]
    assert len(labels) == len(experts)
    assert all(LABEL.fullmatch(label) for label in labels)
    assert sorted(labels) == [f"Expert {letter(i)}" for i in range(len(experts))]
    for text in all_texts(feedback):
        for expert in experts:
            assert expert.pseudonym not in text
            assert expert.contact.name not in text
            assert expert.contact.email not in text


def test_a_study_may_keep_one_label_per_expert_across_a_round(session, study, experts):
    study.feedback_labels_per_round = True
    a = factories.question(session, study, key="a")
    b = factories.question(session, study, key="b")
    round_ = new_round(session, study)
    answer_round(session, round_, a, [(e, Answer(probability=0.3)) for e in experts[:5]])
    answer_round(session, round_, b, [(e, Answer(probability=0.6)) for e in experts[:5]])
    close_round(session, round_)
    expected = round_letters(SECRET, round_, [e.id for e in experts[:5]])
    for viewer in experts[:5]:
        result = round_feedback(session, round_, viewer, secret=SECRET, min_answers=3)
        assert result[a.id].own.label == result[b.id].own.label == f"Expert {expected[viewer.id]}"


def test_labels_are_fresh_for_every_question_by_default(session, study, experts):
    questions = [factories.question(session, study, key=f"q{n}") for n in range(4)]
    round_ = new_round(session, study)
    for question in questions:
        answer_round(
            session,
            round_,
            question,
            [(e, Answer(probability=0.4, rationale="why")) for e in experts],
        )
    close_round(session, round_)
    assert study.feedback_labels_per_round is False
    labels = {e.id: [] for e in experts}
    for viewer in experts:
        result = round_feedback(session, round_, viewer, secret=SECRET, min_answers=3)
        for question in questions:
            letters = round_letters(SECRET, round_, [e.id for e in experts], question.id)
            assert result[question.id].own.label == f"Expert {letters[viewer.id]}"
            labels[viewer.id].append(result[question.id].own.label)
            assert len({a.label for a in result[question.id].rationales}) == len(experts)
    # One letter on every question would link an expert's rationales: with ten experts
    # and four questions, a fixed secret gives most experts more than one letter.
    assert sum(len(set(seen)) > 1 for seen in labels.values()) >= len(experts) // 2


def test_the_same_letter_on_two_questions_names_different_experts(session, study, experts):
    a = factories.question(session, study, key="a")
    b = factories.question(session, study, key="b")
    round_ = new_round(session, study)
    answer_round(session, round_, a, [(e, Answer(probability=0.3)) for e in experts])
    answer_round(session, round_, b, [(e, Answer(probability=0.6)) for e in experts])
    close_round(session, round_)
    on_a = round_letters(SECRET, round_, [e.id for e in experts], a.id)
    on_b = round_letters(SECRET, round_, [e.id for e in experts], b.id)
    assert on_a != on_b and sorted(on_a.values()) == sorted(on_b.values())
    assert round_letters(SECRET, round_, [e.id for e in experts], a.id) == on_a


def test_labels_differ_between_rounds(session, study, experts):
    question = factories.question(session, study)
    rounds = []
    for _ in range(2):
        round_ = new_round(session, study)
        answer_round(session, round_, question, [(e, Answer(probability=0.5)) for e in experts])
        close_round(session, round_)
        rounds.append(round_)
    own_labels = [
        {e.id: feedback_for(session, r, e, question).own.label for e in experts} for r in rounds
    ]
    for labels in own_labels:
        assert len(set(labels.values())) == len(experts)
    assert own_labels[0] != own_labels[1]
    for labels, round_ in zip(own_labels, rounds, strict=True):
        letters = round_letters(SECRET, round_, [e.id for e in experts], question.id)
        assert labels == {expert_id: f"Expert {x}" for expert_id, x in letters.items()}


def test_labels_follow_neither_submission_order_nor_ids(session, study, experts):
    question = factories.question(session, study)
    round_ = new_round(session, study)
    answer_round(session, round_, question, [(e, Answer(probability=0.5)) for e in experts])
    close_round(session, round_)
    labels = round_letters(SECRET, round_, [e.id for e in experts])
    in_id_order = [labels[e.id] for e in sorted(experts, key=lambda e: e.id)]
    assert in_id_order != sorted(in_id_order)
    # repeated ids give one label each; a different secret gives a different assignment
    assert round_letters(SECRET, round_, [e.id for e in experts] * 2) == labels
    assert round_letters(b"another secret", round_, [e.id for e in experts]) != labels


@pytest.mark.parametrize(
    ("index", "text"),
    [
        (0, "A"),
        (1, "B"),
        (25, "Z"),
        (26, "AA"),
        (27, "AB"),
        (51, "AZ"),
        (52, "BA"),
        (701, "ZZ"),
        (702, "AAA"),
    ],
)
def test_letter(index, text):
    assert letter(index) == text


def test_letters_are_unique():
    labels = [letter(i) for i in range(2000)]
    assert len(set(labels)) == len(labels)
    assert all(re.fullmatch("[A-Z]+", label) for label in labels)


# --- rationale order --------------------------------------------------------------------------


def test_rationale_order_is_a_stable_permutation_not_submission_order(session, study, experts):
    question = factories.question(session, study)
    round_ = new_round(session, study)
    texts = [f"argument number {i}" for i in range(len(experts))]
    answer_round(
        session,
        round_,
        question,
        [(e, Answer(probability=0.5, rationale=t)) for e, t in zip(experts, texts, strict=False)],
    )
    close_round(session, round_)
    viewer = experts[0]
    first = [a.rationale for a in feedback_for(session, round_, viewer, question).rationales]
    second = [a.rationale for a in feedback_for(session, round_, viewer, question).rationales]
    assert sorted(first) == sorted(texts)
    assert first != texts
    assert first == second
    # nor is it the labels' alphabetical order
    labels = [a.label for a in feedback_for(session, round_, viewer, question).rationales]
    assert labels != sorted(labels)


# --- settings ---------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", [0, -1, MIN_ANSWERS_LIMIT + 1, 101])
def test_update_settings_refuses_a_minimum_out_of_range(session, study, bad):
    with pytest.raises(DomainError) as caught:
        update_settings(session, study, min_answers=bad, hide_until_answered=True)
    assert caught.value.code == "invalid_min_answers"
    assert study.feedback_min_answers == 3
    assert study.hide_feedback_until_answered is False


@pytest.mark.parametrize("good", [1, 5, 100])
def test_update_settings_stores_and_audits(session, study, good):
    update_settings(session, study, min_answers=good, hide_until_answered=True, actor=study.owner)
    session.expire(study)
    assert study.feedback_min_answers == good
    assert study.hide_feedback_until_answered is True
    event = session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "study.feedback_settings")
    ).one()
    assert event.details == {
        "before": {"min_answers": 3, "hide_until_answered": False},
        "after": {"min_answers": good, "hide_until_answered": True},
    }
    assert event.study_id == study.id and event.actor_id == study.owner.id


# --- charts -----------------------------------------------------------------------------------


def test_dot_plot_places_the_ends_of_the_axis():
    chart = charts.dot_plot([0.0, 0.5, 1.0], 1, 0.5, (0.25, 0.75))
    assert [m.x for m in chart.marks] == [charts.LEFT, 160.0, charts.RIGHT]
    assert [m.own for m in chart.marks] == [False, True, False]
    assert chart.median_x == 160.0
    assert chart.band == (88.0, 232.0)
    assert chart.ranges is False
    assert [label for _, label in chart.ticks] == ["0%", "20%", "40%", "60%", "80%", "100%"]


def test_dot_plot_stacks_close_answers():
    chart = charts.dot_plot([0.30, 0.31, 0.32, 0.9], None, 0.315, (0.3, 0.5))
    ys = [m.y for m in chart.marks]
    assert len(set(ys[:3])) == 3  # three levels in one column
    assert ys[3] == ys[0]  # a lone dot sits on the bottom level
    assert all(m.y < chart.axis_y for m in chart.marks)
    assert chart.height > chart.axis_y


@given(st.lists(st.floats(0, 1), min_size=1, max_size=40), st.data())
def test_dot_plot_stays_inside_the_chart(values, data):
    own = data.draw(st.none() | st.integers(0, len(values) - 1))
    median = float(np.quantile(values, 0.5))
    band = tuple(float(v) for v in np.quantile(values, [0.25, 0.75]))
    chart = charts.dot_plot(values, own, median, band)
    assert len(chart.marks) == len(values)
    for mark in chart.marks:
        assert charts.LEFT <= mark.x <= charts.RIGHT
        assert 0 < mark.y < chart.axis_y
    assert charts.LEFT <= chart.band[0] <= chart.median_x <= chart.band[1] <= charts.RIGHT
    assert sum(m.own for m in chart.marks) == (0 if own is None else 1)


rows_strategy = st.lists(
    st.tuples(
        st.floats(0.01, 1e6, allow_nan=False),
        st.floats(1.0, 100.0),
        st.floats(1.0, 100.0),
    ).map(lambda t: (t[0], t[0] * t[1], t[0] * t[1] * t[2])),
    min_size=1,
    max_size=30,
)


@given(rows_strategy, st.booleans(), st.data())
def test_range_plot_stays_inside_the_chart(rows, log, data):
    own = data.draw(st.none() | st.integers(0, len(rows) - 1))
    best = [r[1] for r in rows]
    median = float(np.quantile(best, 0.5))
    band = tuple(float(v) for v in np.quantile(best, [0.25, 0.75]))
    chart = charts.range_plot(rows, own, median, band, log=log)
    assert chart.ranges is True
    assert len(chart.marks) == len(rows)
    for mark in chart.marks:
        assert charts.LEFT <= mark.x1 <= mark.x <= mark.x2 <= charts.RIGHT
    assert charts.LEFT <= chart.band[0] <= chart.median_x <= chart.band[1] <= charts.RIGHT
    # one row per answer, ordered by the best estimate from top to bottom
    ordered = [m.x for m in sorted(chart.marks, key=lambda m: m.y)]
    assert ordered == sorted(ordered)
    assert sum(m.own for m in chart.marks) == (0 if own is None else 1)
    for x, _ in chart.ticks:
        assert charts.LEFT <= x <= charts.RIGHT


def test_range_plot_with_a_fixed_probability_domain():
    chart = charts.range_plot(
        [(0.0, 0.5, 1.0), (0.2, 0.2, 0.2)], 0, 0.35, (0.2, 0.5), domain=(0.0, 1.0), probability=True
    )
    first = next(m for m in chart.marks if m.own)
    assert (first.x1, first.x, first.x2) == (charts.LEFT, 160.0, charts.RIGHT)
    assert "%" in chart.description and "Your answer, drawn as a ring: 50%" in chart.description


COMPACT = {"K": 1e3, "M": 1e6, "B": 1e9, "T": 1e12}


def tick_value(label):
    """Read a tick label back, compact forms (15K, 1.5M) included."""
    text = label.replace(",", "")
    if text[-1] in COMPACT:
        return float(text[:-1]) * COMPACT[text[-1]]
    return float(text)


def test_log_axis_ticks_are_powers_of_ten():
    rows = [(1.0, 10.0, 100.0), (5.0, 300.0, 20_000.0), (2.0, 40.0, 900.0)]
    chart = charts.range_plot(rows, None, 40.0, (10.0, 300.0), log=True)
    values = [tick_value(label) for _, label in chart.ticks]
    assert len(values) >= 3
    for value in values:
        exponent = math.log10(value)
        assert exponent == pytest.approx(round(exponent), abs=1e-12)
    # decades are equally spaced on a log axis
    xs = [x for x, _ in chart.ticks]
    gaps = np.diff(xs)
    assert gaps == pytest.approx([gaps[0]] * len(gaps), abs=0.02)


def test_a_log_quantity_question_gets_a_log_chart(session, study, experts):
    question = factories.question(session, study, kind=QuestionKind.QUANTITY, scale=Scale.LOG)
    round_ = new_round(session, study)
    quantiles = [[1, 10, 100], [10, 100, 1000], [100, 1000, 100_000]]
    answer_round(
        session,
        round_,
        question,
        [(e, Answer(quantile_values=v)) for e, v in zip(experts, quantiles, strict=False)],
    )
    close_round(session, round_)
    chart = feedback_for(session, round_, experts[1], question).chart
    for _, label in chart.ticks:
        exponent = math.log10(tick_value(label))
        assert exponent == pytest.approx(round(exponent), abs=1e-12)
    (own,) = [m for m in chart.marks if m.own]
    # on a log axis 10, 100 and 1000 are equally far apart
    assert own.x - own.x1 == pytest.approx(own.x2 - own.x, abs=0.02)


def test_a_degenerate_axis_is_widened():
    axis = charts.Axis(5.0, 5.0)
    assert charts.LEFT < axis.x(5.0) < charts.RIGHT
    zero = charts.Axis(0.0, 0.0)
    assert zero.x(0.0) == 160.0
