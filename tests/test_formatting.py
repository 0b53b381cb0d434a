"""One way to show a number: the rounding rules, the locales, the catalogue, the filters."""

import datetime as dt
import doctest
import zoneinfo
from decimal import Decimal
from fractions import Fraction
from types import SimpleNamespace

import jinja2
import numpy as np
import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from flask import Flask, render_template_string
from hypothesis import example, given
from hypothesis import strategies as st

from elicit import formatting, i18n
from elicit.formatting import (
    answer,
    date,
    datetime,
    figure,
    integer,
    interval,
    number,
    ordinal,
    percentile,
    points,
    probability,
    probability_interval,
    quantity,
    quantity_interval,
    score,
    tick,
    typed_number,
    typed_probability,
)
from elicit.studies.models import QuestionKind

NBSP = "\u00a0"

# A probability typed to at most four decimals of a percent: 1 - p is then exact to 12 digits.
on_grid = st.integers(0, 10**6).map(lambda k: k / 10**6)
probabilities = st.floats(0, 1, allow_nan=False)
quantities = st.floats(1e-4, 1e15, exclude_max=True, allow_nan=False)


def read_back(text):
    """The number an English display stands for; "under X%" sits just below X, "over" above."""
    shift = 0.0
    if text.startswith("under "):
        text, shift = text.removeprefix("under "), -1e-9
    elif text.startswith("over "):
        text, shift = text.removeprefix("over "), 1e-9
    return float(text.removesuffix("%").replace(",", "")) + shift


def as_polish(english):
    """What an English figure reads as in Polish: decimal comma, non-breaking thousands space.

    And the words of the shipped Polish catalogue ("under 0.01%" is "poniżej 0,01%").
    """
    words = english.replace("under ", "poniżej ").replace("over ", "powyżej ")
    return words.replace(",", NBSP).replace(".", ",")


def test_the_docstring_examples_hold():
    assert doctest.testmod(formatting).failed == 0


# Probabilities: the rule


@pytest.mark.parametrize(
    ("p", "shown"),
    [
        (0.5, "50%"),
        (0.502, "50%"),
        (0.35, "35%"),
        (0.355, "36%"),
        (0.125, "13%"),  # halves round away from the nearer certainty
        (0.875, "87%"),  # ... so a probability and its complement add up to 100%
        (0.1, "10%"),
        (0.0996, "10%"),  # 9.96 carries into the next power of ten and reads as 10 does
        (0.0995, "10%"),
        (0.09949, "9.9%"),
        (0.9, "90%"),
        (0.9004, "90%"),
        (0.905, "90.5%"),
        (0.0144, "1.4%"),  # the difference that matters to a forecaster
        (0.01, "1%"),
        (0.0125, "1.3%"),
        (0.99, "99%"),
        (0.9856, "98.6%"),
        (0.00994, "0.99%"),
        (0.00996, "1%"),
        (0.00123, "0.12%"),
        (0.0001, "0.01%"),
        (0.00005, "0.01%"),
        (0.0000499, "under 0.01%"),
        (1e-12, "under 0.01%"),
        (0.99995, "99.99%"),
        (0.9999951, "over 99.99%"),
        (0.0, "0%"),
        (1.0, "100%"),
    ],
)
def test_probabilities_follow_the_rule(p, shown):
    assert probability(p, locale="en") == shown
    assert probability(p, locale="pl") == as_polish(shown)


def test_polish_percentages_follow_the_locale():
    # CLDR's Polish percent pattern is "#,##0%": a decimal comma and no space before the sign.
    assert probability(0.0125, locale="pl") == "1,3%"
    assert typed_probability(0.125, locale="pl") == "12,5%"


@pytest.mark.parametrize(
    "computed",
    [
        0.1,
        0.7 - 0.6,
        0.3 - 0.2,
        1 - 0.9,
        sum([0.01] * 10),
        float(np.median([0.05, 0.15])),
        float(np.percentile([0.0, 0.2], 50)),
        float(np.float32(0.1)),
        0.1 * 3 / 3,
        float(Fraction(1, 10)),
    ],
)
def test_a_boundary_reads_the_same_however_it_was_computed(computed):
    assert probability(computed, locale="en") == "10%"
    assert probability(computed / 10, locale="en") == "1%"
    assert probability(1 - computed, locale="en") == "90%"


