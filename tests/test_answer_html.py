"""The answer page's questions, rendered once per shape and filled in per request.

Each question's article is kept with a placeholder for every value
(:mod:`elicit.answering.answer_html`); these tests check that filling it in
gives exactly what rendering the same macro with the real values gives, for
every branch the page has (errors, drafts, recorded versions, pre-filled
answers, each kind of feedback), that typed text is escaped as Jinja escapes
it, and that a shape is rendered once, not once per request.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from flask import get_template_attribute

from elicit import formatting
from elicit.answering import answer_html
from elicit.answering.round_page import question_views
from elicit.rounds.services import takes_answers
from tests import test_expert_journey as journey
from tests.test_expert_journey import enter, form

panel = journey.panel
second_round = journey.second_round

NASTY = "<script>alert(\"x\")</script> & 'quoted' </textarea>"


def rendered_directly(view, round_number, open_, minimum):
    """Render ``view``'s article with its real values, without the kept shapes."""
    look = view.look
    real = SimpleNamespace(
        question=view.question,
        prefix=view.prefix,
        state=look.state,
        recorded=look.recorded,
        answered=look.answered,
        feedback=look.feedback,
        prefilled=look.prefilled,
        confidence=look.confidence,
        previous=formatting.answer(view.previous, view.question) if look.previous else None,
        slider=f"{view.slider_value:g}" if look.slider else None,
        errors=view.errors,
        raw=view.raw,
        number=view.number,
        fingerprint=view.fingerprint,
        version=view.judgment.revision if view.judgment is not None else "",
        chart=view.panel.chart if view.panel else None,
        figures=view.panel.figures if view.panel else None,
        rationales=view.panel.rationales if view.panel else None,
    )
    return str(
        get_template_attribute(answer_html.TEMPLATE, "article")(real, round_number, open_, minimum)
    )


@pytest.mark.parametrize(
    "setting",
    [
        {"prefill_previous_answers": True},
        {"hide_feedback_until_answered": True},
        {"feedback_min_answers": 9},
    ],
)
def test_a_filled_in_question_reads_as_if_rendered_directly(
    app, client, panel, second_round, session, setting
):
    study = panel["study"]
    for name, value in setting.items():
        setattr(study, name, value)
    session.commit()
    binary, interval, quantity = panel["questions"]
    expert = panel["experts"][0]
    enter(client, panel["tokens"][0])
    page = client.get("/expert/round").text
    values = {
        binary: {"probability": "35", "rationale": NASTY, "confidence": "2"},
        interval: {"lower": "40", "probability": "30", "upper": '50"'},
        quantity: {"quantile_values": ["1", "<b>", "3"], "rationale": "fine"},
    }
    refused = client.post("/expert/rounds/2/answers", data=form(page, panel["questions"], values))
    assert refused.status_code == 302 and refused.location == "/expert/round?check=1"
    client.post(
        "/expert/rounds/2/answers",
        data=form(page, [binary], {binary: {"probability": "35", "rationale": NASTY}}),
    )

    with app.test_request_context():
        session.expire_all()
        expert = session.merge(expert)
        for typed in (None, {interval.id: {**interval_raw(values[interval]), "rationale": NASTY}}):
            views = question_views(expert, second_round, typed)
            open_ = takes_answers(session, second_round, expert.id)
            minimum = study.feedback_min_answers
            looks = set()
            for view in views:
                looks.add(view.look)
                article = str(view.html(second_round.number, open_, minimum)[1])
                assert article == rendered_directly(view, second_round.number, open_, minimum)
                assert "\ue000" not in article
            assert len(looks) == len(views), "each question is seen in a different shape"


def interval_raw(typed):
    """The raw fields of an interval question as typed (see :mod:`elicit.judgments.parsing`)."""
    return {"probability": "", "lower": "", "upper": "", "confidence": "", **typed}


def test_typed_text_is_escaped_where_the_page_shows_it(client, panel):
    binary, interval, quantity = panel["questions"]
    enter(client, panel["tokens"][0])
    page = client.get("/expert/round").text
    values = {
        binary: {"probability": '35"><b>', "rationale": NASTY},
        quantity: {"quantile_values": ["1", '2" onfocus="x', "3"]},
    }
    client.post("/expert/rounds/1/answers", data=form(page, panel["questions"], values))
    text = client.get("/expert/round?check=1").text
    assert "<script>alert" not in text and "</textarea> &" not in text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &#39;quoted&#39;" in text
    assert 'value="35&#34;&gt;&lt;b&gt;"' in text
    assert 'value="2&#34; onfocus=&#34;x"' in text
    assert "\ue000" not in text


def test_a_shape_is_rendered_once_and_then_only_filled_in(client, panel, second_round, monkeypatch):
    rendered = []
    original = answer_html._render

    def counting(question, look, *args):
        rendered.append((question.id, look))
        return original(question, look, *args)

    monkeypatch.setattr(answer_html, "_render", counting)
    monkeypatch.setattr(answer_html, "_kept", type(answer_html._kept)())
    binary = panel["questions"][0]
    enter(client, panel["tokens"][0])
    page = client.get("/expert/round").text
    assert len(rendered) == 3
    assert client.get("/expert/round").text.count("<article") == 3
    assert len(rendered) == 3

    for words in ("first reasons", "second reasons"):
        draft = form(page, [binary], {binary: {"probability": "35", "rationale": words}}, "draft")
        assert client.post("/expert/rounds/2/answers", data=draft).status_code == 302
        page = client.get("/expert/round").text
        assert words in page
    assert "first reasons" not in page
    assert len(rendered) == 4, "only the first draft changed the question's shape"


def test_private_use_text_in_a_question_is_shown_as_typed_not_filled_in(client, panel, session):
    binary = panel["questions"][0]
    binary.title = "Will \ue000rationale\ue001 or \ue000nothing\ue001 happen?"
    session.commit()
    enter(client, panel["tokens"][0])
    page = client.get("/expert/round")
    assert page.status_code == 200
    assert "Will \ue000rationale\ue001 or \ue000nothing\ue001 happen?" in page.text
