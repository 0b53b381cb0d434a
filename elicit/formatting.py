"""One way to show a number or a date: every figure elicit displays is written here.

Numbers and dates go through Babel (:mod:`babel.numbers`, :mod:`babel.dates`)
for a locale: the one passed as ``locale`` (a code such as ``"pl"`` or a
:class:`babel.Locale`), else the request's (see :func:`elicit.i18n.active_locale`),
else English. So ``12.5%`` in English is ``12,5%`` in Polish, and
``1,500,000`` is ``1 500 000`` (with non-breaking spaces). The few words
(``to``, ``percentile``, ``pp``) go through the same locale's message
catalogue. Nothing here needs a request, so the command line can use it too.

The rounding rules
------------------
Every value is first read to 12 significant digits, the precision at which
elicit tells two answers apart (:func:`elicit.judgments.rules.same_answer`),
so float noise never changes a shown digit: ``0.7 - 0.6`` (0.0999...98) reads
as 10% exactly as ``0.1`` does. Halves then round away from zero (12.5 -> 13);
for a probability, the half is of the distance to the nearer certainty.

**Probabilities** are shown in percent, rounded so that the distance to the
nearer certainty (0% or 100%) keeps two significant figures, but never finer
than a hundredth of a percent and never coarser than a whole percent.
Trailing zeros are not shown.

======================  =========================  ==========================
distance to 0% or 100%  resolution                 examples
======================  =========================  ==========================
10 points or more       whole percent              50.2% -> 50%, 87.5% -> 87%
1 to 10 points          a tenth of a percent       1.44% -> 1.4%, 98.55% -> 98.6%
below 1 point           a hundredth of a percent   0.123% -> 0.12%
below 0.005 points      not shown as a number      "under 0.01%", "over 99.99%"
======================  =========================  ==========================

Why: for a forecaster the difference between 1% and 1.4% (odds of 1:99 and
1:70) matters as much as the one between 40% and 48% (the same odds ratio),
while 50.2% and 50% say the same thing. Rounding the distance to the nearer certainty, not the
percentage itself, makes the rule symmetric: a probability and its complement
always read as adding up to 100% (12.5% -> 13%, 87.5% -> 87%). And 0% or 100%
is shown only for a probability that is 0 or 1 (to 12 significant digits):
a probability close to certainty is never shown as certain.

**Quantities** keep four significant figures, but never lose a digit before
the decimal point (12.345 -> 12.35, 1,234,567.8 -> 1,234,568). Magnitudes below
0.0001 or from 10^15 are written with an exponent, to three significant
figures (1.23E-7).

**Scores** (Brier and the like) have a fixed number of decimals, three by
default, so a column of them lines up and 0.250 is told from 0.25.

An expert's own typed answer, shown back to them on a receipt or a record, is
not rounded at all (:func:`typed_probability`, :func:`typed_number`): the
receipt says exactly what the study holds.
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, dates, numbers

if TYPE_CHECKING:
    from flask import Flask

Number = float | int | Decimal

READ_DIGITS = 12
"""Significant digits a value is read to before any rounding (see the module docstring)."""

TICK_DIGITS = 6
"""Significant digits an axis tick is read to (tick positions are sums of float steps)."""

NBSP = "\u00a0"
"""Between a number and its unit, so a line never breaks between them."""


def _locale(locale: str | Locale | None) -> Locale:
    """Return ``locale`` as a :class:`babel.Locale`, or the active one when it is ``None``."""
    if locale is None:
        from elicit import i18n

        return i18n.active_locale()
    return Locale.parse(locale)


def gettext(message: str, *, locale: str | Locale | None = None, **variables: Any) -> str:
    """Translate ``message`` into ``locale`` (default: the active one) and fill in ``variables``.

    Unlike Flask-Babel's ``gettext`` this honours an explicit locale, so a
    Polish figure never comes with an English word, and it works outside a
    request.
    """
    from elicit import i18n

    text = i18n.catalogue(_locale(locale)).ugettext(message)
    return text % variables if variables else text


def pgettext(
    context: str, message: str, *, locale: str | Locale | None = None, **variables: Any
) -> str:
    """Like :func:`gettext`, for a ``message`` that needs a ``context`` to be translated."""
    from elicit import i18n

    text = i18n.catalogue(_locale(locale)).upgettext(context, message)
    return text % variables if variables else text


def _read(value: Number, digits: int = READ_DIGITS) -> Decimal:
    """Read ``value`` to ``digits`` significant digits, as an exact decimal.

    Raises
    ------
    ValueError
        If ``value`` is not finite (a NaN or infinite figure is a bug upstream).
    """
    if not math.isfinite(value):
        raise ValueError(f"cannot show the non-finite number {value!r}")
    return Decimal(f"{value:.{digits}g}")


def _round(value: Decimal, decimals: int) -> Decimal:
    """Round ``value`` to ``decimals`` places, halves away from zero, never to a negative zero."""
    rounded = value.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    return rounded.copy_abs() if rounded == 0 else rounded


def _significant(
    value: Decimal, figures: int, *, fewest: int | None = None, most: int | None = None
) -> Decimal:
    """Round ``value`` to ``figures`` significant figures, keeping its decimals in bounds.

    The decimals are ``figures`` minus the digits before the point, clamped to
    ``fewest..most`` where given (unclamped, 4.567E20 -> 4.57E20). A value
    that rounds up into the next power of ten (9.96 -> 10.0) is that power
    exactly, and reads as it does: trailing zeros are never shown.
    """
    decimals = figures - 1 - value.adjusted()
    if fewest is not None:
        decimals = max(fewest, decimals)
    if most is not None:
        decimals = min(most, decimals)
    return _round(value, decimals)


def _percent(fraction: Decimal, locale: Locale) -> str:
    """Format an already rounded ``fraction`` as the locale writes a percentage, all its digits."""
    return numbers.format_percent(fraction, locale=locale, decimal_quantization=False)


def _decimal(value: Decimal, locale: Locale) -> str:
    """Format an already rounded ``value`` with the locale's separators, all its digits."""
    return numbers.format_decimal(value, locale=locale, decimal_quantization=False)


