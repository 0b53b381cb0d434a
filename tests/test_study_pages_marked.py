"""Every text of the new-study, question, clone and archive pages is marked for translation.

The same made-up catalogue as tests/test_staff_messages.py: each marked
message reads ``⟦message⟧``, and nothing but the users' data may be left.
Time-zone names and a question set's own words (titles, ids, the validator's
problems, which are the command line's English) count as data.
"""

from __future__ import annotations

import io

import pytest

from elicit.rounds.services import close_round, open_next_round
from elicit.studies import question_sets
from elicit.studies.editing import withdraw_question
from elicit.studies.models import QuestionKind
from elicit.studies.question_sets import QuestionSetError
from elicit.studies.services import archive_study, time_zones
from tests import factories
from tests import test_staff_messages as staff
from tests.conftest import csrf_token, login
from tests.test_new_study import BUNDLED, URL, settings
from tests.test_staff_messages import LOCALE, formatting, marked, page_of, unmarked

markers = staff.markers
marking = staff.marking


def set_data() -> tuple[str, ...]:
    """The bundled sets' own words: titles, sections, question ids and titles, file names."""
    sets, _ = question_sets.load(BUNDLED)
    words = {s.title for s in sets} | {s.path.name for s in sets}
    for question_set in sets:
        for question in question_set.questions:
            words |= {question.key, question.title, question.section}
    return (*words, *time_zones())


@pytest.fixture
def facilitator(marking, session):
    factories.user(session)
    session.commit()
    login(marking, "fac@example.org", factories.PASSWORD)
    return marking


def send(client, data, action):
    token = csrf_token(client.get(URL).text)
    return client.post(
        URL,
        data={**data, "action": action, "csrf_token": token},
        content_type="multipart/form-data",
    )


def test_the_new_study_page_is_marked_at_every_step(facilitator):
    data = set_data()
    first = page_of(facilitator.get(URL))
    assert marked("New study") in first
    assert unmarked(first, *data) == []
    choose = page_of(send(facilitator, settings(slug="marked", title="Marked"), "choose"))
    assert marked("Questions to ask") in choose
    assert unmarked(choose, *data, "marked", "Marked", "What we ask and why.") == []
    refused = page_of(
        send(facilitator, settings(slug="Bad Slug", questions=[]), "create"), status=400
    )
    assert marked("The study was not created") in refused
    typed = ("Bad Slug", "Talks in 2025", "What we ask and why.")
    reason = "'Bad Slug' must be 3-80 lower-case letters, digits or '-', starting with a"
    assert unmarked(refused, *data, *typed, reason, "letter or digit") == []


def test_the_problems_of_an_upload_are_listed_on_a_marked_page(facilitator):
    broken = b"id: a-set\ntitle: T\nsections: []\n"
    with pytest.raises(QuestionSetError) as caught:
        question_sets.load_upload(broken, "b.yaml", sources_dir=BUNDLED / "sources")
    problem_words = [
        word for p in caught.value.problems for word in (p.file, p.question, p.field, p.reason)
    ]
    upload = settings(source="upload", upload=(io.BytesIO(broken), "b.yaml"))
    page = page_of(send(facilitator, upload, "choose"), status=400)
    typed = ("talks-2025", "Talks in 2025", "What we ask and why.")
    assert unmarked(page, *set_data(), *typed, *problem_words) == []


def test_the_question_pages_and_an_archived_study_are_marked(marking, session):
    owner = factories.user(session)
    study = factories.study(session, owner=owner)
    factories.question(session, study, "first", title="Will it?")
    factories.question(session, study, "second", title="How many?", kind=QuestionKind.QUANTITY)
    session.commit()
    login(marking, "fac@example.org", factories.PASSWORD)
    base = "/facilitate/studies/study"
    closes = formatting.date(study.questions[0].close_date, locale=LOCALE)
    data = ("Study study", "Will it?", "How many?", "first", "second", "Section", "Ukraine")
    for key in ("first", "second"):
        page = page_of(marking.get(f"{base}/questions/{key}"))
        assert marked("Save the question") in page
        assert unmarked(page, *data, "It does.", "Records", "units", "study-copy") == [], key

    factories.expert(session, study, "Zelkova")
    open_next_round(session, study)
    withdraw_question(session, study.questions[1], "Unclear unit.")
    session.commit()
    asked = page_of(marking.get(f"{base}/questions/first"))
    assert marked("Withdraw the question") in asked
    assert unmarked(asked, *data, "It does.", "Records", "first-v2") == []
    study_page = page_of(marking.get(base))
    assert marked("withdrawn") in study_page
    assert unmarked(study_page, *data, closes, "Unclear unit.", "study-copy") == []

    close_round(session, study.rounds[0])
    archive_study(session, study)
    session.commit()
    archived = page_of(marking.get(base))
    assert marked("Unarchive the study") in archived
    assert unmarked(archived, *data, closes, "Unclear unit.", "study-copy") == []
    listing = page_of(marking.get("/facilitate/"))
    assert marked("Archived") in listing
    assert unmarked(listing, *data) == []