@pytest.mark.parametrize("computed", [0.125, 0.1 + 0.025, 1 - 0.875, float(np.mean([0.1, 0.15]))])
def test_a_half_reads_the_same_however_it_was_computed(computed):
    assert probability(computed, locale="en") == "13%"


@given(on_grid)
@example(0.125)
@example(0.0125)
@example(0.5)
def test_the_same_probability_computed_differently_reads_the_same(p):
    shown = probability(p, locale="en")
    k = round(p * 10**6)
    assert probability(k * 1e-6, locale="en") == shown
    assert probability((k / 1000) / 1000, locale="en") == shown
    assert probability(float(np.median([p, p, 1.0, 0.0])), locale="en") == shown
    assert probability(1 - (1 - p), locale="en") == shown
    assert probability(Decimal(k) / 10**6, locale="en") == shown


@given(probabilities, probabilities)
def test_the_rule_is_monotone(p, q):
    p, q = sorted((p, q))
    assert read_back(probability(p, locale="en")) <= read_back(probability(q, locale="en"))


@given(on_grid)
def test_a_probability_and_its_complement_add_up_to_100(p):
    shown, complement = probability(p, locale="en"), probability(1 - p, locale="en")
    if shown.startswith("under "):
        assert complement == "over 99.99%"
    elif shown.startswith("over "):
        assert complement == "under 0.01%"
    else:
        assert Decimal(shown[:-1]) + Decimal(complement[:-1]) == 100


@given(probabilities)
def test_the_shown_figure_is_within_half_a_step_of_the_probability(p):
    shown = probability(p, locale="en")
    percent = Decimal(f"{p:.12g}") * 100
    distance = min(percent, 100 - percent)
    if " " in shown:
        assert 0 < distance < Decimal("0.005")
        return
    step = Decimal(1) if distance >= 10 else Decimal("0.1") if distance >= 1 else Decimal("0.01")
    assert abs(Decimal(shown[:-1]) - percent) <= step / 2
    assert -Decimal(shown[:-1]).as_tuple().exponent <= {1: 0, Decimal("0.1"): 1}.get(step, 2)


@given(st.floats(0, 1, exclude_min=True, exclude_max=True))
def test_only_a_certain_probability_reads_as_certain(p):
    if Decimal(f"{p:.12g}") in (0, 1):
        return  # within 12 significant digits of certain: not told apart from it
    assert probability(p, locale="en") not in ("0%", "100%")


@given(probabilities)
def test_polish_reads_the_same_digits_with_a_decimal_comma(p):
    assert probability(p, locale="pl") == as_polish(probability(p, locale="en"))


@pytest.mark.parametrize("p", [-0.01, 1.01, float("nan"), float("inf")])
def test_a_probability_outside_0_to_1_is_refused(p):
    with pytest.raises(ValueError):
        probability(p, locale="en")


def test_probability_intervals_and_points():
    assert probability_interval(0.2, 0.5, locale="en") == "20% to 50%"
    assert probability_interval(0.0144, 0.0581, locale="pl") == "od 1,4% do 5,8%"
    assert points(0.18, locale="en") == f"+18{NBSP}pp"
    assert points(0.004, locale="en") == f"+0.4{NBSP}pp"
    assert points(-0.00123, locale="pl") == f"-0,12{NBSP}p.p."
    assert points(0.7 - 0.6 - 0.1, locale="en") == f"0{NBSP}pp"
    assert points(0, locale="en") == f"0{NBSP}pp"


def test_typed_probabilities_are_not_rounded():
    assert typed_probability(1 / 3, locale="en") == "33.3333333333%"
    assert typed_probability(0.355, locale="en") == "35.5%"
    assert typed_probability(0.333, locale="en") == "33.3%"  # not 33.300000000000004
    assert typed_probability(0.0001, locale="pl") == "0,01%"
    assert typed_probability(1, locale="en") == "100%"


# Quantities and other numbers


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (0, "0"),
        (12.345, "12.35"),
        (12.3449, "12.34"),
        (0.1 + 0.2, "0.3"),
        (0.012345, "0.01235"),
        (0.0001, "0.0001"),
        (999.95, "1,000"),
        (999.949, "999.9"),
        (1000, "1,000"),
        (1234.5, "1,235"),
        (1_500_000, "1,500,000"),
        (-2.5, "-2.5"),
        (-0.00001, "-1E-5"),
        (1.234e-7, "1.23E-7"),
        (0.99996e-4, "1E-4"),
        (1e15, "1E15"),
        (4.567e20, "4.57E20"),
    ],
)
def test_quantities_follow_the_rule(value, shown):
    assert number(value, locale="en") == shown
    assert number(value, locale="pl") == as_polish(shown)