# Probabilities


def probability(p: Number, *, locale: str | Locale | None = None) -> str:
    """Show the probability ``p`` (a fraction from 0 to 1) in percent, by the rounding rule.

    >>> [probability(p, locale="en") for p in (0.502, 0.125, 0.875, 0.0144, 0.00123, 0)]
    ['50%', '13%', '87%', '1.4%', '0.12%', '0%']
    >>> probability(0.0125, locale="pl"), probability(0.99996, locale="en")
    ('1,3%', 'over 99.99%')

    Raises
    ------
    ValueError
        If ``p`` is outside 0..1 (after reading it to 12 significant digits).
    """
    loc = _locale(locale)
    percent = _read(p) * 100
    if not 0 <= percent <= 100:
        raise ValueError(f"{p!r} is not a probability")
    distance = min(percent, 100 - percent)
    if distance == 0:
        return _percent(percent / 100, loc)
    shown = _significant(distance, 2, fewest=0, most=2)
    if shown == 0 and percent < 50:
        return gettext("under %(percent)s", locale=loc, percent=_percent(Decimal("0.0001"), loc))
    if shown == 0:
        return gettext("over %(percent)s", locale=loc, percent=_percent(Decimal("0.9999"), loc))
    return _percent((shown if percent <= 50 else 100 - shown) / 100, loc)


def probability_interval(low: Number, high: Number, *, locale: str | Locale | None = None) -> str:
    """Show a range of probabilities, each end by the rounding rule.

    >>> probability_interval(0.2, 0.5, locale="en")
    '20% to 50%'
    """
    loc = _locale(locale)
    return gettext(
        "%(low)s to %(high)s",
        locale=loc,
        low=probability(low, locale=loc),
        high=probability(high, locale=loc),
    )


