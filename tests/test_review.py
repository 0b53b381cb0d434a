"""The review step before submitting a round, without JavaScript.

"Review and submit" saves the form as drafts and shows the review page: every
question with what will be recorded, what stays, what is skipped and what
breaks a rule. Its button submits the saved drafts with the guarantees of a
submission: all or nothing, a repeat changes nothing, a closed round is
refused (409) with the typed values still shown, and a redirect after success.
"""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from elicit.answering.review import review_items
from elicit.judgments.models import JudgmentDraft, JudgmentRevision
from elicit.judgments.rules import Answer
from elicit.judgments.submission import record_judgment
from elicit.rounds.services import close_round
from tests import factories
from tests import test_expert_journey as journey
from tests.conftest import csrf_token
from tests.test_error_summaries import read, summary_links
from tests.test_expert_journey import enter, form, judgments

panel = journey.panel
"""A study with three questions, four experts and round 1 open (the expert journey's fixture)."""


def review(client, values, questions):
    """Send the answer page's form with "Review and submit"; return the review page."""
    page = client.get("/expert/round").text
    sent = client.post(
        "/expert/rounds/1/answers", data=form(page, questions, values, action="review")
    )
    assert sent.status_code == 302 and sent.location == "/expert/rounds/1/review"
    shown = client.get(sent.location)
    assert shown.status_code == 200
    return shown.text


def outcomes(page):
    """Each question's outcome on the review page: (key, outcome, answer shown or None)."""
    items = re.findall(
        r'<li class="review-item review-(\w+)" id="review-([\w-]+)">'
        r"(.*?)</li>\s*(?=<li class|</ul>)",
        page,
        re.S,
    )
    shown = []
    for outcome, key, body in items:
        answer = re.search(r'<p class="review-answer">([^<]*)</p>', body)
        shown.append((key, outcome, answer.group(1) if answer else None))
    return shown


def submit(client, page):
    """Press "Submit round 1" on the review ``page``."""
    digest = re.search(r'name="reviewed" value="([0-9a-f]+)"', page).group(1)
    return client.post(
        "/expert/rounds/1/submission", data={"csrf_token": csrf_token(page), "reviewed": digest}
    )


@pytest.fixture
def extra(panel, session):
    """A fourth question, left unanswered in these tests."""
    question = factories.question(session, panel["study"], key="last", title="And this?")
    session.commit()
    return question


def test_the_review_lists_what_will_be_recorded_skipped_and_kept(client, panel, session, extra):
    binary, interval, quantity = panel["questions"]
    expert = panel["experts"][0]
    record_judgment(session, expert, interval, panel["round"], Answer(0.45, 0.4, 0.5))
    record_judgment(
        session, expert, quantity, panel["round"], Answer(quantile_values=[1.0, 2.0, 3.0])
    )
    session.commit()
    enter(client, panel["tokens"][0])
    values = {
        binary: {"probability": "35", "confidence": "4", "rationale": "Base rates."},
        quantity: {"quantile_values": ["1", "2", "4"]},
    }
    page = review(client, values, [binary, quantity])
    assert outcomes(page) == [
        ("bin", "new", "35%"),
        ("int", "unchanged", "40% to 50%, best 45%"),
        ("qty", "changed", "5th: 1; 50th: 2; 95th: 4\xa0units"),
        ("last", "skipped", None),
    ]
    assert "as version 2, replacing 5th: 1; 50th: 2; 95th: 3\xa0units" in page
    assert "Confidence: 4" in page and "Base rates." in page
    counts = re.findall(r"<dt>([^<]+)</dt><dd>(\d+)</dd>", page)
    assert counts == [
        ("To be recorded now", "2"),
        ("Recorded before, unchanged", "1"),
        ("Skipped (no answer)", "1"),
        ("Need attention", "0"),
    ]
    assert "error-summary" not in read(page).ids
    assert judgments(session, expert) and len(judgments(session, expert)) == 2


