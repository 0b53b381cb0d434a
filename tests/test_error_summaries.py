"""Every form with refused input: an error summary first in <main>, linking to each bad field.

The summary (``templates/_forms.html``) is the first element of ``<main>``,
focusable (``tabindex="-1"``; elicit.js focuses it), and links to fields whose
ids exist on the page; beside each field is its message, named by the field's
``aria-describedby``, and what was typed is still in the field. The browser
checks (focus, in view at 360 px) are in ``tests/browser/test_pages_in_browser.py``.
"""

from __future__ import annotations

from html.parser import HTMLParser

from elicit.rounds.services import close_round
from tests import factories
from tests import test_expert_journey as journey
from tests.conftest import csrf_token, login
from tests.test_expert_journey import enter, form

panel = journey.panel
"""A study with three questions, four experts and round 1 open (the expert journey's fixture)."""


class _Reader(HTMLParser):
    """Collects a page's ids, its elements' attributes, the first element in <main>, and the
    summary's links."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: dict[str, dict[str, str | None]] = {}
        self.first_in_main: dict[str, str | None] | None = None
        self.links: list[tuple[str, str]] = []
        self._in_main = self._in_summary = False
        self._depth = 0
        self._link: str | None = None
        self._text = ""

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if "id" in attributes:
            self.ids[attributes["id"]] = {"tag": tag, **attributes}
        if self._in_main and self.first_in_main is None:
            self.first_in_main = {"tag": tag, **attributes}
        if tag == "main":
            self._in_main = True
        if attributes.get("id") == "error-summary":
            self._in_summary, self._depth = True, 0
        if self._in_summary and tag not in ("input", "br"):
            self._depth += 1
            if tag == "a":
                self._link, self._text = attributes["href"], ""

    def handle_endtag(self, tag):
        if not self._in_summary:
            return
        if tag == "a" and self._link is not None:
            self.links.append((self._link, " ".join(self._text.split())))
            self._link = None
        self._depth -= 1
        if self._depth == 0:
            self._in_summary = False

    def handle_data(self, data):
        if self._link is not None:
            self._text += data


def read(page: str) -> _Reader:
    """Parse ``page``."""
    reader = _Reader()
    reader.feed(page)
    return reader


def summary_links(page: str) -> list[tuple[str, str]]:
    """Check ``page`` opens <main> with a focusable error summary; return its links and texts.

    Every link to this page names a field that exists, is marked invalid and
    is described by a message beside it.
    """
    reader = read(page)
    first = reader.first_in_main
    assert first and first.get("id") == "error-summary" and first.get("tabindex") == "-1", first
    for href, _ in reader.links:
        path, _, target = href.partition("#")
        if path:
            continue
        field = reader.ids.get(target)
        assert field is not None, f"the summary links to #{target}, which is not on the page"
        assert field.get("aria-invalid") == "true", field
        described = (field.get("aria-describedby") or "").split()
        assert any(name.endswith("-error") and name in reader.ids for name in described), field
    return reader.links


def no_summary(page: str) -> bool:
    """Whether ``page`` has no error summary."""
    return "error-summary" not in read(page).ids


# Consent


def test_the_consent_page_opens_with_the_summary_when_the_box_is_not_ticked(client, panel):
    enter(client, panel["tokens"][0], consent=False)
    welcome = client.get("/expert/")
    assert no_summary(welcome.text)
    refused = client.post("/expert/consent", data={"csrf_token": csrf_token(welcome.text)})
    assert refused.status_code == 400
    assert summary_links(refused.text) == [("#agree", "Tick the box to agree before you continue.")]
    assert "<title>Error: Welcome" in refused.text


# Login


def test_login_with_empty_fields_links_to_both(client):
    page = client.get("/login")
    assert no_summary(page.text)
    response = client.post(
        "/login", data={"email": "", "password": "", "csrf_token": csrf_token(page.text)}
    )
    assert response.status_code == 400
    links = summary_links(response.text)
    assert [href for href, _ in links] == ["#email", "#password"]
    assert links[0][1].startswith("E-mail address: ")


def test_a_wrong_password_is_summarised_and_the_address_kept(client, session):
    factories.user(session)
    response = login(client, "fac@example.org", "not the password")
    assert response.status_code == 401
    message = "The e-mail address or password is not right."
    assert summary_links(response.text) == [("#email", message)]
    reader = read(response.text)
    assert reader.ids["email"]["value"] == "fac@example.org"
    assert reader.ids["login-error"]["tag"] == "p"
    assert not reader.ids["password"].get("value")


# Feedback settings (the facilitator's study page)


def test_refused_feedback_settings_are_summarised_with_the_typing_kept(client, session):
    factories.study(session, owner=factories.user(session))
    login(client, "fac@example.org", factories.PASSWORD)
    page = client.get("/facilitate/studies/study")
    assert no_summary(page.text)
    response = client.post(
        "/facilitate/studies/study/feedback-settings",
        data={"min_answers": "abc", "csrf_token": csrf_token(page.text)},
    )
    assert response.status_code == 400
    assert summary_links(response.text) == [("#min_answers", "Enter a whole number from 1 to 100.")]
    assert read(response.text).ids["min_answers"]["value"] == "abc"


# The answer page


def test_a_refused_submission_lands_on_the_summary_with_a_link_per_problem(client, panel):
    enter(client, panel["tokens"][0])
    binary, interval, quantity = panel["questions"]
    page = client.get("/expert/round").text
    values = {
        binary: {"probability": "150"},
        quantity: {"quantile_values": ["3", "2", "1"]},
        interval: {"lower": "10", "probability": "20", "upper": "30"},
    }
    response = client.post(
        "/expert/rounds/1/answers",
        data=form(page, panel["questions"], values),
        follow_redirects=True,
    )
    links = summary_links(response.text)
    assert [href for href, _ in links] == [f"#q{binary.id}-probability", f"#q{quantity.id}-q0"]
    assert links[0][1].startswith(
        "Question 1, “Will it happen?”: 150% is outside the allowed range: 1% to 99%"
    )
    reader = read(response.text)
    assert reader.ids[f"q{binary.id}-probability"]["value"] == "150"
    assert reader.ids[f"q{quantity.id}-q2"]["value"] == "1"
    assert reader.ids[f"q{interval.id}-upper"]["value"] == "30"


def test_a_closed_round_is_summarised_and_the_typing_stays(client, panel, session):
    enter(client, panel["tokens"][0])
    binary = panel["questions"][0]
    page = client.get("/expert/round").text
    close_round(session, panel["round"])
    session.commit()
    late = client.post(
        "/expert/rounds/1/answers",
        data=form(page, panel["questions"], {binary: {"probability": "61"}}, action="review"),
    )
    assert late.status_code == 409
    assert summary_links(late.text) == []
    assert "Round 1 has closed" in late.text
    assert read(late.text).ids[f"q{binary.id}-probability"]["value"] == "61"
