"""Every text of the staff pages (studies, study, sharing, staff, audit trails, login) is marked.

The pages are rendered in Polish with a made-up catalogue that translates every
message marked in the code and the templates (extracted as ``make
translations`` extracts them, with ``babel.cfg``) to itself between markers:
``Round 2: open`` reads ``⟦Round 2: open⟧``. Set aside the markers, the user's
data (titles, pseudonyms, rationales, ...), numbers and dates, and nothing may
be left of a page's title, of its ``<main>`` (flash messages and error
summaries included) or of the labels in its attributes (``data-label``,
``aria-label``, ...): a word left over is English that no translator would see.
The header and footer come from ``base.html``, which these tests leave out.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import pytest
import sqlalchemy as sa
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, check_and_call_extract_file
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from flask import Flask

from elicit import PROJECT_ROOT, formatting
from elicit.accounts.models import Role, StudyRole, User
from elicit.audit import AuditEvent
from elicit.feedback.services import set_rationale_hidden, update_settings
from elicit.judgments.rules import Answer
from elicit.judgments.submission import record_judgment
from elicit.panels.services import add_expert
from elicit.rounds.services import close_round, create_round, open_round
from elicit.studies.models import QuestionKind, Scale
from elicit.studies.sharing import members, share_study
from tests import factories
from tests.conftest import csrf_token, login

LOCALE = "pl"
"""The language the pages are asked for; its catalogue is replaced by the markers."""

OPEN, CLOSE = "⟦", "⟧"

KEYWORDS = {**DEFAULT_KEYWORDS, "lazy_gettext": None, "_l": None}
"""What ``make translations`` extracts (``pybabel extract -k lazy_gettext -k _l``)."""

LABEL_ATTRIBUTES = {"data-label", "aria-label", "title", "alt", "placeholder"}
"""Attributes whose text is shown or read out, so must be marked like the page's text."""

BRAND = " · elicit"
"""What ``base.html`` adds to every page's title."""

CLOSES = date(2027, 1, 31)
"""The questions' closing date, shown in the locale's own words (``31 sty 2027``)."""


def marked(message: str) -> str:
    """``message`` as the made-up catalogue translates it."""
    return f"{OPEN}{message}{CLOSE}"


def extracted_messages() -> Iterator[tuple[str | tuple[str, ...], str | None]]:
    """Yield (message id, context) for every message marked where ``babel.cfg`` looks."""
    with open(PROJECT_ROOT / "babel.cfg") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    sources = sorted((PROJECT_ROOT / "elicit").rglob("*.py")) + sorted(
        (PROJECT_ROOT / "templates").rglob("*.html")
    )
    for path in sources:
        for _file, _line, message, _comments, context in check_and_call_extract_file(
            path, method_map, options_map, None, KEYWORDS, (), False, PROJECT_ROOT
        ):
            yield message, context


@pytest.fixture(scope="module")
def markers(tmp_path_factory) -> Path:
    """A translations folder whose ``pl`` catalogue puts every message between markers."""
    catalog = Catalog(locale=LOCALE)
    for message, context in extracted_messages():
        if isinstance(message, tuple):
            singular, plural = message[0], message[1]
            forms = [singular] + [plural] * (catalog.num_plurals - 1)
            catalog.add((singular, plural), [marked(form) for form in forms], context=context)
        else:
            catalog.add(message, marked(message), context=context)
    folder = tmp_path_factory.mktemp("markers")
    messages = folder / LOCALE / "LC_MESSAGES"
    messages.mkdir(parents=True)
    with open(messages / "messages.mo", "wb") as mo:
        write_mo(mo, catalog)
    return folder


@contextmanager
def speaking_markers(app: Flask, folder: Path) -> Iterator[None]:
    """Let ``app`` read its catalogues from ``folder`` for a while (its cache emptied each way)."""
    babel = app.extensions["babel"]
    with app.app_context():
        cache = babel.instance.domain_instance.cache
    saved = babel.translation_directories
    babel.translation_directories = [str(folder)]
    cache.clear()
    try:
        yield
    finally:
        babel.translation_directories = saved
        cache.clear()


@pytest.fixture
def marking(app, client, markers):
    """The test's ``client`` asks for Polish, and ``app`` answers with the markers."""
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = LOCALE
    with speaking_markers(app, markers):
        yield client


# Reading a page


