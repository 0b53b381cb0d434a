"""Choosing the language: ``POST /language``, the session's choice and where it sends you back."""

import html
import re

import pytest

from elicit import i18n
from elicit.panels.services import add_expert, issue_invitation
from elicit.web import local_path
from tests import factories
from tests.conftest import csrf_token


def lang(response) -> str:
    """The language the page says it is in (``<html lang="...">``)."""
    marker = '<html lang="'
    start = response.text.index(marker) + len(marker)
    return response.text[start : response.text.index('"', start)]


def choose(client, data, token=True):
    """POST the language form as a page would, with the session's CSRF token unless not."""
    form = dict(data)
    if token:
        form["csrf_token"] = csrf_token(client.get("/login").text)
    return client.post("/language", data=form)


def chosen(client):
    """The language kept in the client's session, if any."""
    with client.session_transaction() as session:
        return session.get(i18n.SESSION_KEY)


def test_without_a_choice_the_browser_language_is_used(client):
    assert lang(client.get("/login", headers={"Accept-Language": "pl-PL,pl;q=0.9"})) == "pl"
    assert lang(client.get("/login", headers={"Accept-Language": "de"})) == "en"
    assert lang(client.get("/login")) == "en"


def test_the_chosen_language_beats_the_browser_and_sends_you_back(client):
    response = choose(client, {"locale": "pl", "next": "/login?next=%2Ffacilitate%2F"})
    assert response.status_code == 302
    assert response.location == "/login?next=%2Ffacilitate%2F"
    assert chosen(client) == "pl"
    assert lang(client.get("/login", headers={"Accept-Language": "en"})) == "pl"

    assert choose(client, {"locale": "en", "next": "/login"}).status_code == 302
    assert lang(client.get("/login", headers={"Accept-Language": "pl"})) == "en"


def test_without_a_page_to_go_back_to_you_land_on_the_front_page(client):
    response = choose(client, {"locale": "pl"})
    assert response.status_code == 302 and response.location == "/"
    assert chosen(client) == "pl"


@pytest.mark.parametrize("code", ["de", "", "PL", "pl-PL", "x" * 100])
def test_a_language_not_on_offer_is_refused_and_the_choice_stays(client, code):
    choose(client, {"locale": "en", "next": "/login"})
    response = choose(client, {"locale": code, "next": "/login"})
    assert response.status_code == 400
    text = html.unescape(response.text)
    assert f"elicit is not offered in “{code[:20]}”; choose one of: English, polski." in text
    assert chosen(client) == "en"


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example/",
        "/\t/evil.example/",
        "javascript:alert(1)",
        "login",
    ],
)
def test_only_a_path_on_this_site_is_followed(client, target):
    response = choose(client, {"locale": "pl", "next": target})
    assert response.status_code == 400
    assert "the page to go back to must be on this site" in response.text
    assert chosen(client) is None


def test_the_form_needs_its_csrf_token(client):
    response = choose(client, {"locale": "pl", "next": "/login"}, token=False)
    assert response.status_code == 400
    assert "not sent from this site" in response.text
    assert chosen(client) is None


def test_only_post_is_accepted(client):
    assert client.get("/language?locale=pl").status_code == 405
    assert chosen(client) is None


@pytest.mark.parametrize(
    ("target", "kept"),
    [
        ("/expert/round", True),
        ("/expert/round?check=1#q-a", True),
        ("/", True),
        (None, False),
        ("", False),
        ("expert/round", False),
        ("https://evil.example/", False),
        ("//evil.example", False),
        ("/\\evil.example", False),
        ("/\n/evil.example", False),
        ("/\x00", False),
    ],
)
def test_local_path(target, kept):
    assert local_path(target) == (target if kept else None)


def language_form(page: str) -> str:
    """The header's language form of ``page``."""
    return re.search(r'<form[^>]*action="/language".*?</form>', page, re.S).group(0)


def test_every_page_offers_the_other_language_in_its_own_name(client):
    english = language_form(client.get("/login?next=%2Ffacilitate%2F").text)
    assert '<button type="submit" name="locale" value="pl" class="link" lang="pl">Polski' in english
    assert 'value="en"' not in english
    assert 'name="next" value="/login?next=%2Ffacilitate%2F"' in english
    polish = language_form(client.get("/login", headers={"Accept-Language": "pl"}).text)
    assert 'lang="en">English</button>' in polish and 'value="pl"' not in polish


def test_a_page_answering_a_form_or_holding_a_link_does_not_come_back_to_it(client):
    refused = client.post("/login", data={"csrf_token": csrf_token(client.get("/login").text)})
    assert refused.status_code == 400 and 'name="next"' not in language_form(refused.text)
    invalid = client.get("/invite/" + "x" * 43)
    assert invalid.status_code == 404
    assert 'name="next"' not in language_form(invalid.text) and "x" * 43 not in invalid.text


def test_the_chosen_language_survives_opening_an_invitation(client, session):
    study = factories.study(session)
    expert = add_expert(session, study, pseudonym="Alder", name="A", email="a@x.test")
    token = issue_invitation(session, expert)
    session.commit()
    choose(client, {"locale": "pl", "next": "/"})
    assert client.get(f"/invite/{token}").status_code == 302
    assert chosen(client) == "pl"
    welcome = client.get("/expert/", headers={"Accept-Language": "en"})
    assert lang(welcome) == "pl" and "Kto co widzi" in welcome.text
