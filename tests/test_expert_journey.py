"""The expert's journey through the web pages: link, consent, answers, drafts, feedback."""

from __future__ import annotations

import re
import time
from datetime import date, timedelta
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from elicit import PROJECT_ROOT
from elicit.db import utcnow
from elicit.demo.services import build
from elicit.feedback.services import set_rationale_hidden, update_settings
from elicit.judgments.models import Judgment, JudgmentDraft, JudgmentRevision
from elicit.judgments.rules import Answer
from elicit.judgments.submission import record_judgment
from elicit.panels.models import Expert, Invitation
from elicit.panels.services import add_expert, issue_invitation, revoke_invitation
from elicit.rounds.services import close_round, create_round, open_round
from elicit.studies.models import Outcome, QuestionKind
from elicit.studies.services import resolve_question
from tests import factories
from tests.conftest import csrf_token


@pytest.fixture
def panel(session):
    """A study with three questions (one per kind), four experts and round 1 open."""
    study = factories.study(session)
    study.description = "An introduction to the study.\n\nA second paragraph."
    binary = factories.question(session, study, key="bin", title="Will it happen?")
    interval = factories.question(
        session,
        study,
        key="int",
        kind=QuestionKind.BINARY_INTERVAL,
        title="How likely, with a range?",
        section="Second section",
    )
    quantity = factories.question(
        session,
        study,
        key="qty",
        kind=QuestionKind.QUANTITY,
        title="How many?",
        section="Second section",
        lower_bound=0.0,
        upper_bound=100.0,
    )
    experts = [
        add_expert(session, study, pseudonym=name, name=f"Person {name}", email=f"{name}@x.test")
        for name in ("Alder", "Birch", "Cedar", "Elm")
    ]
    tokens = [issue_invitation(session, expert) for expert in experts]
    round_ = create_round(session, study)
    open_round(session, round_)
    session.commit()
    return {
        "study": study,
        "questions": (binary, interval, quantity),
        "experts": experts,
        "tokens": tokens,
        "round": round_,
    }


def enter(client, token, consent=True):
    """Open the invitation link and, if asked, consent; return the last response."""
    response = client.get(f"/invite/{token}")
    assert response.status_code == 302
    if not consent:
        return response
    welcome = client.get("/expert/")
    return client.post(
        "/expert/consent", data={"csrf_token": csrf_token(welcome.text), "agree": "y"}
    )


def form(page_html, questions, values, action="submit"):
    """Build the answer form as the page would send it.

    ``values`` maps a question to what the expert typed (e.g. probability);
    the digest of what each question showed is copied from ``page_html``.
    """
    data = {"csrf_token": csrf_token(page_html), "action": action}
    shown = dict(re.findall(r'name="(q\d+-shown)" value="([0-9a-f]+)"', page_html))
    for question in questions:
        prefix = f"q{question.id}"
        data[f"{prefix}-present"] = "1"
        data[f"{prefix}-shown"] = shown.get(f"{prefix}-shown", "")
        for name, value in values.get(question, {}).items():
            if name == "quantile_values":
                for i, text in enumerate(value):
                    data[f"{prefix}-q{i}"] = text
            else:
                data[f"{prefix}-{name}"] = value
    return data


def state_of(page_html, question):
    """The state the answer page gives ``question``: in the question index, and beside it."""
    index = re.search(rf'data-index-for="{question.id}" data-state="(\w+)"', page_html).group(1)
    article = page_html[page_html.index(f'data-question="{question.id}"') :]
    status = re.search(r'<p class="status">(.*?)</p>', article, re.S).group(1)
    return index, " ".join(re.sub(r"<[^>]+>", "", status).split())


def judgments(session, expert):
    """The expert's judgments, fresh from the database."""
    session.expire_all()
    return session.scalars(sa.select(Judgment).where(Judgment.expert_id == expert.id)).all()


# Entering by invitation link