@given(quantities)
def test_quantities_keep_four_significant_figures_and_every_whole_digit(value):
    shown = read_back(number(value, locale="en"))
    assert abs(shown - value) <= max(5e-4 * value, 0.5) * (1 + 1e-9)
    if value >= 1000:
        assert shown == round(Decimal(f"{value:.12g}"))


@given(quantities, quantities)
def test_quantities_are_monotone(a, b):
    a, b = sorted((a, b))
    assert read_back(number(a, locale="en")) <= read_back(number(b, locale="en"))


@given(st.floats(-1e20, 1e20, allow_nan=False))
def test_polish_quantities_read_the_same_digits(value):
    assert number(value, locale="pl") == as_polish(number(value, locale="en"))


def test_quantities_with_units_and_ranges():
    assert quantity(12.345, "tonnes", locale="en") == f"12.35{NBSP}tonnes"
    assert quantity(1234567, "zł", locale="pl") == f"1{NBSP}234{NBSP}567{NBSP}zł"
    assert quantity(3, None, locale="en") == "3"
    assert quantity_interval(1500, 2500, "people", locale="en") == f"1,500 to 2,500{NBSP}people"
    assert quantity_interval(0.5, 1.25, locale="pl") == "od 0,5 do 1,25"


def test_typed_numbers_are_not_rounded():
    assert typed_number(1234567.891, locale="en") == "1,234,567.891"
    assert typed_number(1234567.891, locale="pl") == f"1{NBSP}234{NBSP}567,891"
    assert typed_number(0.1 + 0.2, locale="en") == "0.3"


def test_counts_and_scores():
    assert integer(0, locale="en") == "0"
    assert integer(12345, locale="en") == "12,345"
    assert integer(12345, locale="pl") == f"12{NBSP}345"
    assert score(0.0625, locale="en") == "0.063"  # halves away from zero, not to even
    assert score(0.25, locale="pl") == "0,250"
    assert score(0.1 + 0.2, locale="en") == "0.300"
    assert score(-0.0001, locale="en") == "0.000"  # no negative zero
    assert score(-1.5, 2, locale="en") == "-1.50"
    assert score(7.4, 0, locale="en") == "7"


def test_axis_ticks_are_short():
    assert [tick(0.2 * i, probability=True, locale="en") for i in range(6)] == [
        "0%",
        "20%",
        "40%",
        "60%",
        "80%",
        "100%",
    ]
    assert tick(0.025, probability=True, locale="pl") == "2,5%"
    assert tick(0.1 + 0.2, locale="en") == "0.3"
    assert [tick(v, locale="en") for v in (250, 12_500, 1_500_000, 2e9)] == [
        "250",
        "12.5K",
        "1.5M",
        "2B",
    ]
    assert tick(1_500_000, locale="pl") == f"1,5{NBSP}mln"
    assert tick(1e-5, locale="en") == "1E-5"


# Percentiles and dates


@pytest.mark.parametrize(
    ("level", "shown"),
    [
        (0.01, "1st"),
        (0.02, "2nd"),
        (0.03, "3rd"),
        (0.05, "5th"),
        (0.11, "11th"),
        (0.12, "12th"),
        (0.21, "21st"),
        (0.5, "50th"),
        (0.95, "95th"),
        (0.025, "2.5th"),
        (0.333, "33.3th"),
        (0.07 * 3, "21st"),
    ],
)
def test_ordinals_follow_cldr_categories(level, shown):
    assert ordinal(level, locale="en") == shown
    assert percentile(level, locale="en") == f"{shown} percentile"


