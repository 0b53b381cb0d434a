"""The new-study page: settings, a bundled or uploaded question set, then the questions to ask.

Every refusal answers 400 with the typed input kept and changes nothing.
"""

from __future__ import annotations

import copy
import html
import io
import re

import pytest
import sqlalchemy as sa
import yaml

from elicit.accounts.models import Role
from elicit.audit import AuditEvent
from elicit.studies import question_sets
from elicit.studies.models import Anonymity, Question, Study
from elicit.studies.services import find_study
from tests import factories
from tests.conftest import csrf_token, login
from tests.test_facilitate_controls import text_of
from tests.test_question_sets import BINARY, BUNDLED, QUANTITY
from tests.test_refusals import snapshot

URL = "/facilitate/studies/new"
BUNDLED_FILE = "table-for-five-2024.yaml"
UPLOAD_SET = {
    "id": "uploaded-set",
    "title": "An uploaded set",
    "sections": [
        {"id": "first", "title": "First things", "questions": [BINARY]},
        {"id": "second", "title": "Second things", "questions": [QUANTITY]},
    ],
}
for _section in UPLOAD_SET["sections"]:
    _section["questions"] = [q | {"source": "pism-2025-lorenz"} for q in _section["questions"]]


def upload_bytes(data=None) -> bytes:
    return yaml.safe_dump(data or UPLOAD_SET).encode()


@pytest.fixture
def facilitator(client, session):
    factories.user(session)
    session.commit()
    login(client, "fac@example.org", factories.PASSWORD)
    return client


def settings(**changes) -> dict:
    """The first step's fields, as a facilitator fills them in."""
    return {
        "slug": "talks-2025",
        "title": "Talks in 2025",
        "description": "What we ask and why.",
        "anonymity": "anonymous_to_staff",
        "time_zone": "Europe/Warsaw",
        "source": "bundled",
        "bundled": BUNDLED_FILE,
    } | changes


def send(client, data, action="choose"):
    """POST the page's form with a fresh CSRF token and the pressed button."""
    token = csrf_token(client.get(URL).text)
    return client.post(
        URL,
        data={**data, "action": action, "csrf_token": token},
        content_type="multipart/form-data",
    )


def bundled_keys() -> list[str]:
    sets, _ = question_sets.load(BUNDLED / BUNDLED_FILE)
    return [q.key for s in sets for q in s.questions]


def test_the_studies_list_links_the_page_for_facilitators_and_admins_only(client, session):
    factories.user(session)
    factories.user(session, "admin@example.org", role=Role.ADMIN)
    factories.user(session, "an@example.org", role=Role.ANALYST)
    session.commit()
    for email, linked in (
        ("fac@example.org", True),
        ("admin@example.org", True),
        ("an@example.org", False),
    ):
        login(client, email, factories.PASSWORD)
        index = client.get("/facilitate/")
        assert (f'href="{URL}"' in index.text) is linked, email
        client.post("/logout", data={"csrf_token": csrf_token(index.text)})


def test_the_first_step_offers_the_bundled_sets_and_both_anonymity_models(facilitator):
    page = facilitator.get(URL)
    assert page.status_code == 200
    assert 'value="table-for-five-2024.yaml"' in page.text
    assert 'value="ukraine-negotiations-2025.yaml"' in page.text
    text = text_of(page)
    assert "(14 questions)" in text and "(16 questions)" in text
    assert "Quasi-anonymous: experts are anonymous to each other" in text
    assert "Anonymous to staff: facilitators see who is on the panel" in text
    assert 'value="Europe/Warsaw"' in page.text and 'value="localtime"' not in page.text