def test_a_link_starts_a_session_and_drops_the_token_from_the_address(client, panel, session):
    token = panel["tokens"][0]
    response = client.get(f"/invite/{token}")
    assert response.status_code == 302
    assert response.location == "/expert/" and token not in response.location
    welcome = client.get("/expert/")
    assert welcome.status_code == 200
    assert "An introduction to the study." in welcome.text and "Who sees what" in welcome.text
    assert "worked example" in welcome.text
    session.expire_all()
    used = sa.select(Invitation.last_used_at).where(Invitation.expert_id == panel["experts"][0].id)
    assert session.scalar(used) is not None


def test_unknown_and_expired_links_get_the_same_page_and_a_withdrawn_one_says_so(
    client, panel, session
):
    experts, tokens = panel["experts"], panel["tokens"]
    revoke_invitation(session, experts[1].invitations[0])
    experts[2].invitations[0].expires_at = utcnow() - timedelta(minutes=1)
    session.commit()
    pages = [client.get(f"/invite/{token}") for token in ("x" * 43, tokens[2], "short", "y" * 500)]
    assert {page.status_code for page in pages} == {404}
    # the same page, but for the header's language form (its CSRF token carries a time)
    texts = {re.sub(r'name="csrf_token" value="[^"]*"', "", page.text) for page in pages}
    assert len(texts) == 1
    assert "This link does not open a study" in pages[0].text
    withdrawn = client.get(f"/invite/{tokens[1]}")
    assert withdrawn.status_code == 410
    assert "This link has been withdrawn" in withdrawn.text
    assert not any(token in page.text for token in tokens for page in [*pages, withdrawn])
    assert client.get("/expert/round").status_code == 401


def test_revoking_a_link_ends_the_session_it_started(client, panel, session):
    enter(client, panel["tokens"][0])
    assert client.get("/expert/round").status_code == 200
    revoke_invitation(session, panel["experts"][0].invitations[0])
    session.commit()
    page = client.get("/expert/round")
    assert page.status_code == 401 and "Open your invitation link again" in page.text


def test_a_returning_expert_uses_the_same_link_again(client, panel):
    enter(client, panel["tokens"][0])
    client.post("/expert/leave", data={"csrf_token": csrf_token(client.get("/expert/guide").text)})
    assert client.get("/expert/round").status_code == 401
    client.get(f"/invite/{panel['tokens'][0]}")
    assert client.get("/expert/round").status_code == 200


def test_repeated_failures_from_one_address_are_slowed(rate_limited_client, monkeypatch):
    responses = [rate_limited_client.get(f"/invite/{'z' * 43}") for _ in range(12)]
    assert [r.status_code for r in responses] == [404] * 10 + [429, 429]
    assert "Too many attempts. Try again in about a minute." in responses[10].text
    assert "per 1 minute" not in responses[10].text
    assert 1 <= int(responses[10].headers["Retry-After"]) <= 60
    # Seen from 38 min 45 s earlier, the limit (about a minute away) is about 40 minutes away.
    earlier = time.time() - 39 * 60 + 15
    monkeypatch.setattr("elicit.web.time", SimpleNamespace(time=lambda: earlier))
    later = rate_limited_client.get(f"/invite/{'z' * 43}")
    assert "Too many attempts. Try again in about 40 minutes." in later.text


def test_welcome_asks_for_consent_before_the_questions(client, panel, session):
    enter(client, panel["tokens"][0], consent=False)
    assert client.get("/expert/round").location == "/expert/"
    welcome = client.get("/expert/")
    refused = client.post("/expert/consent", data={"csrf_token": csrf_token(welcome.text)})
    assert refused.status_code == 400
    assert 'id="agree-error"' in refused.text and "Tick the box" in refused.text
    assert panel["experts"][0].consented_at is None
    enter(client, panel["tokens"][0])
    session.expire_all()
    assert panel["experts"][0].consented_at is not None
    assert client.get("/expert/").location == "/expert/round"


# Answering


