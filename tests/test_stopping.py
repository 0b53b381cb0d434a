"""Pre-registered stopping rules: registering, fixing with a hash, judging rounds, settling."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest
import sqlalchemy as sa
from scipy import stats

from elicit.accounts.models import Role, StudyRole
from elicit.analysis.stopping import evaluate_rules
from elicit.audit import AuditEvent
from elicit.errors import DomainError
from elicit.judgments.rules import Answer
from elicit.judgments.submission import record_judgment
from elicit.panels.services import add_expert
from elicit.rounds.services import close_round, open_next_round, round_questions
from elicit.stopping.models import RuleKind, StoppingRule
from elicit.stopping.services import (
    add_rule,
    canonical_rules,
    registration,
    remove_rule,
    rules_hash,
    settle_questions,
    study_rules,
)
from elicit.studies.models import QuestionKind
from elicit.studies.sharing import share_study
from tests import factories
from tests.conftest import csrf_token, login
from tests.test_refusals import snapshot

PAGE = "/facilitate/studies/study/stopping-rules"
FIRST = [0.10, 0.20, 0.30, 0.35, 0.60]
SECOND = [0.20, 0.22, 0.31, 0.32, 0.40]
COUNTS_1 = [[100, 200, 300], [150, 250, 400], [90, 180, 260], [120, 210, 330]]
COUNTS_2 = [[110, 205, 300], [150, 240, 400], [100, 200, 280], [120, 215, 330]]


@pytest.fixture
def study(session):
    """A study with a binary question, a quantity and five experts; no round yet."""
    found = factories.study(session)
    factories.question(session, found, key="talks", title="Will talks start?")
    factories.question(
        session,
        found,
        key="monitors",
        kind=QuestionKind.QUANTITY,
        title="How many monitors?",
        unit="monitors",
        lower_bound=0.0,
        upper_bound=10_000.0,
    )
    for name in ("Alder", "Birch", "Cedar", "Elm", "Fir"):
        add_expert(session, found, pseudonym=name, name=name, email=f"{name}@x.test")
    return found


def questions(study):
    return {q.key: q for q in study.questions}


def answer_round(session, study, probabilities, counts):
    """Open the next round, let the experts answer, close it; return the round."""
    round_ = open_next_round(session, study)
    q = questions(study)
    for expert, p in zip(study.experts, probabilities, strict=False):
        record_judgment(session, expert, q["talks"], round_, Answer(probability=p))
    for expert, values in zip(study.experts, counts, strict=False):
        record_judgment(session, expert, q["monitors"], round_, Answer(quantile_values=values))
    close_round(session, round_)
    return round_


# --- registering -------------------------------------------------------------------------------


def test_a_rule_is_registered_replaced_and_audited(session, study):
    talks = questions(study)["talks"]
    add_rule(session, talks, RuleKind.IQR, 0.2, actor=study.owner)
    add_rule(session, talks, RuleKind.IQR, 0.15, actor=study.owner)
    (rule,) = study_rules(session, study)
    assert (rule.kind, rule.threshold, rule.band) == (RuleKind.IQR, 0.15, None)
    events = session.scalars(
        sa.select(AuditEvent)
        .where(AuditEvent.action == "stopping_rule.set")
        .order_by(AuditEvent.id)
    ).all()
    assert [e.details for e in events] == [
        {"before": None, "after": {"threshold": 0.2, "band": None}},
        {"before": {"threshold": 0.2, "band": None}, "after": {"threshold": 0.15, "band": None}},
    ]


@pytest.mark.parametrize(
    ("kind", "threshold", "band", "code"),
    [
        (RuleKind.IQR, -0.1, None, "invalid_rule"),
        (RuleKind.IQR, float("nan"), None, "invalid_rule"),
        (RuleKind.WILCOXON, 1.5, None, "invalid_rule"),
        (RuleKind.WILCOXON, 0.0, None, "invalid_rule"),
        (RuleKind.SHARE_WITHIN, 120.0, 0.1, "invalid_rule"),
        (RuleKind.SHARE_WITHIN, 80.0, None, "invalid_band"),
        (RuleKind.SHARE_WITHIN, 80.0, 0.0, "invalid_band"),
        (RuleKind.CV, 0.3, 0.1, "invalid_band"),
    ],
)
def test_values_a_rule_cannot_use_are_refused(session, study, kind, threshold, band, code):
    with pytest.raises(DomainError) as refused:
        add_rule(session, questions(study)["talks"], kind, threshold, band)
    assert refused.value.code == code
    assert study_rules(session, study) == []


def test_the_rules_are_fixed_and_registered_with_their_hash_when_round_1_opens(session, study):
    q = questions(study)
    add_rule(session, q["talks"], RuleKind.SHARE_WITHIN, 80.0, 0.1)
    rule = add_rule(session, q["monitors"], RuleKind.CV, 0.25)
    rules = study_rules(session, study)
    expected = hashlib.sha256(canonical_rules(rules).encode()).hexdigest()
    open_next_round(session, study)
    event = registration(session, study)
    assert event is not None and event.details["sha256"] == expected == rules_hash(rules)
    assert event.details["rules"] == json.loads(canonical_rules(rules))
    assert {"question": "talks", "kind": "share_within", "threshold": 80.0, "band": 0.1} in (
        event.details["rules"]
    )
    with pytest.raises(DomainError) as refused:
        add_rule(session, q["talks"], RuleKind.IQR, 0.1)
    assert refused.value.code == "rules_fixed"
    with pytest.raises(DomainError):
        remove_rule(session, rule)
    assert len(study_rules(session, study)) == 2


def test_a_changed_rule_changes_the_hash(session, study):
    talks = questions(study)["talks"]
    add_rule(session, talks, RuleKind.IQR, 0.2)
    before = rules_hash(study_rules(session, study))
    add_rule(session, talks, RuleKind.IQR, 0.21)
    assert rules_hash(study_rules(session, study)) != before


# --- judging a round -------------------------------------------------------------------------


def test_spread_rules_are_judged_with_the_cores_statistics(session, study):
    q = questions(study)
    add_rule(session, q["talks"], RuleKind.IQR, 0.25)
    add_rule(session, q["talks"], RuleKind.SHARE_WITHIN, 60.0, 0.1)
    add_rule(session, q["monitors"], RuleKind.CV, 0.1)
    round_ = answer_round(session, study, FIRST, COUNTS_1)
    report = evaluate_rules(session, round_)
    by_kind = {o.rule.kind: o for o in report.outcomes[q["talks"].id]}
    iqr, share = by_kind[RuleKind.IQR], by_kind[RuleKind.SHARE_WITHIN]
    assert iqr.statistic == pytest.approx(stats.iqr(FIRST))
    assert iqr.met is True and iqr.count == 5
    median = np.median(FIRST)
    assert share.statistic == pytest.approx(100 * np.mean(np.abs(np.array(FIRST) - median) <= 0.1))
    assert share.met is True
    (cv,) = report.outcomes[q["monitors"].id]
    medians = np.array([c[1] for c in COUNTS_1], float)
    assert cv.statistic == pytest.approx(np.std(medians, ddof=1) / abs(medians.mean()))
    assert cv.met is False
    assert report.settled == [q["talks"].id]


def test_stability_rules_pair_each_experts_answers_across_rounds(session, study):
    q = questions(study)
    add_rule(session, q["talks"], RuleKind.WILCOXON, 0.05)
    add_rule(session, q["talks"], RuleKind.MEAN_CHANGE, 0.05)
    add_rule(session, q["monitors"], RuleKind.MEAN_CHANGE, 5.0)
    first = answer_round(session, study, FIRST, COUNTS_1)
    assert all(o.met is None for os in evaluate_rules(session, first).outcomes.values() for o in os)
    second = answer_round(session, study, SECOND, COUNTS_2)
    report = evaluate_rules(session, second)
    by_kind = {o.rule.kind: o for o in report.outcomes[q["talks"].id]}
    wilcoxon, change = by_kind[RuleKind.WILCOXON], by_kind[RuleKind.MEAN_CHANGE]
    expected = stats.wilcoxon(SECOND, FIRST, method="exact")
    assert wilcoxon.pvalue == pytest.approx(expected.pvalue)
    assert wilcoxon.statistic == pytest.approx(expected.statistic)
    assert wilcoxon.met is bool(expected.pvalue >= 0.05)
    assert change.statistic == pytest.approx(np.mean(np.abs(np.subtract(SECOND, FIRST))))
    assert change.met is False
    (monitors,) = report.outcomes[q["monitors"].id]
    medians = np.abs(np.subtract([c[1] for c in COUNTS_2], [c[1] for c in COUNTS_1]))
    assert monitors.statistic == pytest.approx(medians.mean()) and monitors.count == 4
    assert monitors.met is False


def test_a_rule_on_too_few_answers_is_not_judged_and_does_not_settle(session, study):
    talks = questions(study)["talks"]
    add_rule(session, talks, RuleKind.IQR, 0.5)
    round_ = answer_round(session, study, [0.3, 0.31], [])
    (outcome,) = evaluate_rules(session, round_).outcomes[talks.id]
    assert (outcome.statistic, outcome.met, outcome.count) == (None, None, 2)
    assert evaluate_rules(session, round_).settled == []


def test_a_settled_question_is_no_longer_asked(session, study):
    q = questions(study)
    add_rule(session, q["talks"], RuleKind.IQR, 0.3)
    round_ = answer_round(session, study, FIRST, COUNTS_1)
    settled = settle_questions(
        session, study, round_.number, evaluate_rules(session, round_).settled
    )
    assert [s.question_id for s in settled] == [q["talks"].id]
    assert settle_questions(session, study, round_.number, [q["talks"].id]) == []
    following = open_next_round(session, study)
    assert [question.key for question in round_questions(session, following)] == ["monitors"]
    assert [question.key for question in round_questions(session, round_)] == ["talks", "monitors"]


# --- the page ------------------------------------------------------------------------------------


def post(client, url, data):
    token = csrf_token(client.get(PAGE).text)
    return client.post(url, data={**data, "csrf_token": token})


def test_the_owner_registers_a_rule_in_percentage_points(client, session, study):
    login(client, "fac@example.org", factories.PASSWORD)
    talks = questions(study)["talks"]
    response = post(client, PAGE, {"question": str(talks.id), "kind": "iqr", "threshold": "15"})
    assert response.status_code == 302
    (rule,) = study_rules(session, study)
    assert rule.threshold == pytest.approx(0.15)
    page = client.get(PAGE).text
    assert "The rule for talks is registered." in page
    assert "interquartile range at most 15\xa0pp" in page


def test_a_quantity_threshold_is_in_its_unit_and_a_band_in_points(client, session, study):
    login(client, "fac@example.org", factories.PASSWORD)
    q = questions(study)
    post(
        client, PAGE, {"question": str(q["monitors"].id), "kind": "mean_change", "threshold": "25"}
    )
    post(
        client,
        PAGE,
        {"question": str(q["talks"].id), "kind": "share_within", "threshold": "80", "band": "10"},
    )
    rules = {rule.question.key: rule for rule in study_rules(session, study)}
    assert rules["monitors"].threshold == 25.0
    assert (rules["talks"].threshold, rules["talks"].band) == (80.0, pytest.approx(0.1))
    page = client.get(PAGE).text
    assert "at least 80% of answers within 10\xa0pp of the median" in page
    assert "mean absolute change from the round before at most 25\xa0monitors" in page


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"kind": "iqr", "threshold": "lots"}, "threshold", "Enter a number, such as 12.5."),
        ({"kind": "iqr", "threshold": ""}, "threshold", "Enter a number, such as 12.5."),
        ({"kind": "wilcoxon", "threshold": "5"}, "threshold", "between 0 and 1"),
        (
            {"kind": "share_within", "threshold": "80"},
            "band",
            "band around the median must be above 0",
        ),
        ({"kind": "magic", "threshold": "1"}, "kind", "Choose one of the listed rules."),
        (
            {"kind": "iqr", "threshold": "1", "question": "999999"},
            "question",
            "Choose a question of this study.",
        ),
    ],
)
def test_a_refused_rule_is_explained_beside_its_field(client, session, study, data, field, message):
    login(client, "fac@example.org", factories.PASSWORD)
    data = {"question": str(questions(study)["talks"].id), **data}
    before = snapshot(session)
    response = post(client, PAGE, data)
    assert response.status_code == 400
    assert "The rule was not registered" in response.text
    assert f'id="{field}-error"' in response.text and message in response.text
    assert snapshot(session) == before


def test_a_rule_is_removed_before_round_1(client, session, study):
    rule = add_rule(session, questions(study)["talks"], RuleKind.CV, 0.3)
    login(client, "fac@example.org", factories.PASSWORD)
    assert post(client, f"{PAGE}/{rule.id}/remove", {}).status_code == 302
    assert session.scalar(sa.select(sa.func.count()).select_from(StoppingRule)) == 0


def test_after_round_1_the_page_shows_the_hash_and_each_rounds_judgment(client, session, study):
    q = questions(study)
    add_rule(session, q["talks"], RuleKind.IQR, 0.3)
    round_ = answer_round(session, study, FIRST, COUNTS_1)
    login(client, "fac@example.org", factories.PASSWORD)
    page = client.get(PAGE).text
    assert registration(session, study).details["sha256"] in page
    assert 'name="threshold"' not in page and "Remove" not in page
    assert "Round 1 judged by the rules" in page and "settled" in page and ">met<" in page
    assert f"{round_.number}" in page
    before = snapshot(session)
    response = post(client, PAGE, {"question": str(q["talks"].id), "kind": "cv", "threshold": "1"})
    assert response.status_code == 400 and "fixed when round 1 opened" in response.text
    assert snapshot(session) == before


def test_analysts_see_the_rules_and_change_nothing(client, session, study):
    rule = add_rule(session, questions(study)["talks"], RuleKind.CV, 0.3)
    analyst = factories.user(session, email="ana@example.org", role=Role.ANALYST)
    share_study(session, study, analyst.email, StudyRole.ANALYST)
    login(client, "ana@example.org", factories.PASSWORD)
    page = client.get(PAGE)
    assert page.status_code == 200 and "coefficient of variation at most 0.3" in page.text
    assert 'name="threshold"' not in page.text
    before = snapshot(session)
    assert (
        post(
            client, PAGE, {"question": str(rule.question_id), "kind": "iqr", "threshold": "1"}
        ).status_code
        == 403
    )
    assert post(client, f"{PAGE}/{rule.id}/remove", {}).status_code == 403
    assert snapshot(session) == before


def test_strangers_get_404_and_so_do_rules_of_other_studies(client, session, study):
    other = factories.study(session, factories.user(session, email="x@example.org"), slug="other")
    foreign = add_rule(session, factories.question(session, other), RuleKind.CV, 0.3)
    login(client, "fac@example.org", factories.PASSWORD)
    assert post(client, f"{PAGE}/{foreign.id}/remove", {}).status_code == 404
    assert post(client, f"{PAGE}/{2**63}/remove", {}).status_code == 404
    assert client.get("/facilitate/studies/other/stopping-rules").status_code == 404


def test_the_next_round_opens_without_the_settled_questions_when_asked(client, session, study):
    q = questions(study)
    add_rule(session, q["talks"], RuleKind.IQR, 0.3)
    add_rule(session, q["monitors"], RuleKind.CV, 0.01)
    answer_round(session, study, FIRST, COUNTS_1)
    session.commit()
    login(client, "fac@example.org", factories.PASSWORD)
    page = client.get("/facilitate/studies/study").text
    assert "1 question met all its stopping rules in round 1." in page
    token = csrf_token(page)
    response = client.post(
        "/facilitate/studies/study/rounds/open-next",
        data={"csrf_token": token, "leave_out_settled": "y"},
    )
    assert response.status_code == 302
    second = open_round_of_study(session, study)
    assert [question.key for question in round_questions(session, second)] == ["monitors"]
    shown = client.get("/facilitate/studies/study").text
    assert "1 question settled by its stopping rules is no longer asked." in shown
    event = session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "questions.settle")
    ).one()
    assert event.details == {"questions": ["talks"]}


def test_without_the_box_every_question_is_asked_again(client, session, study):
    add_rule(session, questions(study)["talks"], RuleKind.IQR, 0.3)
    answer_round(session, study, FIRST, COUNTS_1)
    session.commit()
    login(client, "fac@example.org", factories.PASSWORD)
    token = csrf_token(client.get("/facilitate/studies/study").text)
    client.post("/facilitate/studies/study/rounds/open-next", data={"csrf_token": token})
    second = open_round_of_study(session, study)
    assert [question.key for question in round_questions(session, second)] == ["talks", "monitors"]


def open_round_of_study(session, study):
    session.expire_all()
    from elicit.rounds.services import open_round_of

    return open_round_of(session, study)
