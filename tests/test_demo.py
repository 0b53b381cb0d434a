"""`elicit demo`: real questions and a simulated panel; a second run changes nothing."""

import json
import re
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa

from elicit.accounts.models import StudyMember, User
from elicit.analysis.round_statistics import central_value
from elicit.audit import AuditEvent
from elicit.demo import services
from elicit.judgments.models import Judgment, JudgmentRevision
from elicit.judgments.rules import check_answer
from elicit.panels.models import Expert, ExpertContact, Invitation
from elicit.panels.services import hash_token
from elicit.rounds.models import Round, RoundState
from elicit.studies.models import Question, QuestionKind, Resolution, Source, Study
from tests.conftest import login

TABLES = [
    Study,
    Question,
    Expert,
    ExpertContact,
    Invitation,
    Round,
    Judgment,
    JudgmentRevision,
    Resolution,
    Source,
    StudyMember,
    User,
    AuditEvent,
]


def counts(session):
    session.expire_all()
    return {
        m.__tablename__: session.scalar(sa.select(sa.func.count()).select_from(m)) for m in TABLES
    }


@pytest.fixture
def demo_output(runner, app):
    Path(app.instance_path, "demo.json").unlink(missing_ok=True)
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.stderr
    return result.output


def test_demo_builds_a_panel_with_round_1_closed_and_round_2_open(demo_output, session):
    study = session.scalar(sa.select(Study).where(Study.slug == "demo"))
    assert len(study.questions) >= 23 and len(study.experts) == 12
    assert [(r.number, r.state) for r in study.rounds] == [
        (1, RoundState.CLOSED),
        (2, RoundState.OPEN),
    ]
    first, second = study.rounds
    judgments = session.scalars(sa.select(Judgment).where(Judgment.round_id == first.id)).all()
    assert {j.expert_id for j in judgments} == {e.id for e in study.experts}
    assert len(judgments) >= 0.8 * 12 * len(study.questions)
    for judgment in judgments:
        assert check_answer(judgment.question, _answer(judgment)) == {}
    revised = session.scalar(
        sa.select(sa.func.count(sa.distinct(Judgment.expert_id))).where(
            Judgment.round_id == second.id
        )
    )
    assert 0 < revised < 12
    rationales = [j.rationale for j in judgments if j.rationale]
    assert len(set(rationales)) >= 3 * len(study.questions)


def _answer(judgment):
    from elicit.judgments.rules import Answer

    return Answer(
        judgment.probability,
        judgment.lower,
        judgment.upper,
        judgment.quantile_values,
        judgment.confidence,
        judgment.rationale,
    )


def test_demo_answers_vary_between_experts(demo_output, session):
    study = session.scalar(sa.select(Study).where(Study.slug == "demo"))
    first = study.rounds[0]
    for question in study.questions:
        values = [
            central_value(question, j)
            for j in session.scalars(
                sa.select(Judgment).where(
                    Judgment.round_id == first.id, Judgment.question_id == question.id
                )
            )
        ]
        assert len(set(values)) >= 3, question.key
        if question.kind is not QuestionKind.QUANTITY:
            assert 0 < min(values) <= max(values) < 1


def test_calibration_answers_are_near_but_not_at_the_realization(demo_output, session):
    questions = session.scalars(
        sa.select(Question)
        .join(Study)
        .where(Study.slug == "demo", Question.calibration, Question.unit.is_not(None))
    ).all()
    assert questions
    for question in questions:
        medians = [
            central_value(question, j)
            for j in session.scalars(sa.select(Judgment).where(Judgment.question_id == question.id))
        ]
        spread = np.ptp(medians)
        assert abs(np.median(medians) - question.realization) <= max(
            spread, 0.5 * abs(question.realization)
        )


NUMBER = re.compile(r"(?<![\w.,])(\d+(?:,\d{3})*(?:\.\d+)?)(?![\w,]\d)(\s?%)?")
"""A number as a rationale writes it (12, 1,550,000, 2.5, 35%); not the 7 of G7 or the 5 of 5th."""
YEAR = re.compile(r"(19|20)\d\d")
POINTS = 1.0
"""How far, in percentage points, a probability in a rationale may be from the expert's answer."""
RELATIVE = 0.01
"""How far, as a share, a quantity in a rationale may lie outside the expert's range."""


def test_every_rationale_agrees_with_the_numbers_beside_it(demo_output, session):
    """A simulated expert's reasons never contradict their own answer (the real studies' may).

    In a probability question's rationale every percentage is within
    ``POINTS`` of the expert's probability (of their range, for a range); in a
    quantity's, every number but a year lies within the expert's lowest and
    highest value, give or take ``RELATIVE``. Both rounds, every version.
    """
    checked = 0
    versions = session.scalars(
        sa.select(JudgmentRevision)
        .join(Judgment)
        .join(Question)
        .join(Study)
        .where(Study.slug == "demo", JudgmentRevision.rationale != "")
    )
    for version in versions:
        question = version.judgment.question
        assert "{" not in version.rationale and "}" not in version.rationale
        for text, percent in NUMBER.findall(version.rationale):
            value = float(text.replace(",", ""))
            if question.kind is QuestionKind.QUANTITY:
                if YEAR.fullmatch(text) and not percent:
                    continue
                low, high = version.quantile_values[0], version.quantile_values[-1]
                inside = low - RELATIVE * abs(low) <= value <= high + RELATIVE * abs(high)
            elif percent:
                best = version.probability
                low = best if version.lower is None else version.lower
                high = best if version.upper is None else version.upper
                inside = 100 * low - POINTS <= value <= 100 * high + POINTS
            else:
                continue
            assert inside, (question.key, version.rationale, version)
            checked += 1
    assert checked > 200