def test_the_answer_page_groups_questions_and_shows_progress(client, panel):
    enter(client, panel["tokens"][0])
    page = client.get("/expert/round").text
    questions = page[page.index('id="answers"') :]
    assert (
        questions.index(">Section<")
        < questions.index("Will it happen?")
        < questions.index(">Second section<")
    )
    assert '<span id="answered-count">0</span> of 3 answered' in page
    binary, interval, quantity = panel["questions"]
    assert f'<label for="q{binary.id}-probability">' in page
    assert 'type="range"' in page and "(1 to 99)" in page
    for name in ("lower", "probability", "upper"):
        assert f'id="q{interval.id}-{name}"' in page
    assert "5th percentile" in page and "95th percentile" in page and "In units" in page
    assert "How it resolves, dates and source" in page and "a quote" in page


def test_a_wrong_field_is_explained_beside_it_and_everything_typed_is_kept(client, panel, session):
    enter(client, panel["tokens"][0])
    binary, interval, quantity = panel["questions"]
    page = client.get("/expert/round").text
    values = {
        binary: {"probability": "35", "rationale": "Base rates are low."},
        interval: {"lower": "40", "probability": "30", "upper": "50"},
        quantity: {"quantile_values": ["10", "abc", "30"], "confidence": "4"},
    }
    response = client.post("/expert/rounds/1/answers", data=form(page, panel["questions"], values))
    assert response.status_code == 302 and response.location == "/expert/round?check=1"
    text = client.get(response.location).text
    assert f'id="q{interval.id}-probability-error"' in text
    assert "The best estimate must lie between the lower and upper values." in text
    assert "“abc” is not a number" in text
    assert 'value="35"' in text and "Base rates are low." in text and 'value="abc"' in text
    assert "nothing was submitted yet" in text
    assert judgments(session, panel["experts"][0]) == []
    drafts = session.scalars(sa.select(JudgmentDraft)).all()
    assert {d.question_id for d in drafts} == {binary.id, interval.id, quantity.id}

    values[interval]["probability"] = "45"
    values[quantity]["quantile_values"] = ["10", "20", "30"]
    done = client.post("/expert/rounds/1/answers", data=form(text, panel["questions"], values))
    assert done.status_code == 302 and done.location == "/expert/rounds/1/receipt"
    recorded = {j.question_id: j for j in judgments(session, panel["experts"][0])}
    assert recorded[binary.id].probability == pytest.approx(0.35)
    assert recorded[binary.id].rationale == "Base rates are low."
    assert (recorded[interval.id].lower, recorded[interval.id].upper) == (0.4, 0.5)
    assert recorded[quantity.id].quantile_values == [10.0, 20.0, 30.0]
    assert recorded[quantity.id].confidence == 4
    assert session.scalars(sa.select(JudgmentDraft)).all() == []
    receipt = client.get("/expert/rounds/1/receipt").text
    assert "Recorded: 3 answers" in receipt
    assert "35%" in receipt and "40% to 50%, best 45%" in receipt
    assert "5th: 10; 50th: 20; 95th: 30\xa0units" in receipt


