"""The answer page for many questions: the question index, saving from anywhere, the slider.

Server-rendered checks (the page without JavaScript); the same page driven by
answer.js is in ``tests/browser/``.
"""

from __future__ import annotations

import re

import sqlalchemy as sa

from elicit.judgments.models import JudgmentDraft
from elicit.judgments.rules import Answer
from elicit.judgments.submission import record_judgment, save_drafts
from tests import factories
from tests import test_expert_journey as journey
from tests.conftest import csrf_token
from tests.test_error_summaries import read
from tests.test_expert_journey import enter, form, state_of

panel = journey.panel
"""A study with three questions, four experts and round 1 open (the expert journey's fixture)."""


def index_of(page: str) -> list[tuple[str, str, str]]:
    """The question index: (link, state, words for the state) per question, in order."""
    nav = page[page.index('<nav class="question-index"') :]
    nav = nav[: nav.index("</nav>")]
    return re.findall(
        r'data-state="(\w+)"><a href="([^"]+)">[^<]*</a> '
        r'<span class="index-state" data-index-state>([^<]*)</span>',
        nav,
    )


def test_the_index_gives_every_question_its_state_in_words(client, panel, session):
    binary, interval, quantity = panel["questions"]
    fourth = factories.question(session, panel["study"], key="last", title="And this?")
    expert = panel["experts"][0]
    record_judgment(session, expert, binary, panel["round"], Answer(probability=0.3))
    save_drafts(
        session,
        expert,
        panel["round"],
        {
            interval.id: {"lower": "10", "probability": "20", "upper": "30"},
            quantity.id: {"quantile_values": ["5", "4", ""], "rationale": "unsure"},
        },
    )
    session.commit()
    enter(client, panel["tokens"][0])
    page = client.get("/expert/round").text
    assert index_of(page) == [
        ("submitted", "#q-bin", "Submitted"),
        ("draft", "#q-int", "Draft saved, not yet submitted"),
        ("attention", "#q-qty", "Draft saved, needs attention"),
        ("empty", "#q-last", "Not answered yet"),
    ]
    ids = read(page).ids
    assert all(ids[f"q-{key}"]["tag"] == "article" for key in ("bin", "int", "qty", "last"))
    assert state_of(page, fourth) == ("empty", "Not answered yet")
    # A draft that breaks a rule says why beside its field, without an error summary.
    assert ids[f"q{quantity.id}-q0"]["aria-invalid"] == "true"
    assert "Enter a value for every percentile." in page and "error-summary" not in ids
    assert '<span id="answered-count">2</span> of 4 answered' in page


def test_autosave_answers_each_questions_state_for_the_index(client, panel, session):
    binary, interval, quantity = panel["questions"]
    record_judgment(session, panel["experts"][0], binary, panel["round"], Answer(probability=0.3))
    session.commit()
    enter(client, panel["tokens"][0])
    headers = {"X-CSRFToken": csrf_token(client.get("/expert/round").text)}
    saved = client.post(
        "/expert/rounds/1/drafts",
        json={
            "answers": {
                str(binary.id): {"probability": "30"},
                str(interval.id): {"lower": "10", "probability": "20", "upper": "30"},
                str(quantity.id): {"quantile_values": ["5", "", ""]},
            }
        },
        headers=headers,
    )
    assert saved.json["states"] == {
        str(binary.id): "submitted",
        str(interval.id): "draft",
        str(quantity.id): "attention",
    }
    cleared = client.post(
        "/expert/rounds/1/drafts",
        json={"answers": {str(interval.id): {"lower": "", "probability": "", "upper": ""}}},
        headers=headers,
    )
    assert cleared.json["states"] == {str(interval.id): "empty"}


def test_an_unanswered_slider_shows_no_value(client, panel, session):
    binary = panel["questions"][0]
    enter(client, panel["tokens"][0])

    def slider_of(page):
        """The binary question's range input, as the page writes it."""
        pattern = rf'<input type="range"[^>]*data-slider-for="q{binary.id}-probability"[^>]*>'
        return re.search(pattern, page).group(0)

    page = client.get("/expert/round").text
    unset = slider_of(page)
    assert 'class="slider unset"' in unset and 'aria-valuetext="No answer yet"' in unset
    assert read(page).ids[f"q{binary.id}-probability"]["value"] == ""
    for typed, shown in (
        ("35", 'value="35"'),
        ("150", None),
        ("abc", None),
        ("2,5", 'value="2.5"'),
    ):
        save_drafts(
            session, panel["experts"][0], panel["round"], {binary.id: {"probability": typed}}
        )
        session.commit()
        tag = slider_of(client.get("/expert/round").text)
        if shown is None:
            assert 'class="slider unset"' in tag and 'aria-valuetext="No answer yet"' in tag, typed
        else:
            assert 'class="slider"' in tag and shown in tag and "aria-valuetext" not in tag, typed


def test_save_draft_and_review_are_offered_from_a_bar_that_stays_in_view(client, panel, session):
    enter(client, panel["tokens"][0])
    page = client.get("/expert/round").text
    bar = page[page.index('<div class="action-bar">') :]
    bar = bar[: bar.index("</form>")]
    assert re.findall(r'<button type="submit" name="action" value="(\w+)"', bar) == [
        "draft",
        "review",
    ]
    assert 'value="submit"' not in page
    binary = panel["questions"][0]
    response = client.post(
        "/expert/rounds/1/answers",
        data=form(page, panel["questions"], {binary: {"probability": "42"}}, action="review"),
    )
    assert response.status_code == 302 and response.location == "/expert/rounds/1/review"
    [draft] = session.scalars(sa.select(JudgmentDraft)).all()
    assert draft.fields["probability"] == "42"