def points(difference: Number, *, locale: str | Locale | None = None) -> str:
    r"""Show a difference of two probabilities in percentage points, always signed unless zero.

    Two significant figures, between whole points and hundredths of a point,
    as for probabilities: a move from 1% to 1.4% is +0.4 pp, one from 40% to
    58% is +18 pp.

    >>> points(0.18, locale="en"), points(-0.004, locale="en"), points(0, locale="en")
    ('+18\xa0pp', '-0.4\xa0pp', '0\xa0pp')
    """
    loc = _locale(locale)
    value = _read(difference) * 100
    shown = _significant(value, 2, fewest=0, most=2)
    text = _decimal(shown, loc)
    if shown > 0:
        text = numbers.get_plus_sign_symbol(loc) + text
    # TRANSLATORS: percentage points; the space before "pp" is a non-breaking one.
    return gettext("%(points)s\u00a0pp", locale=loc, points=text)


def typed_probability(p: Number, *, locale: str | Locale | None = None) -> str:
    """Show a probability an expert typed, unrounded: the percentage they entered.

    For receipts and records, which say exactly what the study holds.

    >>> typed_probability(0.3333, locale="en"), typed_probability(0.3333, locale="pl")
    ('33.33%', '33,33%')
    """
    return _percent(_read(p), _locale(locale))


# Counts, quantities and scores


def integer(count: int, *, locale: str | Locale | None = None) -> str:
    """Show a count (answers, experts, questions) with the locale's thousands separators.

    >>> integer(12345, locale="en")
    '12,345'
    """
    return numbers.format_decimal(count, format="#,##0", locale=_locale(locale))


def number(value: Number, *, locale: str | Locale | None = None) -> str:
    """Show a quantity (without its unit) by the quantity rule of the module docstring.

    >>> [number(v, locale="en") for v in (12.345, 1234567.8, 0.012345, 0, -2.5, 1.234e-7)]
    ['12.35', '1,234,568', '0.01235', '0', '-2.5', '1.23E-7']
    """
    loc = _locale(locale)
    read = _read(value)
    if read == 0:
        return _decimal(Decimal(0), loc)
    if not Decimal("1e-4") <= abs(read) < Decimal("1e15"):
        return numbers.format_scientific(
            _significant(read, 3), format="0.##E0", locale=loc, decimal_quantization=False
        )
    return _decimal(_significant(read, 4, fewest=0), loc)


def _with_unit(text: str, unit: str | None) -> str:
    """Append ``unit`` (the question's own words, not translated) after a non-breaking space."""
    return f"{text}{NBSP}{unit}" if unit else text


def quantity(value: Number, unit: str | None = None, *, locale: str | Locale | None = None) -> str:
    r"""Show a quantity in its ``unit`` by the quantity rule.

    >>> quantity(1500000, locale="en"), quantity(12.345, "tonnes", locale="en")
    ('1,500,000', '12.35\xa0tonnes')
    """
    return _with_unit(number(value, locale=locale), unit)


def quantity_interval(
    low: Number, high: Number, unit: str | None = None, *, locale: str | Locale | None = None
) -> str:
    r"""Show a range of a quantity, the unit once at the end.

    >>> quantity_interval(1500, 2500, "people", locale="en")
    '1,500 to 2,500\xa0people'
    """
    loc = _locale(locale)
    text = gettext(
        "%(low)s to %(high)s",
        locale=loc,
        low=number(low, locale=loc),
        high=number(high, locale=loc),
    )
    return _with_unit(text, unit)


def typed_number(value: Number, *, locale: str | Locale | None = None) -> str:
    """Show a number an expert typed, unrounded, with the locale's separators.

    >>> typed_number(1234567.891, locale="en")
    '1,234,567.891'
    """
    return _decimal(_read(value), _locale(locale))


