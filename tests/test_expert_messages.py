"""Every text of the expert's pages is marked for translation, the header included.

The expert's journey is walked in Polish with the made-up catalogue of
:mod:`tests.test_staff_messages`, in which every marked message reads as
itself between markers (``⟦Save draft⟧``). Whatever is left of a page's title,
``<body>`` or labels once the markers, the study's own words (titles,
pseudonyms, rationales, ...) and what :mod:`elicit.formatting` wrote (numbers,
dates, and the words of ranges, which its own catalogue translates) are set
aside is English no translator would see, and fails the test. The sentences
``answer.js`` shows come from the page too, and must be marked.
"""

from __future__ import annotations

import json
import re

import pytest
from babel.messages.pofile import read_po

from elicit.i18n import TRANSLATIONS
from tests import test_expert_journey as journey
from tests.conftest import csrf_token
from tests.test_staff_messages import CLOSE, OPEN, markers, marking, unmarked

panel = journey.panel
second_round = journey.second_round
__all__ = ["marking", "markers"]

DATES = re.compile(r"\b\d{1,2} [^\W\d_]+ \d{4}(?: \d\d:\d\d(?::\d\d)? UTC)?")
"""A date or time as :mod:`elicit.formatting` writes it in Polish (``5 grudnia 2026 15:23 UTC``)."""

LANGUAGE_NAMES = ("English",)
"""The header's language buttons name each language in itself, untranslated by design."""


def formatting_words() -> tuple[str, ...]:
    """Every Polish word :mod:`elicit.formatting` may write into a page (``od``, ``percentyl``)."""
    with open(TRANSLATIONS / "pl" / "LC_MESSAGES" / "messages.po", "rb") as po:
        polish = read_po(po, locale="pl")
    words: set[str] = set()
    for message in polish:
        if message.id and any(path == "elicit/formatting.py" for path, _ in message.locations):
            forms = message.string if isinstance(message.string, tuple) else (message.string,)
            for form in forms:
                words.update(re.findall(r"[^\W\d_]+", re.sub(r"%\(\w+\)s", " ", form)))
    return tuple(sorted(words, key=len, reverse=True))


def study_words(panel, *more: str) -> tuple[str, ...]:
    """The study's own words, as the pages may show them (whole and truncated)."""
    study = panel["study"]
    words = [study.title, *study.description.split("\n\n"), *LANGUAGE_NAMES, "elicit", *more]
    for question in panel["questions"]:
        words += [question.title, question.section, question.background or ""]
        words += [question.resolution_criterion, question.resolution_source, question.quote or ""]
        words += [question.source.author, question.source.title, question.source.publisher]
        words += [question.unit or ""]
    for expert in panel["experts"]:
        words.append(expert.pseudonym)
    return tuple(word for word in words if word)


def check(page, *data: str) -> None:
    """Fail naming each run of the page's text with a letter in it, outside markers and ``data``."""
    assert page.status_code < 500, page.status_code
    text = DATES.sub(" ", page.text)
    left = unmarked(text, *data, *formatting_words(), region="body")
    assert not left, f"{page.request.path}: unmarked English: {left}"


def test_the_walk_finds_unmarked_text(marking, panel):
    """The check works on these pages: an English word added to one is found."""
    page = marking.get("/invite/" + "x" * 43)
    page.set_data(page.get_data().replace(b"</main>", b"<p>Left unmarked here</p></main>"))
    with pytest.raises(AssertionError, match="Left unmarked here"):
        check(page, *study_words(panel))


def test_entering_and_consenting_are_marked(marking, panel):
    words = study_words(panel)
    check(marking.get("/invite/" + "x" * 43), *words)
    journey.enter(marking, panel["tokens"][0], consent=False)
    welcome = marking.get("/expert/")
    check(welcome, *words)
    refused = marking.post("/expert/consent", data={"csrf_token": csrf_token(welcome.text)})
    assert refused.status_code == 400 and "error-summary" in refused.text
    check(refused, *words)
    check(marking.post("/expert/leave", data={"csrf_token": csrf_token(welcome.text)}), *words)


def test_the_answer_page_its_problems_and_its_script_are_marked(marking, panel):
    words = study_words(panel, "42", "abc", "my careful reasoning")
    journey.enter(marking, panel["tokens"][0])
    page = marking.get("/expert/round")
    check(page, *words)
    messages = json.loads(
        re.search(r'id="answer-messages">(.*?)</script>', page.text, re.S).group(1)
    )
    assert messages and all(
        text.startswith(OPEN) and text.endswith(CLOSE) for text in messages.values()
    ), messages

    binary, interval, quantity = panel["questions"]
    typed = {
        binary: {"probability": "150", "rationale": "my careful reasoning"},
        interval: {"lower": "40", "probability": "30", "upper": "20"},
        quantity: {"quantile_values": ["10", "abc", "5"]},
    }
    sent = marking.post(
        "/expert/rounds/1/answers", data=journey.form(page.text, panel["questions"], typed)
    )
    assert sent.status_code == 302
    checked = marking.get(sent.location)
    assert "error-summary" in checked.text
    check(checked, *words)
    review = marking.get("/expert/rounds/1/review")
    check(review, *words)


def test_review_receipt_record_and_guide_are_marked(marking, panel):
    words = study_words(panel, "reasons of my own")
    journey.enter(marking, panel["tokens"][0])
    page = marking.get("/expert/round").text
    binary, _interval, quantity = panel["questions"]
    typed = {
        binary: {"probability": "35", "confidence": "4", "rationale": "reasons of my own"},
        quantity: {"quantile_values": ["10", "20", "30"]},
    }
    saved = marking.post(
        "/expert/rounds/1/answers",
        data=journey.form(page, panel["questions"], typed, action="review"),
    )
    review = marking.get(saved.location)
    check(review, *words)
    digest = re.search(r'name="reviewed" value="([^"]+)"', review.text).group(1)
    submitted = marking.post(
        "/expert/rounds/1/submission",
        data={"csrf_token": csrf_token(review.text), "reviewed": digest},
    )
    assert submitted.status_code == 302, submitted.status_code
    check(marking.get(submitted.location), *words)
    check(marking.get("/expert/record"), *words)
    check(marking.get("/expert/guide"), *words)
    check(marking.get("/expert/rounds/1/review"), *words)


def test_the_feedback_of_round_2_is_marked(marking, panel, second_round):
    reasons = [f"reason number {i}" for i in range(4)] + [f"range reason {i}" for i in range(4)]
    words = study_words(panel, *reasons)
    journey.enter(marking, panel["tokens"][0])
    check(marking.get("/expert/round"), *words)
    check(marking.get("/expert/record"), *words)


def test_refusals_and_errors_are_marked(marking, panel, session):
    words = study_words(panel, "my careful reasoning", "42")
    binary = panel["questions"][0]
    ended = marking.post(
        "/expert/rounds/1/answers",
        data={
            "csrf_token": "stale",
            f"q{binary.id}-probability": "42",
            f"q{binary.id}-rationale": "my careful reasoning",
        },
    )
    assert ended.status_code == 401
    check(ended, *words, "probability", "rationale")
    check(marking.get("/no/such/page"), *words)
    journey.enter(marking, panel["tokens"][0])
    from elicit.rounds.services import close_round

    close_round(session, panel["round"])
    session.commit()
    check(marking.get("/expert/"), *words)