class PageText(HTMLParser):
    """Collect a page's title, the text of its ``<main>`` and the labels in its attributes.

    ``region`` names the element read instead of ``<main>`` (``body`` for the whole page).
    """

    def __init__(self, region: str = "main") -> None:
        super().__init__(convert_charrefs=True)
        self.region = region
        self.title: list[str] = []
        self.main: list[str] = []
        self.labels: list[str] = []
        self._in_title = False
        self._in_main = False
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Note where the title and ``<main>`` begin, and keep ``<main>``'s labels."""
        self._in_title = self._in_title or (tag == "title" and not self._in_main)
        self._in_main = self._in_main or tag == self.region
        self._in_script = self._in_script or tag == "script"
        if self._in_main:
            self.labels += [value for name, value in attrs if name in LABEL_ATTRIBUTES and value]

    def handle_endtag(self, tag: str) -> None:
        """Note where the title and ``<main>`` end."""
        if tag == "title":
            self._in_title = False
        if tag == self.region:
            self._in_main = False
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        """Keep the text of the title and of ``<main>`` (a script's is data, not text)."""
        if self._in_title:
            self.title.append(data)
        elif self._in_main and not self._in_script:
            self.main.append(data)


def leftovers(text: str, user_data: tuple[str, ...]) -> list[str]:
    """The runs of ``text`` with a letter in them that neither a marker nor user data covers.

    Markers nest (a refusal's reason inside a flash message), so the innermost
    are taken out first, again and again.
    """
    innermost = re.compile(f"{OPEN}[^{OPEN}{CLOSE}]*{CLOSE}")
    count = 1
    while count:
        text, count = innermost.subn("\n", text)
    for data in sorted(user_data, key=len, reverse=True):
        text = text.replace(data, "\n")
    runs = (run.strip() for run in re.split(r"\s*\n\s*|\s{2,}", text))
    return [run for run in runs if re.search(r"[^\W\d_]", run)]


def unmarked(page: str, *user_data: str, region: str = "main") -> list[str]:
    """What the page shows in English, unmarked: each leftover of its title, main and labels."""
    reader = PageText(region)
    reader.feed(page)
    title = "".join(reader.title)
    assert title.endswith(BRAND), title
    found = leftovers(title.removesuffix(BRAND), user_data)
    found += leftovers("".join(reader.main), user_data)
    for label in reader.labels:
        found += [f"{label!r} (an attribute)" for _ in leftovers(label, user_data)]
    return found


def test_the_reader_finds_unmarked_text():
    page = (
        f"<title>{marked('Studies')} · elicit</title><main>"
        f"<p>{marked('Round 1 was not closed: ' + marked('round 1 is already closed') + '.')}</p>"
        f"<p>{marked('Round 1')} is draft</p><h2>Will it?</h2>"
        f'<td data-label="Kind">{marked("binary")}</td>'
        f"<button>{marked('Hide <span>E1 rationale </span>from the panel')}</button>"
        "<p>12,5% · 31 sty 2027</p></main>"
    )
    reader = PageText()
    reader.feed(page)
    assert "".join(reader.main).count(OPEN) == 5
    assert unmarked(page, "Will it?", formatting.date(CLOSES, locale=LOCALE)) == [
        "is draft",
        "'Kind' (an attribute)",
    ]


# The pages