@pytest.mark.parametrize(
    ("kind", "fields", "message"),
    [
        ("binary", {"probability": ""}, None),
        ("binary", {"probability": "0"}, "0% is outside the allowed range: 1% to 99%"),
        ("binary", {"probability": "100"}, "100% is outside the allowed range: 1% to 99%"),
        ("binary", {"probability": "thirty"}, "is not a number"),
        ("binary", {"probability": "1,500"}, "is not a number"),
        ("binary", {"probability": "35", "confidence": "9"}, "Choose a confidence from 1 to 5"),
        ("binary", {"probability": "35", "rationale": "x" * 10_001}, "Keep the rationale"),
        ("binary_interval", {"lower": "10", "probability": "20"}, "Enter a probability"),
        ("quantity", {"quantile_values": ["1", "", "3"]}, "Enter a value for every percentile"),
        ("quantity", {"quantile_values": ["3", "2", "1"]}, "larger than the one before"),
        ("quantity", {"quantile_values": ["-1", "2", "3"]}, "-1 is below the lowest allowed"),
        ("quantity", {"quantile_values": ["1", "2", "300"]}, "300 is above the highest allowed"),
    ],
)
def test_every_answer_rule_is_shown_beside_its_field(client, panel, session, kind, fields, message):
    enter(client, panel["tokens"][0])
    question = next(q for q in panel["questions"] if q.kind.value == kind)
    page = client.get("/expert/round").text
    response = client.post(
        "/expert/rounds/1/answers",
        data=form(page, panel["questions"], {question: fields}),
        follow_redirects=True,
    )
    if message is None:
        assert response.request.path == "/expert/rounds/1/receipt"
    else:
        assert response.request.path == "/expert/round" and message in response.text
        assert f"q{question.id}-" in response.text.split('class="error"')[1][:80]
    assert judgments(session, panel["experts"][0]) == []


def test_a_double_submission_records_one_answer_and_one_version(client, panel, session):
    enter(client, panel["tokens"][0])
    binary = panel["questions"][0]
    page = client.get("/expert/round").text
    data = form(page, panel["questions"], {binary: {"probability": "20"}})
    first = client.post("/expert/rounds/1/answers", data=data)
    second = client.post("/expert/rounds/1/answers", data=data)
    assert first.status_code == second.status_code == 302
    [judgment] = judgments(session, panel["experts"][0])
    assert judgment.revision == 1
    assert session.scalar(sa.select(sa.func.count()).select_from(JudgmentRevision)) == 1


def test_changing_an_answer_keeps_every_version(client, panel, session):
    enter(client, panel["tokens"][0])
    binary = panel["questions"][0]
    page = client.get("/expert/round").text
    client.post(
        "/expert/rounds/1/answers", data=form(page, [binary], {binary: {"probability": "20"}})
    )
    page = client.get("/expert/round").text
    assert state_of(page, binary) == ("submitted", "Submitted (version 1 recorded)")
    assert 'value="20"' in page
    client.post(
        "/expert/rounds/1/answers", data=form(page, [binary], {binary: {"probability": "25"}})
    )
    [judgment] = judgments(session, panel["experts"][0])
    assert judgment.revision == 2 and judgment.probability == pytest.approx(0.25)
    assert [(r.revision, r.probability) for r in judgment.revisions] == [(1, 0.2), (2, 0.25)]
    page = client.get("/expert/round").text
    assert state_of(page, binary) == ("submitted", "Submitted (version 2 recorded)")


def test_save_draft_without_javascript_keeps_the_typing_and_records_nothing(client, panel, session):
    enter(client, panel["tokens"][0])
    quantity = panel["questions"][2]
    page = client.get("/expert/round").text
    values = {quantity: {"quantile_values": ["5", "oops", ""], "rationale": "half done"}}
    saved = client.post(
        "/expert/rounds/1/answers", data=form(page, panel["questions"], values, action="draft")
    )
    assert saved.status_code == 302
    again = client.get(saved.location).text
    assert "Your draft is saved." in again and 'value="oops"' in again and "half done" in again
    assert state_of(again, quantity) == ("attention", "Draft saved, needs attention")
    assert "Enter a value for every percentile." in again and 'id="error-summary"' not in again
    assert judgments(session, panel["experts"][0]) == []


