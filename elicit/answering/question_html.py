"""What a question says besides its title, as the answer page shows it: rendered once, kept.

A question cannot be edited once a round has asked it (it is withdrawn and
replaced instead: :mod:`elicit.studies.editing`), so what the answer page shows
of it (background, resolution criterion and source, dates, the quoted
passage) is rendered once per question and language in each process and
kept, keyed by the database, the question's id and when it was created.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from flask import get_template_attribute
from markupsafe import Markup

from elicit import i18n
from elicit.extensions import db
from elicit.studies.models import Question

CACHE_SIZE = 4096
"""How many questions' rendered texts (per language) each process keeps."""

_kept: OrderedDict[tuple[object, ...], Markup] = OrderedDict()
_lock = threading.Lock()


def question_details(question: Question) -> Markup:
    """Return ``question``'s background and details block for the answer page."""
    key = (
        str(db.engine.url),
        question.id,
        question.created_at,
        str(i18n.active_locale()),
    )
    with _lock:
        found = _kept.get(key)
        if found is not None:
            _kept.move_to_end(key)
            return found
    rendered = Markup(get_template_attribute("answering/_question.html", "details")(question))
    with _lock:
        _kept[key] = rendered
        while len(_kept) > CACHE_SIZE:
            _kept.popitem(last=False)
    return rendered
