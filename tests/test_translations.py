"""The message catalogues: complete for the expert's pages, compiled as committed, and in use.

The completeness test extracts, with Babel's own extraction and the project's
``babel.cfg``, every message of the sources an expert can see, and fails
naming each one a catalogue of an offered language has not translated.
"""

from __future__ import annotations

import html
import io
import re
from collections.abc import Iterator
from pathlib import Path

import flask_babel
import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, check_and_call_extract_file
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.util import pathmatch

from elicit import PROJECT_ROOT, i18n
from elicit.feedback import charts
from elicit.feedback.services import expert_label
from elicit.judgments.submission import read_answer
from elicit.rounds.services import close_round
from elicit.studies.models import QuestionKind
from tests import factories
from tests import test_expert_journey as journey
from tests.conftest import csrf_token

panel = journey.panel
second_round = journey.second_round

KEYWORDS = {**DEFAULT_KEYWORDS, "lazy_gettext": None, "_l": None}
"""What ``make translations`` extracts (``pybabel extract -k lazy_gettext -k _l``)."""

EXPERT_PYTHON = (
    "elicit/answering/*.py",
    "elicit/formatting.py",
    "elicit/i18n.py",
    "elicit/web.py",
    "elicit/judgments/rules.py",
    "elicit/judgments/parsing.py",
    "elicit/text.py",
    "elicit/judgments/submission.py",
    "elicit/feedback/charts.py",
    "elicit/feedback/services.py",
)
"""The Python modules whose messages reach an expert's pages, as patterns (every message counts)."""

EXPERT_TEMPLATES = ("base.html", "_forms.html", "error.html", "answering/*.html")
"""The templates an expert sees, as patterns under ``templates/``."""

OFFERED = [code for code in i18n.SUPPORTED if code != i18n.DEFAULT]
"""The languages with a catalogue (English is the code's own)."""


def expert_sources() -> list[Path]:
    """Every file whose messages an expert can see."""
    templates = PROJECT_ROOT / "templates"
    return [path for pattern in EXPERT_PYTHON for path in sorted(PROJECT_ROOT.glob(pattern))] + [
        path for pattern in EXPERT_TEMPLATES for path in sorted(templates.glob(pattern))
    ]


def mapping():
    """``babel.cfg`` read as Babel reads it: (pattern, method) pairs and their options."""
    with open(PROJECT_ROOT / "babel.cfg") as cfg:
        return parse_mapping_cfg(cfg)


def extracted() -> Iterator[tuple[str, int, str | tuple[str, ...], str | None]]:
    """Yield (file, line, message id, context) for each message marked in the expert's sources."""
    method_map, options_map = mapping()
    for path in expert_sources():
        for filename, line, message, _comments, context in check_and_call_extract_file(
            path, method_map, options_map, None, KEYWORDS, (), False, PROJECT_ROOT
        ):
            yield filename, line, message, context


def catalogue(code: str) -> Catalog:
    """The ``.po`` catalogue of language ``code``."""
    with open(i18n.TRANSLATIONS / code / "LC_MESSAGES" / "messages.po", "rb") as po:
        return read_po(po, locale=code)


# The catalogues


def test_every_expert_source_is_extracted_by_babel_cfg():
    method_map, _ = mapping()
    sources = expert_sources()
    assert any(path.parent.name == "answering" for path in sources)
    for path in sources:
        assert path.is_file(), path
        relative = path.relative_to(PROJECT_ROOT).as_posix()
        assert any(pathmatch(pattern, relative) for pattern, _ in method_map), relative


def test_the_expert_messages_are_found():
    ids = {message[0] if isinstance(message, tuple) else message for *_, message, _ in extracted()}
    assert "Panel's answers" in ids and "Expert %(letter)s" in ids
    assert "%(value)s is below the lowest allowed value, %(bound)s." in ids
    assert "The request contains a NUL character, which is never valid here." in ids


@pytest.mark.parametrize("code", OFFERED)
def test_every_message_an_expert_can_see_is_translated(code):
    """The issue's rule: the expert's pages stay fully translated."""
    catalog = catalogue(code)
    problems = []
    for filename, line, message, context in extracted():
        shown = message[0] if isinstance(message, tuple) else message
        where = f"{filename}:{line}: {shown!r}" + (f" (context {context!r})" if context else "")
        entry = catalog.get(message, context)
        if entry is None:
            problems.append(f"{where} is not in the catalogue")
        elif entry.fuzzy:
            problems.append(f"{where} is fuzzy")
        elif not all(entry.string if entry.pluralizable else [entry.string]):
            problems.append(f"{where} is not translated")
        else:
            problems += [f"{where}: {error}" for error in entry.check(catalog)]
    assert not problems, f"{code}: run `make translations` and translate:\n" + "\n".join(problems)


@pytest.mark.parametrize("code", OFFERED)
def test_the_committed_mo_is_the_compiled_po(code):
    compiled = io.BytesIO()
    write_mo(compiled, catalogue(code))
    committed = i18n.TRANSLATIONS / code / "LC_MESSAGES" / "messages.mo"
    assert committed.read_bytes() == compiled.getvalue(), "run `make translations` and commit"


def test_every_catalogue_is_an_offered_language():
    folders = {path.name for path in i18n.TRANSLATIONS.iterdir() if path.is_dir()}
    assert folders == set(OFFERED)


def test_polish_has_its_three_plural_forms():
    catalog = catalogue("pl")
    assert catalog.num_plurals == 3
    with_plurals = [m for m in catalog if m.id and m.pluralizable and any(m.string)]
    assert with_plurals and all(len(m.string) == 3 for m in with_plurals)


