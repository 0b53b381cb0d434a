"""The page an expert sees when no round takes their answers: the last one closed, or none yet.

A round stops taking an expert's answers when it is closed, or the moment
their own closing time passes (:func:`elicit.rounds.services.takes_answers`),
even before the closing is recorded. The page says when it closed, what is
recorded for them, and that drafts they did not submit are not counted.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import render_template

from elicit.extensions import db
from elicit.judgments.models import Judgment, JudgmentDraft
from elicit.panels.models import Expert
from elicit.rounds.models import Round, RoundState
from elicit.rounds.services import closing_time


def _last_closed(expert: Expert) -> Round | None:
    """Return the latest closed round of the expert's study, if one has closed."""
    return db.session.scalar(
        sa.select(Round)
        .where(Round.study_id == expert.study_id, Round.state == RoundState.CLOSED)
        .order_by(Round.number.desc())
        .limit(1)
    )


def _count(model: type[Judgment] | type[JudgmentDraft], expert: Expert, round_: Round) -> int:
    """Count the expert's judgments or drafts in ``round_``."""
    return (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(model)
            .where(model.expert_id == expert.id, model.round_id == round_.id)
        )
        or 0
    )


def render_closed(expert: Expert, open_round: Round | None) -> str:
    """Render what an expert sees when ``open_round`` (if any) does not take their answers.

    ``open_round`` is the study's open round whose closing time has passed
    for this expert; without one, the latest round that closed is shown,
    and before any has, the page saying no round is open.
    """
    round_ = open_round or _last_closed(expert)
    if round_ is None:
        return render_template("answering/no_round.html", study=expert.study)
    own = closing_time(db.session(), round_, expert.id)
    ended = [moment for moment in (own, round_.closed_at) if moment is not None]
    return render_template(
        "answering/round_closed.html",
        study=expert.study,
        round=round_,
        closed_at=min(ended) if ended else None,
        recorded=_count(Judgment, expert, round_),
        drafts=_count(JudgmentDraft, expert, round_),
    )