def test_demo_prints_a_working_login_and_invitation_link(demo_output, client, session):
    email = re.search(r"e-mail:\s+(\S+)", demo_output).group(1)
    password = re.search(r"password:\s+(\S+)", demo_output).group(1)
    link = re.search(r"(http://127\.0\.0\.1:5000/invite/(\S+))", demo_output)
    assert link and len(link.group(2)) >= 43
    invitation = session.scalar(
        sa.select(Invitation).where(Invitation.token_hash == hash_token(link.group(2)))
    )
    assert invitation.expert.pseudonym == "Alder"
    assert login(client, email, password).status_code == 302
    page = client.get("/facilitate/studies/demo")
    assert page.status_code == 200
    assert "Round 1: closed" in page.text and "Round 2: open" in page.text


def test_a_second_run_changes_nothing_and_prints_the_same_access(demo_output, runner, session):
    before = counts(session)
    again = runner.invoke(args=["demo"])
    assert again.exit_code == 0, again.stderr
    assert "already set up" in again.output
    assert counts(session) == before
    access = demo_output[demo_output.index("Facilitator login") :]
    assert access in again.output


def test_the_panel_is_the_same_on_every_machine(demo_output, session):
    """The simulation is seeded: the same seed draws the same answers, another seed others."""
    questions = session.scalars(
        sa.select(Question).join(Study).where(Study.slug == "demo").order_by(Question.position)
    ).all()
    scenario = services._load_scenario(questions)

    def draw(seed):
        panel = services._Panel(scenario, seed)
        return [panel.first_answer(i, q) for i in range(3) for q in questions]

    assert draw(services.SEED) == draw(services.SEED)
    assert draw(services.SEED) != draw(services.SEED + 1)


def test_demo_refuses_clearly_when_it_cannot_build(runner, session, app, tmp_path):
    from tests import factories

    factories.user(session, email=services.FACILITATOR_EMAIL)
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 2
    assert "already exists; the demo was not created" in result.stderr


def test_demo_with_an_unreadable_secrets_file_says_so(demo_output, runner, app):
    Path(app.instance_path, "demo.json").write_text("{not json")
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 2 and "its login cannot be read" in result.stderr


def test_the_analyst_sees_the_two_real_studies_and_only_those(demo_output, client, session):
    email = re.search(r"Analyst login.*\n\s+e-mail:\s+(\S+)", demo_output).group(1)
    password = re.search(r"Analyst login.*\n.*\n\s+password:\s+(\S+)", demo_output).group(1)
    assert email == services.ANALYST_EMAIL
    assert login(client, email, password).status_code == 302
    listing = client.get("/analyse/")
    assert listing.status_code == 200
    for slug in services.REFERENCE_STUDIES:
        assert f"/analyse/studies/{slug}" in listing.text
        assert client.get(f"/analyse/studies/{slug}").status_code == 200
    assert client.get("/analyse/studies/demo").status_code == 404


def test_the_real_studies_hold_their_published_data(demo_output, session):
    replicats = session.scalar(sa.select(Study).where(Study.slug == "replicats-pilot"))
    tobacco = session.scalar(sa.select(Study).where(Study.slug == "tudelft-tobacco"))
    assert len(replicats.experts) == 25 and len(replicats.rounds) == 2
    assert sum(q.resolution is not None for q in replicats.questions) == 25
    assert len(tobacco.experts) == 7 and sum(q.calibration for q in tobacco.questions) == 10
    assert replicats.questions[0].source.url.startswith("https://github.com/metamelb-repliCATS")
    assert tobacco.questions[0].source.url == "https://doi.org/10.17632/tp5sp4gcd5.1"
    demo = session.scalar(sa.select(Study).where(Study.slug == "demo"))
    assert all(q.resolution is None for q in demo.questions)


def test_an_older_demo_gets_the_real_studies_and_the_analyst_on_the_next_run(runner, session, app):
    """A demo made before the real studies shipped gains them, once, keeping its logins."""
    from elicit import PROJECT_ROOT
    from elicit.config import write_private

    older = services.build(session, PROJECT_ROOT / "question_sets")
    session.commit()
    saved = {
        "email": older.facilitator.email,
        "password": older.password,
        "invitation_token": older.invitation_token,
    }
    secrets = Path(app.instance_path, "demo.json")
    write_private(secrets, json.dumps(saved))
    again = runner.invoke(args=["demo"])
    assert again.exit_code == 0, again.stderr
    assert "already set up" in again.output and "Analyst login" in again.output
    assert older.password in again.output
    for slug in services.REFERENCE_STUDIES:
        assert session.scalar(sa.select(Study).where(Study.slug == slug)) is not None
    assert json.loads(secrets.read_text())["analyst_email"] == services.ANALYST_EMAIL
    before = counts(session)
    third = runner.invoke(args=["demo"])
    assert third.exit_code == 0 and counts(session) == before
    assert again.output[again.output.index("Facilitator login") :] in third.output