def test_autosave_stores_drafts_as_json(client, panel, session):
    enter(client, panel["tokens"][0])
    binary, interval, _ = panel["questions"]
    page = client.get("/expert/round").text
    headers = {"X-CSRFToken": csrf_token(page)}
    saved = client.post(
        "/expert/rounds/1/drafts",
        json={"answers": {str(binary.id): {"probability": "4", "rationale": "typing"}}},
        headers=headers,
    )
    assert saved.status_code == 200
    assert saved.json == {
        "saved": [str(binary.id)],
        "complete": [str(binary.id)],
        "closed": [],
        "states": {str(binary.id): "draft"},
    }
    [draft] = session.scalars(sa.select(JudgmentDraft)).all()
    assert draft.fields["probability"] == "4" and draft.fields["rationale"] == "typing"
    assert 'value="4"' in client.get("/expert/round").text

    bad = [
        ("not json", 400),
        ({"answers": []}, 400),
        ({"answers": {str(binary.id): {"probability": "4", "rationale": "\x00"}}}, 400),
        ({"answers": {str(binary.id): {"rationale": "x" * 20_001}}}, 400),
        ({"answers": {str(binary.id): {"probability": 4}}}, 400),
    ]
    for payload, status in bad:
        kwargs = (
            {"data": payload, "content_type": "application/json"}
            if isinstance(payload, str)
            else {"json": payload}
        )
        response = client.post("/expert/rounds/1/drafts", headers=headers, **kwargs)
        assert response.status_code == status, payload
        assert set(response.json["error"]) == {"code", "message"}
    # As many answers as the study has questions (one unknown: listed as closed), not more.
    known = {str(q.id): {"rationale": "kept"} for q in panel["questions"][:2]}
    as_many = client.post(
        "/expert/rounds/1/drafts", json={"answers": {**known, "0": {}}}, headers=headers
    )
    assert as_many.status_code == 200 and as_many.json["closed"] == ["0"]
    too_many = {**known, "0": {}, "999999": {}}
    refused = client.post("/expert/rounds/1/drafts", json={"answers": too_many}, headers=headers)
    assert refused.status_code == 400
    assert "More answers were sent than the study has questions" in refused.json["error"]["message"]
    unsaved = client.post("/expert/rounds/1/drafts", json={"answers": {}})
    assert unsaved.status_code == 401
    assert unsaved.json["error"]["code"] == "session_ended"
    assert "earlier session" in unsaved.json["error"]["message"]


def test_a_late_submission_is_refused_and_the_typing_stays_visible(client, panel, session):
    enter(client, panel["tokens"][0])
    binary = panel["questions"][0]
    page = client.get("/expert/round").text
    close_round(session, panel["round"])
    session.commit()
    values = {binary: {"probability": "61", "rationale": "written before the close"}}
    late = client.post("/expert/rounds/1/answers", data=form(page, panel["questions"], values))
    assert late.status_code == 409
    assert "Round 1 has closed" in late.text
    assert 'value="61"' in late.text and "written before the close" in late.text
    assert "Submit round 1" not in late.text
    assert judgments(session, panel["experts"][0]) == []
    autosave = client.post(
        "/expert/rounds/1/drafts",
        json={"answers": {str(binary.id): {"probability": "5"}}},
        headers={"X-CSRFToken": csrf_token(page)},
    )
    assert autosave.status_code == 409 and autosave.json["error"]["code"] == "round_closed"


def test_a_form_sent_after_the_session_ended_is_shown_back(client, panel, session):
    binary = panel["questions"][0]
    data = {
        "csrf_token": "stale",
        "action": "submit",
        f"q{binary.id}-present": "1",
        f"q{binary.id}-probability": "42",
        f"q{binary.id}-rationale": "my careful reasoning",
    }
    response = client.post("/expert/rounds/1/answers", data=data)
    assert response.status_code == 401
    assert "Your session has ended" in response.text
    assert "my careful reasoning" in response.text and "42" in response.text


# Feedback between rounds


@pytest.fixture
def second_round(panel, session):
    """Round 1 answered by all four experts (with rationales) and closed; round 2 open."""
    binary, interval, quantity = panel["questions"]
    for i, expert in enumerate(panel["experts"]):
        record_judgment(
            session,
            expert,
            binary,
            panel["round"],
            Answer(probability=0.1 + 0.1 * i, rationale=f"reason number {i}"),
        )
        record_judgment(
            session,
            expert,
            quantity,
            panel["round"],
            Answer(quantile_values=[1.0 + i, 10.0 + i, 50.0 + i], rationale=f"range reason {i}"),
        )
    close_round(session, panel["round"])
    later = create_round(session, panel["study"])
    open_round(session, later)
    session.commit()
    return later


