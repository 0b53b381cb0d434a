"""How far each expert of a panel has got, derived from what is stored (nothing extra is kept).

The stages, each implying the ones before it: *not invited* (no working
link), *invited* (a link was issued), *opened* (the link was used),
*consented*, *draft* (something typed but not submitted in the current
round), *submitted* (at least one answer recorded in the current round). The
current round is the open one, else the last one that opened.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from elicit.judgments.models import Judgment, JudgmentDraft
from elicit.panels.models import Expert, Invitation
from elicit.rounds.models import Round, RoundState
from elicit.studies.models import Study


class Stage(enum.IntEnum):
    """How far an expert has got; a later stage implies every earlier one."""

    NOT_INVITED = 0
    INVITED = 1
    OPENED = 2
    CONSENTED = 3
    DRAFT = 4
    SUBMITTED = 5


def current_round(session: Session, study: Study) -> Round | None:
    """Return ``study``'s open round, else the last one that opened, else ``None``."""
    return session.scalar(
        sa.select(Round)
        .where(Round.study_id == study.id, Round.state != RoundState.DRAFT)
        .order_by((Round.state == RoundState.OPEN).desc(), Round.number.desc())
        .limit(1)
    )


def panel_stages(session: Session, study: Study, round_: Round | None) -> dict[int, Stage]:
    """Return each expert of ``study`` (by id) with their :class:`Stage` in ``round_``.

    Four queries whatever the panel's size: links, consent, drafts, answers.
    """
    links = session.execute(
        sa.select(
            Invitation.expert_id,
            sa.func.count(Invitation.id).filter(Invitation.revoked_at.is_(None)),
            sa.func.count(Invitation.last_used_at),
        )
        .join(Expert)
        .where(Expert.study_id == study.id)
        .group_by(Invitation.expert_id)
    ).all()
    consented = session.execute(
        sa.select(Expert.id, Expert.consented_at.is_not(None)).where(Expert.study_id == study.id)
    ).all()
    stages = {
        expert_id: Stage.CONSENTED if agreed else Stage.NOT_INVITED
        for expert_id, agreed in consented
    }
    for expert_id, working, used in links:
        if stages[expert_id] is Stage.NOT_INVITED and (working or used):
            stages[expert_id] = Stage.OPENED if used else Stage.INVITED
    if round_ is None:
        return stages
    for model, stage in ((JudgmentDraft, Stage.DRAFT), (Judgment, Stage.SUBMITTED)):
        for expert_id in session.scalars(
            sa.select(model.expert_id).where(model.round_id == round_.id).distinct()
        ):
            if expert_id in stages:
                stages[expert_id] = max(stages[expert_id], stage)
    return stages


@dataclass(frozen=True)
class Pending:
    """An expert who has recorded no answer in a round.

    ``drafts`` counts the answers they saved but did not submit: closing the
    round leaves them drafts, and they are not counted.
    """

    expert: Expert
    drafts: int

    @property
    def pseudonym(self) -> str:
        """The expert's pseudonym in the study."""
        return self.expert.pseudonym


def pending_experts(session: Session, round_: Round) -> list[Pending]:
    """List the panel members of ``round_``'s study with no recorded answer in it, by pseudonym."""
    answered = sa.select(Judgment.expert_id).where(Judgment.round_id == round_.id)
    drafts = (
        sa.select(sa.func.count())
        .where(JudgmentDraft.expert_id == Expert.id, JudgmentDraft.round_id == round_.id)
        .scalar_subquery()
    )
    rows = session.execute(
        sa.select(Expert, drafts)
        .where(Expert.study_id == round_.study_id, Expert.id.not_in(answered))
        .order_by(Expert.pseudonym)
    ).all()
    return [Pending(expert, count) for expert, count in rows]