def test_a_facilitator_creates_a_study_from_a_bundled_set_with_chosen_questions(
    facilitator, session
):
    keys = bundled_keys()
    choose = send(facilitator, settings())
    assert choose.status_code == 200
    for key in keys:
        assert f'value="{key}" id="question-{key}" checked' in choose.text
    assert "<h2>EU and NATO accession paths</h2>" in choose.text
    assert 'value="talks-2025"' in choose.text
    assert find_study(session, "talks-2025") is None

    chosen = [keys[2], keys[0]]
    created = send(facilitator, settings(questions=chosen), action="create")
    assert created.status_code == 302
    assert created.headers["Location"].endswith("/facilitate/studies/talks-2025")
    session.expire_all()
    study = find_study(session, "talks-2025")
    assert (study.title, study.description) == ("Talks in 2025", "What we ask and why.")
    assert (study.anonymity, study.time_zone) == (Anonymity.ANONYMOUS_TO_STAFF, "Europe/Warsaw")
    assert study.owner.email == "fac@example.org"
    assert [q.key for q in study.questions] == [keys[0], keys[2]]
    events = session.execute(
        sa.select(AuditEvent.action, AuditEvent.actor_id).where(AuditEvent.study_id == study.id)
    ).all()
    assert events == [("study.create", study.owner_id), ("questions.import", study.owner_id)]
    page = facilitator.get(created.headers["Location"])
    assert "The study is created with 2 questions." in text_of(page)


def test_an_uploaded_set_is_read_then_carried_to_the_create_step(facilitator, session):
    data = settings(source="upload", upload=(io.BytesIO(upload_bytes()), "mine.yaml"))
    choose = send(facilitator, data)
    assert choose.status_code == 200
    text = text_of(choose)
    assert 'From the question set "An uploaded set" (mine.yaml).' in text
    assert "First things" in text and "Second things" in text
    assert 'name="upload_name" type="hidden" value="mine.yaml"' in choose.text
    assert "will-it" in choose.text and "how-many" in choose.text

    created = send(
        facilitator,
        settings(
            source="upload",
            upload_text=upload_bytes().decode(),
            upload_name="mine.yaml",
            questions=["how-many"],
        ),
        action="create",
    )
    assert created.status_code == 302
    session.expire_all()
    study = find_study(session, "talks-2025")
    assert [(q.key, q.section, q.question_set) for q in study.questions] == [
        ("how-many", "Second things", "uploaded-set")
    ]


def test_an_uploaded_set_with_problems_lists_every_one_and_keeps_the_typed_fields(
    facilitator, session
):
    broken = copy.deepcopy(UPLOAD_SET)
    broken["sections"][0]["questions"][0]["source"] = "nowhere"
    broken["sections"][1]["questions"][0]["quantiles"] = [0.5, 0.2, 0.9]
    del broken["sections"][1]["questions"][0]["resolution_criterion"]
    before = snapshot(session)
    refused = send(
        facilitator, settings(source="upload", upload=(io.BytesIO(upload_bytes(broken)), "b.yaml"))
    )
    assert refused.status_code == 400
    text = text_of(refused)
    assert "The study was not created" in text
    assert "The question set has 3 problems; nothing was saved." in text
    rows = [
        [html.unescape(cell) for cell in re.findall(r"<td [^>]*>([^<]*)</td>", row)]
        for row in re.findall(r"<tr>(.*?)</tr>", refused.text)
    ]
    assert [
        "b.yaml",
        "will-it",
        "source",
        "unknown source 'nowhere' (not in the sources folder)",
    ] in rows
    assert [
        "b.yaml",
        "how-many",
        "quantiles",
        "[0.5, 0.2, 0.9] must be strictly increasing",
    ] in rows
    assert ["b.yaml", "how-many", "resolution_criterion", "is required"] in rows
    assert 'href="#problems"' in refused.text and 'id="problems"' in refused.text
    assert 'value="talks-2025"' in refused.text and "What we ask and why." in refused.text
    assert '<input checked id="anonymity-1" name="anonymity"' in refused.text
    assert snapshot(session) == before


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"id: [unclosed", "malformed YAML"),
        (b"\xff\xfe not text", "not UTF-8 text"),
        (b"#" * (question_sets.UPLOAD_LIMIT + 1), "at most 524288 are accepted"),
    ],
)
def test_an_unreadable_or_oversized_upload_is_refused(facilitator, session, content, problem):
    before = snapshot(session)
    refused = send(facilitator, settings(source="upload", upload=(io.BytesIO(content), "x.yaml")))
    assert refused.status_code == 400
    assert problem in text_of(refused)
    assert snapshot(session) == before