def test_round_2_shows_the_panels_answers_with_the_experts_own_marked(client, panel, second_round):
    enter(client, panel["tokens"][0])
    page = client.get("/expert/round").text
    assert "The panel in round 1" in page
    assert page.count("<svg") == 2
    assert page.count('class="dot own"') == 2
    assert "Median <strong>25%</strong> · middle half 18% to 33% · 4 answers" in page
    assert "Your round 1 answer: 10%" in page
    for i in range(4):
        assert f"reason number {i}" in page
    labels = set(re.findall(r"<strong>(Expert [A-Z]+)( \(you\))?</strong>", page))
    assert {label for label, _ in labels} == {"Expert A", "Expert B", "Expert C", "Expert D"}
    assert "No one answered this question in round 1." in page


def test_hidden_rationales_and_small_panels_are_left_out(client, panel, second_round, session):
    hidden = session.scalar(sa.select(Judgment).where(Judgment.rationale == "reason number 2"))
    set_rationale_hidden(session, hidden, True)
    enter(client, panel["tokens"][0])
    page = client.get("/expert/round").text
    assert "reason number 2" not in page and "reason number 3" in page
    assert "4 answers" in page
    update_settings(session, panel["study"], min_answers=5, hide_until_answered=False)
    page = client.get("/expert/round").text
    assert "Fewer than 5 experts answered" in page
    assert "<svg" not in page and "reason number 3" not in page


def test_feedback_can_wait_until_the_expert_has_answered(client, panel, second_round, session):
    update_settings(session, panel["study"], min_answers=3, hide_until_answered=True)
    enter(client, panel["tokens"][0])
    page = client.get("/expert/round").text
    assert "<svg" not in page and "reason number" not in page and "Median" not in page
    assert page.count("Save your own first answer to this question") == 2
    binary = panel["questions"][0]
    saved = client.post(
        "/expert/rounds/2/drafts",
        json={"answers": {str(binary.id): {"probability": "30"}}},
        headers={"X-CSRFToken": csrf_token(page)},
    )
    assert saved.json["complete"] == [str(binary.id)]
    page = client.get("/expert/round").text
    assert page.count("<svg") == 1 and "reason number 1" in page


def test_the_record_shows_answers_across_rounds_and_scores(client, panel, second_round, session):
    binary, _, quantity = panel["questions"]
    expert = panel["experts"][0]
    record_judgment(session, expert, binary, second_round, Answer(probability=0.3))
    resolve_question(
        session,
        binary,
        outcome=Outcome.YES,
        source="news",
        resolved_on=date(2026, 11, 1),
        actor=panel["study"].owner,
    )
    resolve_question(
        session,
        quantity,
        value=40.0,
        source="stats",
        resolved_on=date(2026, 11, 1),
        actor=panel["study"].owner,
    )
    enter(client, panel["tokens"][0])
    page = client.get("/expert/record").text
    assert "you are <strong>Alder</strong>" in page
    assert "Brier 0.810" in page and "Brier 0.490" in page
    assert "inside your range" in page
    questions = client.get("/expert/round").text
    assert "Will it happen?" not in questions and "How likely, with a range?" in questions


# Anonymity


def _other_experts_traces(session, study, me):
    """Every string that would identify another expert of ``study`` or when they answered."""
    traces = []
    for expert in session.scalars(sa.select(Expert).where(Expert.study_id == study.id)):
        for invitation in expert.invitations:
            traces.append(invitation.token_hash)
        if expert.id == me.id:
            continue
        contact = expert.contact
        traces += [contact.name, contact.email, contact.affiliation]
        for judgment in session.scalars(sa.select(Judgment).where(Judgment.expert_id == expert.id)):
            for stamp in (judgment.created_at, judgment.updated_at):
                traces += [stamp.isoformat(), stamp.strftime("%Y-%m-%d %H:%M:%S")]
    return [t for t in traces if t]


