"""The answer page's questions as HTML: each rendered once per shape, filled in per request.

Two requests for the answer page differ, question by question, only in the
values shown (what is typed or saved in the inputs, the question's number, the
recorded version, the messages beside fields, the viewer's previous answer and
the panel's feedback put together for them) and in a few choices that decide
the HTML's structure: the question's state, which fields carry an error,
which branch of the feedback is shown, whether the answer was pre-filled or
the slider has a value, and which confidence is selected. Those choices are
the question's :class:`Look`. So each question is rendered once per look, in
each process and language, with a placeholder for every value
(:class:`Shape`); a page then joins the kept pieces with the values, escaped
as Jinja escapes them. A question cannot be edited once a round has asked it
(it is withdrawn and replaced instead: :mod:`elicit.studies.editing`), so the
key of what is kept holds the database, the question's id and when it was
created.
"""

from __future__ import annotations

import re
import secrets
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import get_template_attribute
from markupsafe import Markup, escape

from elicit import i18n
from elicit.answering.fields import prefix
from elicit.extensions import db
from elicit.studies.models import Question

CACHE_SIZE = 4096
"""How many rendered question shapes each process keeps."""

TEMPLATE = "answering/_answer.html"
CONFIDENCES = ("", "1", "2", "3", "4", "5")
"""The values of the confidence menu's options (as ``_answer.html`` lists them)."""

_MARK = secrets.token_hex(8)
"""A random word in every placeholder, new in each process, so that no typed text forms one."""
_PLACEHOLDER = re.compile(f"\ue000{_MARK}:([^\ue001]+)\ue001")


def placeholder(name: str) -> Markup:
    """Return the mark left in a rendered shape where value ``name`` goes.

    Private-use characters around a random word (:data:`_MARK`): escaping
    leaves them alone, and a question's text that happens to hold private-use
    characters cannot be taken for a placeholder, since it cannot know the word.
    """
    return Markup(f"\ue000{_MARK}:{name}\ue001")


@dataclass(frozen=True)
class Look:
    """What decides the structure of a question's HTML (see the module docstring).

    ``feedback`` is ``None`` in a first round, else ``"none"`` (no one
    answered), ``"hidden"`` (until the viewer answers), ``"too few"`` or
    ``"shown"``; ``confidence`` is the selected option's value, or ``None``.
    """

    state: str
    recorded: bool
    answered: bool
    errors: tuple[str, ...]
    feedback: str | None
    previous: bool
    prefilled: bool
    slider: bool
    confidence: str | None


class Shape:
    """A question in one :class:`Look`, every value a :func:`placeholder`: what is rendered once.

    It has what ``_answer.html`` reads of a question on the page.
    """

    number = placeholder("number")
    fingerprint = placeholder("fingerprint")
    version = placeholder("version")
    chart = placeholder("chart")
    figures = placeholder("figures")
    rationales = placeholder("rationales")

    def __init__(self, question: Question, look: Look) -> None:
        self.question = question
        self.prefix = prefix(question.id)
        self.state = look.state
        self.recorded = look.recorded
        self.answered = look.answered
        self.feedback = look.feedback
        self.prefilled = look.prefilled
        self.confidence = look.confidence
        self.previous = placeholder("previous") if look.previous else None
        self.slider = placeholder("slider") if look.slider else None
        self.errors = {name: placeholder(f"error-{name}") for name in look.errors}
        self.raw: dict[str, Any] = {
            name: placeholder(f"raw-{name}")
            for name in ("probability", "lower", "upper", "rationale")
        }
        self.raw["quantile_values"] = [
            placeholder(f"raw-q{i}") for i in range(len(question.quantiles or []))
        ]


@dataclass(frozen=True)
class Pieces:
    """A rendered shape: its entry in the question index, and its article split at placeholders.

    ``article`` alternates text and the names of the values between them.
    """

    index: Markup
    article: tuple[str, ...]


_kept: OrderedDict[tuple[object, ...], Pieces] = OrderedDict()
_lock = threading.Lock()


def _render(question: Question, look: Look, round_number: int, open_: bool, minimum: int) -> Pieces:
    """Render ``question`` in ``look`` with placeholders (see :class:`Shape`)."""
    shape = Shape(question, look)
    index = get_template_attribute(TEMPLATE, "index_entry")(shape)
    article = get_template_attribute(TEMPLATE, "article")(shape, round_number, open_, minimum)
    return Pieces(index=Markup(index), article=tuple(_PLACEHOLDER.split(str(article))))


def question_html(
    question: Question,
    look: Look,
    values: Mapping[str, object],
    *,
    round_number: int,
    open_: bool,
    minimum: int,
) -> tuple[Markup, Markup]:
    """Return ``question``'s entry in the page's index and its article, filled with ``values``.

    ``values`` maps each placeholder's name to its value: text is escaped,
    :class:`~markupsafe.Markup` kept as it is. ``round_number`` is the round
    asking; ``open_`` whether it takes the viewer's answers; ``minimum`` the
    study's fewest answers for feedback to be shown.
    """
    key = (
        str(db.engine.url),
        question.id,
        question.created_at,
        str(i18n.active_locale()),
        round_number,
        open_,
        minimum,
        look,
    )
    with _lock:
        pieces = _kept.get(key)
        if pieces is not None:
            _kept.move_to_end(key)
    if pieces is None:
        pieces = _render(question, look, round_number, open_, minimum)
        with _lock:
            _kept[key] = pieces
            while len(_kept) > CACHE_SIZE:
                _kept.popitem(last=False)
    article = pieces.article
    joined = [
        piece if i % 2 == 0 else str(escape(values[piece])) for i, piece in enumerate(article)
    ]
    return pieces.index, Markup("".join(joined))