def test_choosing_an_upload_without_a_file_is_refused_beside_the_field(facilitator, session):
    refused = send(facilitator, settings(source="upload"))
    assert refused.status_code == 400
    assert '<p class="error" id="upload-error">Choose a question-set file to upload.</p>' in (
        refused.text
    )


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"slug": ""}, "slug", "Enter a short name of 3 to 80"),
        ({"title": "x" * 201}, "title", "Enter a title of at most 200 characters."),
        ({"time_zone": "Mars/Olympus"}, "time_zone", "Choose a time zone from the list."),
        ({"anonymity": "public"}, "anonymity", "Choose one of the two anonymity models."),
        ({"bundled": "../secret.yaml"}, "bundled", "Choose one of the question sets."),
        ({"source": "email"}, "source", "Choose where the questions come from."),
    ],
)
def test_bad_settings_are_refused_beside_their_field(facilitator, session, changes, field, message):
    before = snapshot(session)
    for action in ("choose", "create"):
        refused = send(facilitator, settings(questions=bundled_keys()[:1]) | changes, action)
        assert refused.status_code == 400
        assert f'id="{field}-error">{message}' in refused.text
        assert f'href="#{field}"' in refused.text
    assert snapshot(session) == before


@pytest.mark.parametrize(
    ("changes", "where", "message"),
    [
        ({"slug": "Has Caps"}, "slug", "'Has Caps' must be 3-80 lower-case letters"),
        ({"slug": "taken"}, "slug", "a study called 'taken' already exists"),
        ({"questions": []}, "questions", "choose at least one question"),
        ({"questions": ["not-in-the-set"]}, "questions", "has no question not-in-the-set"),
    ],
)
def test_a_refused_create_shows_the_questions_again_and_saves_nothing(
    facilitator, session, changes, where, message
):
    factories.study(session, owner=factories.user(session, "other@example.org"), slug="taken")
    session.commit()
    keys = bundled_keys()
    before = snapshot(session)
    refused = send(facilitator, settings(questions=keys[:2]) | changes, action="create")
    assert refused.status_code == 400
    assert f'id="{where}-error">' in refused.text and message in text_of(refused)
    assert f'href="#{where}"' in refused.text
    chosen = changes.get("questions", keys[:2])
    for key in keys:
        assert (f'value="{key}" id="question-{key}" checked' in refused.text) is (key in chosen)
    assert snapshot(session) == before


def test_back_returns_to_the_first_step_with_everything_kept(facilitator, session):
    page = send(facilitator, settings(), action="back")
    assert page.status_code == 200
    assert 'name="upload"' in page.text and 'value="talks-2025"' in page.text
    assert session.scalar(sa.select(sa.func.count()).select_from(Study)) == 0


def test_analysts_may_not_create_studies_and_strangers_must_log_in(client, session):
    factories.user(session, "an@example.org", role=Role.ANALYST)
    session.commit()
    assert client.get(URL).status_code == 302
    login(client, "an@example.org", factories.PASSWORD)
    assert client.get(URL).status_code == 403
    before = snapshot(session)
    token = csrf_token(client.get("/facilitate/").text)
    posted = client.post(URL, data={**settings(), "action": "create", "csrf_token": token})
    assert posted.status_code == 403
    assert snapshot(session) == before


def test_a_post_without_the_csrf_token_is_refused(facilitator, session):
    before = snapshot(session)
    response = facilitator.post(URL, data={**settings(), "action": "create"})
    assert response.status_code == 400
    assert snapshot(session) == before
    assert session.scalar(sa.select(sa.func.count()).select_from(Question)) == 0