def test_submitting_the_review_records_the_drafts_once(client, panel, session, extra):
    binary, interval, _ = panel["questions"]
    enter(client, panel["tokens"][0])
    values = {
        binary: {"probability": "35"},
        interval: {"lower": "10", "probability": "20", "upper": "30"},
    }
    page = review(client, values, [binary, interval])
    done = submit(client, page)
    assert done.status_code == 302 and done.location == "/expert/rounds/1/receipt"
    recorded = {j.question_id: j for j in judgments(session, panel["experts"][0])}
    assert recorded[binary.id].probability == pytest.approx(0.35)
    assert (recorded[interval.id].lower, recorded[interval.id].upper) == (0.1, 0.3)
    assert session.scalars(sa.select(JudgmentDraft)).all() == []

    again = submit(client, page)
    assert again.status_code == 302 and again.location == "/expert/rounds/1/receipt"
    assert session.scalar(sa.select(sa.func.count()).select_from(JudgmentRevision)) == 2
    assert {j.revision for j in judgments(session, panel["experts"][0])} == {1}
    after = client.get("/expert/rounds/1/review").text
    assert [o for _, o, _ in outcomes(after)] == ["unchanged", "unchanged", "skipped", "skipped"]
    assert 'name="reviewed"' not in after and "nothing new to submit" in after


def test_an_answer_that_breaks_a_rule_stops_the_whole_round(client, panel, session, extra):
    binary, _, quantity = panel["questions"]
    enter(client, panel["tokens"][0])
    values = {binary: {"probability": "35"}, quantity: {"quantile_values": ["3", "2", "1"]}}
    page = review(client, values, [binary, quantity])
    assert [o for _, o, _ in outcomes(page)] == ["new", "skipped", "attention", "skipped"]
    links = summary_links(page)
    target = f"/expert/round?check=1#q{quantity.id}-q0"
    assert [href for href, _ in links] == [target]
    assert links[0][1].startswith("Question 3, “How many?”: Each percentile must be larger")
    assert 'name="reviewed"' not in page
    fix = client.get(target.split("#")[0]).text
    field = read(fix).ids[f"q{quantity.id}-q0"]
    assert field["aria-invalid"] == "true" and field["value"] == "3"
    assert summary_links(fix)[0][0] == f"#q{quantity.id}-q0"

    # Sent anyway (the page has no button for it), the round is refused as a whole.
    digest = review_items(panel["experts"][0], panel["round"])[1]
    refused = client.post(
        "/expert/rounds/1/submission", data={"csrf_token": csrf_token(page), "reviewed": digest}
    )
    assert refused.status_code == 302 and refused.location == "/expert/rounds/1/review"
    assert judgments(session, panel["experts"][0]) == []


def test_answers_changed_after_the_review_are_not_submitted_unseen(client, panel, session, extra):
    binary = panel["questions"][0]
    enter(client, panel["tokens"][0])
    page = review(client, {binary: {"probability": "35"}}, [binary])
    client.post(
        "/expert/rounds/1/drafts",
        json={"answers": {str(binary.id): {"probability": "70"}}},
        headers={"X-CSRFToken": csrf_token(page)},
    )
    stale = submit(client, page)
    assert stale.status_code == 409
    assert "Your answers changed after this page was shown" in stale.text
    assert outcomes(stale.text)[0] == ("bin", "new", "70%")
    assert judgments(session, panel["experts"][0]) == []
    assert submit(client, stale.text).location == "/expert/rounds/1/receipt"
    assert judgments(session, panel["experts"][0])[0].probability == pytest.approx(0.7)


def test_a_closed_round_refuses_the_review_and_keeps_what_was_typed(client, panel, session, extra):
    binary = panel["questions"][0]
    enter(client, panel["tokens"][0])
    values = {binary: {"probability": "61", "rationale": "written before the close"}}
    page = review(client, values, [binary])
    close_round(session, panel["round"])
    session.commit()
    late = submit(client, page)
    assert late.status_code == 409
    assert summary_links(late.text) == []
    assert "Round 1 has closed" in late.text
    assert outcomes(late.text)[0] == ("bin", "new", "61%")
    assert "written before the close" in late.text and 'name="reviewed"' not in late.text
    assert judgments(session, panel["experts"][0]) == []
    assert client.get("/expert/rounds/1/review").location == "/expert/rounds/1/receipt"