def test_dates_and_times_follow_the_locale():
    day = dt.date(2025, 3, 7)
    assert date(day, locale="en") == "Mar 7, 2025"
    assert date(day, locale="pl") == "7 mar 2025"
    moment = dt.datetime(2025, 3, 7, 14, 5, tzinfo=dt.UTC)
    assert datetime(moment, locale="pl") == "7 marca 2025 14:05:00 UTC"
    assert datetime(moment, locale="en") == "March 7, 2025, 2:05:00\u202fPM UTC"
    assert datetime(moment.replace(tzinfo=None), locale="pl") == "7 marca 2025 14:05:00 UTC"
    warsaw = zoneinfo.ZoneInfo("Europe/Warsaw")
    assert datetime(moment, tzinfo=warsaw, locale="pl") == "7 marca 2025 15:05:00 CET"


# One question's figures


def binary():
    return SimpleNamespace(kind=QuestionKind.BINARY, unit=None, quantiles=None)


def ranged():
    return SimpleNamespace(kind=QuestionKind.BINARY_INTERVAL, unit=None, quantiles=None)


def numeric(unit="tonnes"):
    return SimpleNamespace(kind=QuestionKind.QUANTITY, unit=unit, quantiles=[0.05, 0.5, 0.95])


def test_figures_follow_the_question_kind():
    assert figure(0.355, binary(), locale="en") == "36%"
    assert figure(0.355, ranged(), locale="en") == "36%"
    assert figure(1234.5, numeric(), locale="en") == f"1,235{NBSP}tonnes"
    assert interval(0.1, 0.25, binary(), locale="en") == "10% to 25%"
    assert interval(1000, 2000, numeric(None), locale="en") == "1,000 to 2,000"


def test_answers_are_shown_as_typed():
    values = SimpleNamespace(probability=0.355, lower=0.2, upper=0.505, quantile_values=None)
    assert answer(values, binary(), locale="en") == "35.5%"
    assert answer(values, ranged(), locale="en") == "20% to 50.5%, best 35.5%"
    typed = SimpleNamespace(quantile_values=[1200, 1500.25, 20000])
    assert answer(typed, numeric(), locale="en") == (
        f"5th: 1,200; 50th: 1,500.25; 95th: 20,000{NBSP}tonnes"
    )
    assert answer(typed, numeric(None), locale="pl").startswith(f"5. percentyl: 1{NBSP}200; ")


def test_question_functions_read_a_real_question():
    from elicit.accounts import models as _accounts  # noqa: F401
    from elicit.judgments import models as _judgments  # noqa: F401
    from elicit.panels import models as _panels  # noqa: F401
    from elicit.rounds import models as _rounds  # noqa: F401
    from elicit.studies.models import Question

    question = Question(kind=QuestionKind.QUANTITY, unit="km", quantiles=[0.1, 0.9])
    assert figure(12.5, question, locale="en") == f"12.5{NBSP}km"
    assert figure(0.5, Question(kind=QuestionKind.BINARY), locale="en") == "50%"


# The catalogue


@pytest.fixture
def polish_catalogue(tmp_path, monkeypatch):
    """A small compiled Polish catalogue in place of the project's."""
    catalog = Catalog(locale="pl")
    catalog.add("%(low)s to %(high)s", "od %(low)s do %(high)s")
    catalog.add("%(ordinal)s percentile", "%(ordinal)s percentyl")
    catalog.add("%(number)sth", "%(number)s.", context="ordinal, CLDR category other")
    catalog.add("under %(percent)s", "poniżej %(percent)s")
    folder = tmp_path / "pl" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    with open(folder / "messages.mo", "wb") as mo:
        write_mo(mo, catalog)
    monkeypatch.setattr(i18n, "TRANSLATIONS", tmp_path)
    return tmp_path


def test_words_come_from_the_catalogue_of_the_locale_asked_for(polish_catalogue):
    assert probability_interval(0.2, 0.5, locale="pl") == "od 20% do 50%"
    assert (
        quantity_interval(1500, 2500, "kg", locale="pl") == f"od 1{NBSP}500 do 2{NBSP}500{NBSP}kg"
    )
    assert percentile(0.05, locale="pl") == "5. percentyl"
    assert percentile(0.025, locale="pl") == "2,5. percentyl"
    assert probability(1e-9, locale="pl") == "poniżej 0,01%"
    assert probability_interval(0.2, 0.5, locale="en") == "20% to 50%"


def test_without_a_request_the_default_locale_is_english():
    assert probability(0.0125) == "1.3%"
    assert i18n.active_timezone() is dt.UTC


# The filters in a Flask app