# Polish on the expert's pages


@pytest.fixture
def polish(app, session):
    """A Polish request's context (``Accept-Language: pl``), with nothing cached from before.

    A POST, since tests set up their data inside it and a GET may not write
    (:mod:`elicit.unit_of_work`).
    """
    with app.test_request_context(method="POST", headers={"Accept-Language": "pl"}):
        flask_babel.refresh()
        yield
    flask_babel.refresh()


def test_the_parsers_and_the_rules_messages_are_polish(session, polish):
    study = factories.study(session)
    binary = factories.question(session, study, key="b")
    quantity = factories.question(
        session, study, key="q", kind=QuestionKind.QUANTITY, unit="osób", lower_bound=0.0
    )
    assert read_answer(binary, {"probability": "150"})[1] == {
        "probability": "Wartość 150% wykracza poza dozwolony zakres: od 1% do 99% "
        "(to pytanie nie dopuszcza całkowitej pewności)."
    }
    assert read_answer(binary, {"probability": "abc"})[1] == {
        "probability": "„abc” nie jest liczbą; podaj wartość w procentach, np. 35."
    }
    assert read_answer(quantity, {"quantile_values": ["-5,5", "1", "2"]})[1] == {
        "quantile_values": "Wartość -5,5 jest mniejsza od najmniejszej dozwolonej wartości: "
        "0\xa0osób."
    }
    assert read_answer(quantity, {"quantile_values": ["1,500", "2", "3"]})[1] == {
        "quantile_values": "„1,500” nie jest liczbą; wpisuj liczby takie jak 1500 lub 12,5 "
        "(bez separatorów tysięcy)."
    }
    too_long = {"quantile_values": ["1", "2", "3"], "rationale": "x" * 10_001}
    assert read_answer(quantity, too_long)[1] == {
        "rationale": "Uzasadnienie może mieć najwyżej 10\xa0000 znaków."
    }


@pytest.mark.parametrize(
    ("count", "words"),
    [(1, "1 odpowiedź;"), (2, "2 odpowiedzi;"), (5, "5 odpowiedzi;"), (22, "22 odpowiedzi;")],
)
def test_the_chart_words_are_polish_with_their_plural_forms(polish, count, words):
    chart = charts.dot_plot([0.5] * count, 0, 0.5, (0.4, 0.6))
    assert chart.title == "Odpowiedzi panelu"
    assert chart.description == (
        f"{words} mediana 50%, rozstęp międzykwartylowy od 40% do 60%. "
        "Twoja odpowiedź, oznaczona okręgiem: 50%."
    )
    assert expert_label("C") == "Ekspert C"


def test_an_invalid_answer_posted_in_polish_is_explained_in_polish(client, panel):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "pl-PL,pl;q=0.9"
    journey.enter(client, panel["tokens"][0])
    binary, _interval, quantity = panel["questions"]
    page = client.get("/expert/round").text
    values = {binary: {"probability": "150"}, quantity: {"quantile_values": ["10", "abc", "30"]}}
    response = client.post(
        "/expert/rounds/1/answers", data=journey.form(page, panel["questions"], values)
    )
    assert response.status_code == 302
    text = html.unescape(client.get(response.location).text)
    assert '<html lang="pl">' in text
    assert (
        "Wartość 150% wykracza poza dozwolony zakres: od 1% do 99% "
        "(to pytanie nie dopuszcza całkowitej pewności)."
    ) in text
    assert "„abc” nie jest liczbą; wpisuj liczby takie jak 1500 lub 12,5" in text
    assert "is outside the allowed range" not in text and "is not a number" not in text


def test_the_panels_feedback_is_polish(client, panel, second_round):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "pl"
    journey.enter(client, panel["tokens"][0])
    page = client.get("/expert/round").text
    labels = set(re.findall(r"<strong>(Ekspert [A-Z]+)", page))
    assert labels == {"Ekspert A", "Ekspert B", "Ekspert C", "Ekspert D"}
    assert "Odpowiedzi panelu" in page and "Przedziały podane przez panel" in page
    assert "4 odpowiedzi; mediana 25%, rozstęp międzykwartylowy od 18% do 33%." in page
    assert "Expert A" not in page and "Panel's answers" not in page


def test_the_error_messages_an_expert_may_meet_are_polish(client):
    polish = {"Accept-Language": "pl"}
    nul = client.get("/login?next=%00", headers=polish)
    assert nul.status_code == 400
    assert "Żądanie zawiera znak NUL, który nigdy nie jest tu dozwolony." in nul.text
    refused = client.post("/language", data={"locale": "pl"}, headers=polish)
    assert refused.status_code == 400
    assert "Nie można przyjąć tego formularza" in refused.text
    unknown = client.post(
        "/language",
        data={"locale": "de", "csrf_token": csrf_token(client.get("/login").text)},
        headers=polish,
    )
    assert unknown.status_code == 400
    assert "elicit nie jest dostępny w języku „de”" in html.unescape(unknown.text)


def test_a_closed_round_is_refused_in_polish(client, panel, session):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "pl"
    journey.enter(client, panel["tokens"][0])
    page = client.get("/expert/round").text
    close_round(session, panel["round"])
    session.commit()
    response = client.post(
        "/expert/rounds/1/answers",
        data=journey.form(page, panel["questions"], {panel["questions"][0]: {"probability": "5"}}),
    )
    assert response.status_code == 409
    assert "Runda 1 została zamknięta, więc nie można już zapisywać" in response.text