@pytest.fixture
def scene(session):
    """Studies of one facilitator, with every state a round can be in, shared with an analyst.

    ``ceasefire`` has round 1 closed (three experts answered, with rationales,
    one of them hidden) and round 2 open; ``budget`` has a draft round only,
    ``drills`` no round at all.
    """
    owner = factories.user(session)
    analyst = factories.user(
        session, email="ana@example.org", role=Role.ANALYST, name="Ann Analyst"
    )
    study = factories.study(session, owner=owner, slug="ceasefire")
    study.title, study.description = "Ceasefire outlook", "Forecasts for the spring talks."
    draft_only = factories.study(session, owner=owner, slug="budget")
    draft_only.title = "Budget watch"
    factories.study(session, owner=owner, slug="drills").title = "Drills archive"
    for shared in (study, draft_only):
        share_study(session, shared, analyst.email, StudyRole.ANALYST)
    binary = factories.question(session, study, key="b", title="Will the ceasefire hold?")
    quantity = factories.question(
        session,
        study,
        key="q",
        kind=QuestionKind.QUANTITY,
        title="How many monitors?",
        section="Monitoring",
        unit="monitors",
        scale=Scale.LOG,
        lower_bound=1.0,
        calibration=True,
        realization=25.0,
        tags=["Donbas"],
    )
    interval = factories.question(
        session, study, key="i", kind=QuestionKind.BINARY_INTERVAL, title="Talks by May?", tags=[]
    )
    experts = [
        add_expert(session, study, pseudonym=name, name="n", email=f"{name}@x.test")
        for name in ("Alder", "Birch", "Cedar")
    ]
    first = create_round(session, study)
    open_round(session, first)
    judgments = []
    for n, expert in enumerate(experts):
        judgments.append(
            record_judgment(
                session,
                expert,
                binary,
                first,
                Answer(probability=0.2 + n / 10, rationale=f"Base rates say {n}." if n else ""),
            )
        )
        record_judgment(
            session,
            expert,
            quantity,
            first,
            Answer(quantile_values=[10.0 + n, 20.0 + n, 30.0 + n], rationale="Past missions."),
        )
        record_judgment(
            session, expert, interval, first, Answer(lower=0.1, probability=0.3, upper=0.5)
        )
    close_round(session, first)
    second = create_round(session, study)
    open_round(session, second)
    record_judgment(session, experts[0], binary, second, Answer(probability=0.5))
    create_round(session, draft_only)
    set_rationale_hidden(session, judgments[1], True)
    session.commit()
    return {"study": study, "judgments": judgments}


USER_DATA = (
    "Ceasefire outlook",
    "Forecasts for the spring talks.",
    "Budget watch",
    "Drills archive",
    "Will the ceasefire hold?",
    "How many monitors?",
    "Talks by May?",
    "Section",
    "Monitoring",
    "Ukraine",
    "Donbas",
    "Alder",
    "Birch",
    "Cedar",
    "Base rates say 1.",
    "Base rates say 2.",
    "Past missions.",
    formatting.date(CLOSES, locale=LOCALE),
)
"""What the scene's pages show as the users wrote it (and the questions' closing date)."""


def post(client, url, **data):
    """POST ``data`` to ``url`` with the session's CSRF token, following the redirect."""
    token = csrf_token(client.get("/facilitate/").text)
    return client.post(url, data={**data, "csrf_token": token}, follow_redirects=True)


def page_of(response, status=200) -> str:
    """The page ``response`` carries, after checking its status and that it speaks the markers."""
    assert response.status_code == status
    assert f'<html lang="{LOCALE}">' in response.text and OPEN in response.text
    return response.text


def test_the_studies_list_is_marked(marking, session, scene):
    client = marking
    factories.user(session, email="new@example.org", name="New Facilitator")
    session.commit()
    login(client, "new@example.org", factories.PASSWORD)
    empty = page_of(client.get("/facilitate/"))
    assert marked("Studies") in empty
    assert unmarked(empty) == []
    client.post("/logout", data={"csrf_token": csrf_token(empty)})

    login(client, "fac@example.org", factories.PASSWORD)
    listing = page_of(client.get("/facilitate/"))
    for label in ("Round 1: closed", "Round 2: open", "Round 1: draft", "none yet"):
        assert marked(label) in listing, label
    assert 'data-label="⟦Experts⟧"' in listing
    assert unmarked(listing, *USER_DATA) == []


def test_the_study_page_is_marked_for_its_owner(marking, scene):
    client = marking
    login(client, "fac@example.org", factories.PASSWORD)
    page = page_of(client.get("/facilitate/studies/ceasefire"))
    assert marked("binary interval") in page and marked("Close round 2") in page
    assert unmarked(page, *USER_DATA) == []
    for slug in ("budget", "drills"):
        other = page_of(client.get(f"/facilitate/studies/{slug}"))
        assert marked("Open round 1") in other
        assert unmarked(other, *USER_DATA) == [], slug

    for typed in ("abc", "500"):
        refused = client.post(
            "/facilitate/studies/ceasefire/feedback-settings",
            data={"min_answers": typed, "csrf_token": csrf_token(page)},
        )
        text = page_of(refused, 400)
        assert marked("The feedback settings were not saved") in text
        assert unmarked(text, *USER_DATA) == [], typed


def test_the_study_page_is_marked_for_an_analyst(marking, session, scene):
    client = marking
    login(client, "ana@example.org", factories.PASSWORD)
    for hide in (False, True):
        update_settings(session, scene["study"], min_answers=2, hide_until_answered=hide)
        session.commit()
        page = page_of(client.get("/facilitate/studies/ceasefire"))
        assert "⟦The panel's previous-round answers" in page
        assert unmarked(page, *USER_DATA) == [], hide