def test_no_expert_page_identifies_another_expert(client, session, app):
    result = build(session, PROJECT_ROOT / "question_sets")
    study = result.study
    me = next(e for e in study.experts if e.pseudonym == "Alder")
    others = [e.pseudonym for e in study.experts if e.id != me.id]
    enter(client, result.invitation_token)
    page = client.get("/expert/round").text
    binary = next(q for q in study.questions if q.kind is QuestionKind.BINARY)
    client.post(
        "/expert/rounds/2/answers",
        data=form(page, [binary], {binary: {"probability": "50", "rationale": "mine"}}),
    )
    traces = _other_experts_traces(session, study, me)
    seen, queue = set(), ["/expert/", "/expert/round", "/expert/rounds/1/receipt"]
    while queue:
        url = queue.pop()
        if url in seen:
            continue
        seen.add(url)
        response = client.get(url)
        assert response.status_code in (200, 302), url
        html = response.text
        for pseudonym in others:
            assert not re.search(rf"\b{pseudonym}\b", html), (url, pseudonym)
        for trace in traces:
            assert trace not in html, (url, trace)
        assert result.invitation_token not in html
        queue += [
            link for link in re.findall(r'href="(/expert/[^"#?]*)"', html) if link not in seen
        ]
    assert {"/expert/round", "/expert/record", "/expert/guide", "/expert/rounds/2/receipt"} <= seen
    calibration = [q for q in study.questions if q.calibration]
    round_page = client.get("/expert/round").text
    for question in calibration:
        assert question.quote not in round_page


def test_autosave_refuses_text_that_cannot_be_stored(client, panel):
    enter(client, panel["tokens"][0])
    headers = {"X-CSRFToken": csrf_token(client.get("/expert/round").text)}
    binary = panel["questions"][0]
    for body in (
        '{"answers": {"' + str(binary.id) + '": {"rationale": "\\ud800"}}}',
        "[" * 100_000 + "]" * 100_000,
    ):
        response = client.post(
            "/expert/rounds/1/drafts", data=body, content_type="application/json", headers=headers
        )
        assert response.status_code == 400 and response.json["error"]["code"]
    assert client.get("/expert/round").status_code == 200


def test_answers_to_a_question_that_closed_meanwhile_are_never_dropped(client, panel, session):
    enter(client, panel["tokens"][0])
    binary, interval, _ = panel["questions"]
    page = client.get("/expert/round").text
    binary.close_date = date(2020, 1, 1)
    session.commit()
    saved = client.post(
        "/expert/rounds/1/drafts",
        json={"answers": {str(binary.id): {"probability": "40"}, str(interval.id): {"lower": "1"}}},
        headers={"X-CSRFToken": csrf_token(page)},
    )
    assert saved.status_code == 200
    assert saved.json["closed"] == [str(binary.id)] and saved.json["saved"] == [str(interval.id)]
    values = {binary: {"probability": "40", "rationale": "late thought"}}
    refused = client.post("/expert/rounds/1/answers", data=form(page, panel["questions"], values))
    assert refused.status_code == 409
    assert "Some questions closed while this page was open" in refused.text
    assert "Will it happen?" in refused.text and "late thought" in refused.text
    assert judgments(session, panel["experts"][0]) == []