@pytest.fixture
def app():
    app = Flask(__name__)
    app.secret_key = "test"
    i18n.init_app(app)
    formatting.init_app(app)

    @app.get("/")
    def page():
        return render_template_string(
            "{{ 0.0125|probability }}|{{ 1234.5|number }}|{{ 0.05|percentile }}"
            "|{{ day|date }}|{{ 12345|integer }}|{{ 0.2|probability_interval(0.5) }}",
            day=dt.date(2025, 3, 7),
        )

    @app.post("/language/<code>")
    def language(code):
        i18n.choose_locale(code)
        return render_template_string("{{ 0.0125|probability }}")

    return app


def test_every_display_function_is_a_filter_and_none_hides_a_jinja_builtin(app):
    builtins = jinja2.Environment().filters
    assert not set(formatting.FILTERS) & set(builtins)
    assert all(
        app.jinja_env.filters[name] is function for name, function in formatting.FILTERS.items()
    )
    public = {
        name
        for name, value in vars(formatting).items()
        if callable(value)
        and getattr(value, "__module__", None) == formatting.__name__
        and not name.startswith("_")
    }
    assert public - set(formatting.FILTERS) == {"gettext", "pgettext", "init_app", "zone"}


def test_without_a_choice_or_a_browser_language_the_page_is_english(app):
    text = app.test_client().get("/").text
    assert text == "1.3%|1,235|5th percentile|Mar 7, 2025|12,345|20% to 50%"


def test_the_browser_language_beats_the_default(app):
    client = app.test_client()
    text = client.get("/", headers={"Accept-Language": "pl-PL,pl;q=0.9,en;q=0.8"}).text
    assert text == f"1,3%|1{NBSP}235|5. percentyl|7 mar 2025|12{NBSP}345|od 20% do 50%"
    assert client.get("/", headers={"Accept-Language": "de-DE,de;q=0.9"}).text.startswith("1.3%|")
    # A British browser that also reads Polish gets English: order counts, not exact tags.
    assert client.get("/", headers={"Accept-Language": "en-GB,pl;q=0.5"}).text.startswith("1.3%|")


def test_the_chosen_language_beats_the_browser(app):
    client = app.test_client()
    with client.session_transaction() as session:
        session[i18n.SESSION_KEY] = "en"
    assert client.get("/", headers={"Accept-Language": "pl"}).text.startswith("1.3%|")
    assert client.post("/language/pl").text == "1,3%"
    assert client.get("/", headers={"Accept-Language": "en"}).text.startswith("1,3%|")


def test_an_unknown_choice_falls_back_to_the_browser(app):
    client = app.test_client()
    with client.session_transaction() as session:
        session[i18n.SESSION_KEY] = "xx"
    assert client.get("/", headers={"Accept-Language": "pl"}).text.startswith("1,3%|")
    with app.test_request_context(), pytest.raises(ValueError, match="not offered"):
        i18n.choose_locale("de")


def test_filters_use_the_catalogue_of_the_request(app, polish_catalogue):
    text = app.test_client().get("/", headers={"Accept-Language": "pl"}).text
    assert text.endswith("|5. percentyl|7 mar 2025|12\u00a0345|od 20% do 50%")


@pytest.mark.parametrize("language", ["en", "pl"])
@pytest.mark.parametrize("question", [binary(), ranged(), numeric()], ids=lambda q: q.kind.value)
def test_feedback_and_study_page_figures_read_the_same(app, language, question):
    summary = (
        SimpleNamespace(median=0.025, q25=0.0123, q75=0.0581)
        if question.kind != QuestionKind.QUANTITY
        else SimpleNamespace(median=1234.5, q25=987.65, q75=2e6)
    )
    expert = (
        "Median <strong>{{ fb.median|figure(q) }}</strong> · middle half "
        "{{ fb.q25|interval(fb.q75, q) }}"
    )
    facilitator = "median {{ s.median|figure(q) }} IQR {{ s.q25|interval(s.q75, q) }}"
    with app.test_request_context(headers={"Accept-Language": language}):
        shown_expert = render_template_string(expert, fb=summary, q=question)
        shown_facilitator = render_template_string(facilitator, s=summary, q=question)
        median = figure(summary.median, question)
        iqr = interval(summary.q25, summary.q75, question)
    assert f"<strong>{median}</strong>" in shown_expert and f"median {median} " in shown_facilitator
    assert iqr in shown_expert and iqr in shown_facilitator
