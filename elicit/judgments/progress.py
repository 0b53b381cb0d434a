"""Who has answered a round: the panel split into those who submitted and those pending."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from elicit.judgments.models import Judgment, JudgmentDraft
from elicit.panels.models import Expert
from elicit.rounds.models import Round


@dataclass(frozen=True)
class Pending:
    """An expert who has recorded no answer in a round, by pseudonym.

    ``drafts`` counts the answers they saved but did not submit: closing the
    round leaves them drafts, and they are not counted.
    """

    expert_id: int
    pseudonym: str
    drafts: int


def pending_experts(session: Session, round_: Round) -> list[Pending]:
    """List the panel members of ``round_``'s study with no recorded answer in it, by pseudonym."""
    answered = sa.select(Judgment.expert_id).where(Judgment.round_id == round_.id)
    drafts = (
        sa.select(sa.func.count())
        .where(JudgmentDraft.expert_id == Expert.id, JudgmentDraft.round_id == round_.id)
        .scalar_subquery()
    )
    rows = session.execute(
        sa.select(Expert.id, Expert.pseudonym, drafts)
        .where(Expert.study_id == round_.study_id, Expert.id.not_in(answered))
        .order_by(Expert.pseudonym)
    ).all()
    return [Pending(expert_id, pseudonym, count) for expert_id, pseudonym, count in rows]