def test_opening_the_link_again_starts_a_new_session_that_open_pages_take_up(
    client, panel, session
):
    enter(client, panel["tokens"][0])
    binary = panel["questions"][0]
    page = client.get("/expert/round").text
    client.get(f"/invite/{panel['tokens'][0]}")
    values = {binary: {"probability": "30", "rationale": "typed in the old tab"}}
    stale = client.post("/expert/rounds/1/answers", data=form(page, [binary], values))
    assert stale.status_code == 401 and "typed in the old tab" in stale.text
    assert judgments(session, panel["experts"][0]) == []
    # The open page's script asks for the new session's token, then sends the form with it.
    token_url = re.search(r'data-session-token="([^"]+)"', page).group(1).replace("&amp;", "&")
    token = client.get(token_url).json["csrf_token"]
    renewed = form(page, [binary], values) | {"csrf_token": token}
    sent = client.post("/expert/rounds/1/answers", data=renewed)
    assert sent.status_code == 302 and sent.location.endswith("/receipt")
    assert len(judgments(session, panel["experts"][0])) == 1


def test_a_stale_save_draft_leaves_newer_drafts_and_records_alone(client, panel, session):
    enter(client, panel["tokens"][0])
    binary, interval, _ = panel["questions"]
    stale = client.get("/expert/round").text
    client.post(
        "/expert/rounds/1/drafts",
        json={"answers": {str(binary.id): {"probability": "40", "rationale": "newer"}}},
        headers={"X-CSRFToken": csrf_token(stale)},
    )
    values = {interval: {"lower": "10", "probability": "20", "upper": "30"}}
    client.post(
        "/expert/rounds/1/answers", data=form(stale, panel["questions"], values, action="draft")
    )
    session.expire_all()
    drafts = {d.question_id: d.fields for d in session.scalars(sa.select(JudgmentDraft))}
    assert drafts[binary.id]["rationale"] == "newer" and drafts[interval.id]["lower"] == "10"

    submitted = client.get("/expert/round").text
    client.post(
        "/expert/rounds/1/answers",
        data=form(
            submitted,
            panel["questions"],
            {
                binary: {"probability": "40", "rationale": "newer"},
                interval: {"lower": "10", "probability": "20", "upper": "30"},
            },
        ),
    )
    again = client.get("/expert/round").text
    page_values = {
        binary: {"probability": "40", "rationale": "newer"},
        interval: {"lower": "10", "probability": "20", "upper": "30"},
    }
    client.post(
        "/expert/rounds/1/answers", data=form(again, panel["questions"], page_values, "draft")
    )
    session.expire_all()
    assert session.scalars(sa.select(JudgmentDraft)).all() == []
    page = client.get("/expert/round").text
    assert state_of(page, binary) == ("submitted", "Submitted (version 1 recorded)")
    assert "no answers" not in client.get("/expert/rounds/1/receipt").text


def test_unreadable_typing_does_not_reveal_hidden_feedback(client, panel, second_round, session):
    update_settings(session, panel["study"], min_answers=3, hide_until_answered=True)
    session.commit()
    enter(client, panel["tokens"][0])
    binary = panel["questions"][0]
    page = client.get("/expert/round").text
    saved = client.post(
        "/expert/rounds/2/drafts",
        json={"answers": {str(binary.id): {"probability": "x"}}},
        headers={"X-CSRFToken": csrf_token(page)},
    )
    assert saved.json["complete"] == []
    assert "<svg" not in client.get("/expert/round").text


def test_a_round_that_has_not_opened_takes_no_answers(client, panel, session):
    enter(client, panel["tokens"][0])
    page = client.get("/expert/round").text
    create_round(session, panel["study"])
    session.commit()
    binary = panel["questions"][0]
    response = client.post(
        "/expert/rounds/2/answers", data=form(page, [binary], {binary: {"probability": "30"}})
    )
    assert response.status_code == 409 and "Round 2 has not opened yet." in response.text


def test_a_nul_character_is_refused_with_the_typing_shown_back(client, panel, session):
    enter(client, panel["tokens"][0])
    binary = panel["questions"][0]
    page = client.get("/expert/round").text
    values = {binary: {"probability": "30", "rationale": "careful\x00words"}}
    response = client.post("/expert/rounds/1/answers", data=form(page, [binary], values))
    assert response.status_code == 400
    assert "NUL character" in response.text and "carefulwords" in response.text
    assert judgments(session, panel["experts"][0]) == []