def score(value: Number, decimals: int = 3, *, locale: str | Locale | None = None) -> str:
    """Show a score (a Brier score, a log score, a calibration) with fixed ``decimals``.

    >>> score(0.0625, locale="en"), score(0.25, locale="pl"), score(-1.5, 2, locale="en")
    ('0.063', '0,250', '-1.50')
    """
    pattern = "#,##0." + "0" * decimals if decimals else "#,##0"
    rounded = _round(_read(value), decimals)
    return numbers.format_decimal(rounded, format=pattern, locale=_locale(locale))


def tick(value: Number, *, probability: bool = False, locale: str | Locale | None = None) -> str:
    """Label a chart's axis tick, short: ``20%``, ``2.5%``, ``750``, ``15K``, ``1.5M``.

    Ticks are round numbers already (1, 2, 2.5 or 5 times a power of ten), so
    they are shown with the digits they have once float noise is gone.
    Quantities from 10,000 to 10^15 use the locale's compact form (``1.5M``,
    Polish ``1,5 mln``); others follow :func:`number`.

    >>> [tick(v, probability=True, locale="en") for v in (0, 0.6000000000000001, 0.025)]
    ['0%', '60%', '2.5%']
    >>> [tick(v, locale="en") for v in (750, 15000, 1500000)]
    ['750', '15K', '1.5M']
    """
    loc = _locale(locale)
    read = _read(value, TICK_DIGITS)
    if probability:
        return _percent(read, loc)
    if Decimal("1e4") <= abs(read) < Decimal("1e15"):
        return numbers.format_compact_decimal(read, locale=loc, fraction_digits=2)
    return number(read, locale=loc)


# Percentiles


def ordinal(level: Number, *, locale: str | Locale | None = None) -> str:
    """Name the quantile ``level`` (a fraction) as an ordinal percentile: 0.05 -> ``5th``.

    Ordinals are not a suffix in every language, so each of CLDR's ordinal
    categories of the number (English: 1st, 2nd, 3rd, 4th; Polish: always
    "other", written ``5.``) is its own message for translators. Levels keep
    up to two decimals: 0.025 -> ``2.5th``.

    >>> [ordinal(level, locale="en") for level in (0.01, 0.02, 0.03, 0.05, 0.11, 0.5, 0.025)]
    ['1st', '2nd', '3rd', '5th', '11th', '50th', '2.5th']
    """
    loc = _locale(locale)
    percent = _round(_read(level) * 100, 2)
    text = _decimal(percent, loc)
    whole = percent == percent.to_integral_value()
    category = loc.ordinal_form(int(percent)) if whole else "other"
    if category == "one":
        return pgettext("ordinal, CLDR category one", "%(number)sst", locale=loc, number=text)
    if category == "two":
        return pgettext("ordinal, CLDR category two", "%(number)snd", locale=loc, number=text)
    if category == "few":
        return pgettext("ordinal, CLDR category few", "%(number)srd", locale=loc, number=text)
    if category == "many":
        return pgettext("ordinal, CLDR category many", "%(number)sth", locale=loc, number=text)
    if category == "zero":
        return pgettext("ordinal, CLDR category zero", "%(number)sth", locale=loc, number=text)
    # TRANSLATORS: %(number)s is a percentile already written the locale's way; translate
    # the CLDR ordinal categories your language has (Polish has "other" alone: "%(number)s.").
    return pgettext("ordinal, CLDR category other", "%(number)sth", locale=loc, number=text)


def percentile(level: Number, *, locale: str | Locale | None = None) -> str:
    """Name the quantile ``level`` in full: 0.05 -> ``5th percentile``.

    >>> percentile(0.95, locale="en")
    '95th percentile'
    """
    loc = _locale(locale)
    return gettext("%(ordinal)s percentile", locale=loc, ordinal=ordinal(level, locale=loc))