def test_the_rationales_pages_are_marked(marking, scene):
    client = marking
    login(client, "fac@example.org", factories.PASSWORD)
    for number in (1, 2):
        page = page_of(client.get(f"/facilitate/studies/ceasefire/rounds/{number}/rationales"))
        assert unmarked(page, *USER_DATA) == [], number
    page = page_of(client.get("/facilitate/studies/ceasefire/rounds/1/rationales"))
    assert "⟦hidden from the panel⟧" in page and "⟦shown to the panel⟧" in page
    assert "visually-hidden" in page and "⟦Show " in page and "⟦Hide " in page
    draft = page_of(client.get("/facilitate/studies/budget/rounds/1/rationales"))
    assert unmarked(draft, *USER_DATA) == []
    client.post("/logout", data={"csrf_token": csrf_token(page)})
    login(client, "ana@example.org", factories.PASSWORD)
    page = page_of(client.get("/facilitate/studies/ceasefire/rounds/1/rationales"))
    assert unmarked(page, *USER_DATA) == []


def test_what_the_facilitators_actions_say_is_marked(marking, scene):
    client = marking
    login(client, "fac@example.org", factories.PASSWORD)
    hidden_one = scene["judgments"][2]
    base = "/facilitate/studies/ceasefire"
    pages = [
        post(client, f"{base}/rounds/1/close"),  # refused: round 1 is already closed
        post(client, f"{base}/rounds/open-next"),  # refused: round 2 is still open
        post(client, f"{base}/feedback-settings", min_answers="2"),
        post(client, f"{base}/judgments/{hidden_one.id}/rationale", hidden="1"),
        post(client, f"{base}/judgments/{hidden_one.id}/rationale", hidden="0"),
        post(client, f"{base}/rounds/2/close"),
        post(client, f"{base}/rounds/open-next"),
    ]
    for response in pages:
        page = page_of(response)
        assert 'role="status"' in page or 'role="alert"' in page
        assert unmarked(page, *USER_DATA) == [], response.request.path


STAFF_DATA = ("Fran Facilitator", "fac@example.org", "Ann Analyst", "ana@example.org")
"""The scene's staff as the sharing and staff pages show them."""


def test_the_sharing_pages_are_marked(marking, session, scene):
    client = marking
    factories.user(session, email="cole@example.org", name="Cole Colleague")
    session.commit()
    people = (*STAFF_DATA, "Cole Colleague", "cole@example.org")
    url = "/facilitate/studies/ceasefire/sharing"
    login(client, "fac@example.org", factories.PASSWORD)
    page = page_of(client.get(url))
    assert marked("Share the study") in page and marked("owner") in page
    assert unmarked(page, *USER_DATA, *people) == []
    for data in (
        {"email": "nobody@example.org", "role": "analyst"},
        {"email": "ana@example.org", "role": "co_facilitator"},
        {"email": "fac@example.org", "role": "analyst"},
        {"email": "", "role": "owner"},
    ):
        refused = client.post(url, data={**data, "csrf_token": csrf_token(page)})
        text = page_of(refused, 400)
        assert marked("The study was not shared") in text
        assert unmarked(text, *USER_DATA, *people, "nobody@example.org") == [], data
    shared = post(client, url, email="cole@example.org", role="co_facilitator")
    again = post(client, url, email="cole@example.org", role="analyst")
    member = next(m for m in members(session, scene["study"]) if m.user.name == "Cole Colleague")
    removed = post(client, f"{url}/{member.id}/remove")
    for response in (shared, again, removed):
        text = page_of(response)
        assert 'role="status"' in text
        assert unmarked(text, *USER_DATA, *people) == [], response.request.path
    client.post("/logout", data={"csrf_token": csrf_token(text)})
    login(client, "ana@example.org", factories.PASSWORD)
    page = page_of(client.get(url))
    assert unmarked(page, *USER_DATA, *people) == []


