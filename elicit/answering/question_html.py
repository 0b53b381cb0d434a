"""What a question says besides its title, as the answer page shows it: rendered once, kept.

A question cannot be edited once a round has asked it (it is withdrawn and
replaced instead: :mod:`elicit.studies.editing`), so what the answer page shows
of it (background, resolution criterion and source, dates, the quoted passage,
a quantity's hint and percentile labels) is rendered once per question and
language in each process and kept, keyed by the database, the question's id
and when it was created.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

from flask import get_template_attribute
from markupsafe import Markup

from elicit import formatting, i18n
from elicit.answering.fields import prefix
from elicit.extensions import db
from elicit.studies.models import Question, QuestionKind

CACHE_SIZE = 4096
"""How many questions' rendered texts (per language) each process keeps."""

TEMPLATE = "answering/_question.html"


@dataclass(frozen=True)
class QuestionTexts:
    """A question's texts on the answer page: ``details``, and a quantity's hint and levels."""

    details: Markup
    quantity_hint: Markup
    levels: tuple[str, ...]


_kept: OrderedDict[tuple[object, ...], QuestionTexts] = OrderedDict()
_lock = threading.Lock()


def question_texts(question: Question) -> QuestionTexts:
    """Return ``question``'s texts for the answer page, rendered once (see the module)."""
    key = (str(db.engine.url), question.id, question.created_at, str(i18n.active_locale()))
    with _lock:
        found = _kept.get(key)
        if found is not None:
            _kept.move_to_end(key)
            return found
    quantity = question.kind is QuestionKind.QUANTITY
    texts = QuestionTexts(
        details=Markup(get_template_attribute(TEMPLATE, "details")(question)),
        quantity_hint=Markup(
            get_template_attribute(TEMPLATE, "quantity_hint")(question, prefix(question.id))
            if quantity
            else ""
        ),
        levels=tuple(formatting.percentile(level) for level in question.quantiles or []),
    )
    with _lock:
        _kept[key] = texts
        while len(_kept) > CACHE_SIZE:
            _kept.popitem(last=False)
    return texts