# Dates


def date(value: dt.date, *, locale: str | Locale | None = None) -> str:
    """Show a calendar date (a question's closing date, a source's publication date).

    The locale's medium form, with the month as a word so 3/7 and 7/3 cannot
    be confused.

    >>> date(dt.date(2025, 3, 7), locale="en"), date(dt.date(2025, 3, 7), locale="pl")
    ('Mar 7, 2025', '7 mar 2025')
    """
    return dates.format_date(value, "medium", locale=_locale(locale))


def zone(name: str) -> dt.tzinfo:
    """Return the time zone called ``name``, an IANA name such as a study's ``Europe/Warsaw``.

    Raises
    ------
    LookupError
        If no time zone has that name.
    """
    return dates.get_timezone(name)


def datetime(
    value: dt.datetime,
    *,
    tzinfo: dt.tzinfo | str | None = None,
    locale: str | Locale | None = None,
) -> str:
    """Show a moment (when an answer was recorded) with its time zone's name or offset.

    Shown in ``tzinfo`` (a time zone, or its IANA name as :func:`zone` takes),
    else the request's time zone (UTC unless configured); a naive ``value`` is
    taken to be UTC, as elicit stores every time.

    >>> datetime(dt.datetime(2025, 3, 7, 14, 5, tzinfo=dt.UTC), locale="pl")
    '7 marca 2025 14:05:00 UTC'
    >>> moment = dt.datetime(2025, 3, 7, 14, 5, tzinfo=dt.UTC)
    >>> datetime(moment, tzinfo="Europe/Warsaw", locale="pl")
    '7 marca 2025 15:05:00 CET'
    """
    if tzinfo is None:
        from elicit import i18n

        tzinfo = i18n.active_timezone()
    elif isinstance(tzinfo, str):
        tzinfo = zone(tzinfo)
    return dates.format_datetime(value, "long", tzinfo=tzinfo, locale=_locale(locale))


def moment(value: dt.datetime, time_zone: str, *, locale: str | Locale | None = None) -> str:
    """Show a deadline to the minute in the IANA zone ``time_zone``, naming the zone.

    A round's closing time is shown in its study's time zone, whose name is
    given so nobody has to guess it (the expert's page then rewrites it in
    the browser's own zone, where the browser says which that is). A zone
    that is not known is taken to be UTC.

    >>> moment(dt.datetime(2026, 3, 7, 13, 5, tzinfo=dt.UTC), "Europe/Warsaw", locale="en")
    'March 7, 2026, 2:05\u202fPM (Europe/Warsaw)'
    >>> moment(dt.datetime(2026, 3, 7, 13, 5, tzinfo=dt.UTC), "Europe/Warsaw", locale="pl")
    '7 marca 2026, 14:05 (Europe/Warsaw)'
    """
    loc = _locale(locale)
    try:
        zone: dt.tzinfo = ZoneInfo(time_zone)
    except (ValueError, ZoneInfoNotFoundError):
        zone, time_zone = dt.UTC, "UTC"
    local = value.astimezone(zone)
    shown = (
        str(dates.get_datetime_format("medium", locale=loc))
        .replace("{1}", dates.format_date(local, "long", locale=loc))
        .replace("{0}", dates.format_time(local, "short", tzinfo=zone, locale=loc))
    )
    # TRANSLATORS: a date and time, then the name of its time zone, e.g. "Europe/Warsaw".
    return gettext("%(moment)s (%(zone)s)", locale=loc, moment=shown, zone=time_zone)


# One question's figures (duck-typed on a Question: ``kind``, ``unit``, ``quantiles``)


def figure(value: Number, question: Any, *, locale: str | Locale | None = None) -> str:
    """Show one figure of ``question``'s answers: a probability, or a quantity in its unit.

    The panel's median and quartiles go through here on every page, so the
    expert's feedback and the facilitator's study page read the same.
    """
    if question.kind == "quantity":
        return quantity(value, question.unit, locale=locale)
    return probability(value, locale=locale)