def test_the_staff_page_is_marked(marking, session, scene):
    client = marking
    admin = factories.user(session, email="ada@example.org", role=Role.ADMIN, name="Ada Admin")
    session.commit()
    created = formatting.date(admin.created_at, locale=LOCALE)
    people = (*STAFF_DATA, "Ada Admin", "ada@example.org", "Nell New", "nell@example.org", created)
    login(client, "ada@example.org", factories.PASSWORD)
    page = page_of(client.get("/facilitate/staff"))
    assert marked("Create a staff account") in page and marked("facilitator") in page
    assert unmarked(page, *people) == []
    token = csrf_token(page)
    fran = scene["study"].owner_id
    good = {
        "name": "Nell New",
        "email": "nell@example.org",
        "role": "analyst",
        "password": "x" * 12,
    }
    for url, data in (
        ("/facilitate/staff", {**good, "email": "fac@example.org"}),
        ("/facilitate/staff", {**good, "email": "nell", "password": "short"}),
        ("/facilitate/staff", {**good, "name": "", "role": "superuser"}),
        (f"/facilitate/staff/{admin.id}/deactivate", {}),
        (f"/facilitate/staff/{admin.id}/role", {"role": "analyst"}),
        (f"/facilitate/staff/{fran}/role", {"role": "superuser"}),
    ):
        text = page_of(client.post(url, data={**data, "csrf_token": token}), 400)
        assert marked("There is a problem") in text or marked("The account was not created") in text
        assert unmarked(text, *people, "'nell'", "nell") == [], (url, data)
    done = [
        post(client, "/facilitate/staff", **good),
        post(client, f"/facilitate/staff/{fran}/deactivate"),
        post(client, f"/facilitate/staff/{fran}/activate"),
        post(client, f"/facilitate/staff/{fran}/role", role="admin"),
    ]
    for response in done:
        text = page_of(response)
        assert 'role="status"' in text
        assert unmarked(text, *people) == [], response.request.path


def test_the_login_page_is_marked(marking, session):
    client = marking
    asked = page_of(client.get("/facilitate/", follow_redirects=True))
    assert marked("Please log in to see that page.") in asked
    assert unmarked(asked) == []
    token = csrf_token(asked)
    for data, status in (
        ({"email": "", "password": ""}, 400),
        ({"email": "x" * 300, "password": "x" * 1100}, 400),
        ({"email": "nobody@example.org", "password": "not the password"}, 401),
    ):
        page = page_of(client.post("/login", data={**data, "csrf_token": token}), status)
        assert marked("There is a problem") in page
        assert unmarked(page) == [], data

    factories.user(session)
    session.commit()
    login(client, "fac@example.org", factories.PASSWORD)
    page = client.get("/facilitate/").text
    left = page_of(
        client.post("/logout", data={"csrf_token": csrf_token(page)}, follow_redirects=True)
    )
    assert marked("You are logged out.") in left
    assert unmarked(left) == []


def test_the_too_many_attempts_page_is_marked(rate_limited_client, markers):
    client = rate_limited_client
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = LOCALE
    with speaking_markers(client.application, markers):
        for _ in range(11):
            token = csrf_token(client.get("/login").text)
            response = client.post(
                "/login", data={"email": "x@example.org", "password": "wrong", "csrf_token": token}
            )
        page = page_of(response, 429)
    assert marked("Too many attempts. Try again in about a minute.") in page
    assert unmarked(page) == []


def test_the_audit_trails_are_marked(marking, session, scene):
    client = marking
    factories.user(session, email="adm@example.org", role=Role.ADMIN, name="Ada Admin")
    session.commit()
    events = session.scalars(sa.select(AuditEvent)).all()
    # A staff account an entry is about is a reference (target_user_id), its target left empty.
    emails = set(session.scalars(sa.select(User.email)))
    recorded = (
        emails
        | {event.target for event in events if event.target}
        | {formatting.datetime(event.at, tzinfo=dt.UTC, locale=LOCALE) for event in events}
    )
    user_data = (*USER_DATA, *recorded, "Fran Facilitator", "Ann Analyst", "Ada Admin")
    login(client, "ana@example.org", factories.PASSWORD)
    page = page_of(client.get("/facilitate/studies/ceasefire/audit"))
    assert marked("Opened a round") in page and marked("system") in page
    assert unmarked(page, *user_data) == []
    refused = page_of(
        client.get(
            "/facilitate/studies/ceasefire/audit",
            query_string={"since": "2025-03-09", "until": "2025-03-01", "who": "7"},
        ),
        400,
    )
    assert marked("The filters were not applied") in refused
    assert unmarked(refused, *user_data) == []
    client.post("/logout", data={"csrf_token": csrf_token(page)})
    login(client, "adm@example.org", factories.PASSWORD)
    staff = page_of(client.get("/facilitate/audit"))
    assert marked("Created a staff account") in staff
    assert unmarked(staff, *user_data) == []
