"""The facilitator's blueprint, ``facilitating``, and the words its pages use for states and kinds.

A round's state and a question's kind are never shown by their stored value
(``open``, ``binary_interval``): the templates get them in the request's
language from the functions this blueprint gives them (:func:`_page_words`).
"""

from __future__ import annotations

from flask import Blueprint
from flask_babel import gettext

from elicit.accounts.access import StudyAccess, actor, study_access
from elicit.extensions import db
from elicit.rounds.models import Round, RoundState
from elicit.studies.models import QuestionKind, Study

bp = Blueprint("facilitating", __name__, url_prefix="/facilitate")


def round_label(round_: Round) -> str:
    """Name ``round_`` with its state, as the study list and page show it: "Round 2: open"."""
    number = round_.number
    if round_.state is RoundState.OPEN:
        # TRANSLATORS: a round of a study and its state; the round takes answers now.
        return gettext("Round %(number)s: open", number=number)
    if round_.state is RoundState.CLOSED:
        # TRANSLATORS: a round of a study and its state; the round no longer takes answers.
        return gettext("Round %(number)s: closed", number=number)
    # TRANSLATORS: a round of a study and its state; the round is prepared but has not opened.
    return gettext("Round %(number)s: draft", number=number)


def round_state_sentence(round_: Round) -> str:
    """Say in a sentence which state ``round_`` is in: "Round 2 is open."."""
    number = round_.number
    if round_.state is RoundState.OPEN:
        return gettext("Round %(number)s is open.", number=number)
    if round_.state is RoundState.CLOSED:
        return gettext("Round %(number)s is closed.", number=number)
    # TRANSLATORS: the round is prepared but has not opened yet.
    return gettext("Round %(number)s is draft.", number=number)


def kind_name(kind: QuestionKind) -> str:
    """Name how a question is answered, in the study page's "Kind" column."""
    if kind is QuestionKind.BINARY:
        # TRANSLATORS: a kind of question, answered with one probability.
        return gettext("binary")
    if kind is QuestionKind.BINARY_INTERVAL:
        # TRANSLATORS: a kind of question, answered with a probability and a range around it.
        return gettext("binary interval")
    # TRANSLATORS: a kind of question, answered with quantiles of an uncertain number.
    return gettext("quantity")


@bp.context_processor
def _page_words() -> dict[str, object]:
    """Give this blueprint's templates the words for states and kinds (see the module docstring)."""
    return {
        "round_label": round_label,
        "round_state_sentence": round_state_sentence,
        "kind_name": kind_name,
        "may_run": may_run,
    }


def may_run(study: Study) -> bool:
    """Whether the current user may run ``study`` (the study nav shows its outbox only then)."""
    return study_access(db.session(), actor(), study) >= StudyAccess.RUN