def interval(
    low: Number, high: Number, question: Any, *, locale: str | Locale | None = None
) -> str:
    """Show a range of ``question``'s figures (an interquartile range, an expert's range)."""
    if question.kind == "quantity":
        return quantity_interval(low, high, question.unit, locale=locale)
    return probability_interval(low, high, locale=locale)


def spread(value: Number, question: Any, *, locale: str | Locale | None = None) -> str:
    r"""Show a width or a change of ``question``'s answers: probability points, or its unit.

    For an interquartile range, a band around the median or a mean change:
    unsigned, unlike :func:`points`.

    >>> class Binary: kind, unit = "binary", None
    >>> spread(0.12, Binary, locale="en")
    '12\xa0pp'
    """
    if question.kind == "quantity":
        return quantity(value, question.unit, locale=locale)
    return points(abs(float(value)), locale=locale).lstrip("+")


def p_value(p: Number, *, locale: str | Locale | None = None) -> str:
    """Show a test's p-value: three decimals, or "p < 0.001" below that.

    >>> p_value(0.0321, locale="en"), p_value(0.00004, locale="en"), p_value(1, locale="pl")
    ('p = 0.032', 'p < 0.001', 'p = 1,000')
    """
    loc = _locale(locale)
    if float(p) < 0.001:
        # TRANSLATORS: a p-value below the smallest one shown.
        return gettext("p < %(p)s", locale=loc, p=score(0.001, locale=loc))
    # TRANSLATORS: a test's p-value.
    return gettext("p = %(p)s", locale=loc, p=score(p, locale=loc))


def answer(values: Any, question: Any, *, locale: str | Locale | None = None) -> str:
    """Show a recorded answer to ``question`` exactly as stored (see :func:`typed_probability`).

    ``values`` has ``probability``, ``lower``, ``upper`` and
    ``quantile_values`` (a judgment or one of its revisions). Reads
    ``35%``; ``40% to 50%, best 45%``; or
    ``5th: 1,200; 50th: 1,500; 95th: 2,000 tonnes``.
    """
    loc = _locale(locale)
    if question.kind == "quantity":
        parts = [
            pgettext(
                "a percentile of an answer",
                "%(ordinal)s: %(value)s",
                locale=loc,
                ordinal=ordinal(level, locale=loc),
                value=typed_number(value, locale=loc),
            )
            for level, value in zip(
                question.quantiles or [], values.quantile_values or [], strict=False
            )
        ]
        return _with_unit("; ".join(parts), question.unit)
    best = typed_probability(values.probability, locale=loc)
    if question.kind == "binary_interval":
        return gettext(
            "%(low)s to %(high)s, best %(best)s",
            locale=loc,
            low=typed_probability(values.lower, locale=loc),
            high=typed_probability(values.upper, locale=loc),
            best=best,
        )
    return best


FILTERS = {
    "probability": probability,
    "probability_interval": probability_interval,
    "points": points,
    "typed_probability": typed_probability,
    "integer": integer,
    "number": number,
    "quantity": quantity,
    "quantity_interval": quantity_interval,
    "typed_number": typed_number,
    "score": score,
    "tick": tick,
    "ordinal": ordinal,
    "percentile": percentile,
    "date": date,
    "datetime": datetime,
    "moment": moment,
    "figure": figure,
    "interval": interval,
    "answer": answer,
    "spread": spread,
    "p_value": p_value,
}
"""Jinja filter name -> display function; none replaces a Jinja built-in."""


def init_app(app: Flask) -> None:
    """Register every display function of :data:`FILTERS` as a Jinja filter of ``app``.

    Templates then show numbers and dates only through this module.
    """
    app.jinja_env.filters.update(FILTERS)
