"""Evaluating a study's stopping rules on a round: each statistic, its p-value, met or not.

The numbers come from :mod:`elicit.core.consensus`, computed for every
question with rules in one pass per statistic. What the rules are and when
they were fixed is :mod:`elicit.stopping`.

A rule is judged only on enough answers: at least :data:`MIN_ANSWERS` in the
round for the spread rules, at least :data:`MIN_ANSWERS` experts who answered
both this round and the one before for the stability rules; otherwise it is
"not judged" (``met`` is ``None``), and a question with a rule not judged
does not settle.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from elicit.analysis.round_statistics import RoundAnswers, central_value, round_answers
from elicit.rounds.models import Round
from elicit.rounds.services import previous_round
from elicit.stopping.models import RuleKind, StoppingRule
from elicit.stopping.services import settle_questions, study_rules
from elicit.studies.models import Study

if TYPE_CHECKING:
    from elicit.accounts.models import User

MIN_ANSWERS = 3
"""Fewest answers (or pairs of answers, for stability) a rule is judged on."""

_RTOL = 1e-9


@dataclass(frozen=True)
class RuleOutcome:
    """One rule judged on one round.

    ``statistic`` is what the rule compares with its threshold (IQR, CV,
    percentage within the band, mean absolute change, or Wilcoxon's
    statistic), ``pvalue`` Wilcoxon's two-sided p-value, ``count`` the answers
    (or pairs) it rests on; ``met`` is ``None`` when the rule could not be judged.
    """

    rule: StoppingRule
    statistic: float | None
    pvalue: float | None
    count: int
    met: bool | None


@dataclass(frozen=True)
class StoppingReport:
    """Every rule of a study judged on ``round``, keyed by question id."""

    round: Round
    outcomes: dict[int, list[RuleOutcome]] = field(default_factory=dict)

    @property
    def settled(self) -> list[int]:
        """Question ids whose every rule is met: the questions this round settles."""
        return sorted(
            question_id
            for question_id, outcomes in self.outcomes.items()
            if outcomes and all(outcome.met for outcome in outcomes)
        )


def _at_most(value: float, threshold: float) -> bool:
    return value <= threshold + _RTOL * max(1.0, abs(threshold))


def evaluate_rules(session: Session, round_: Round) -> StoppingReport:
    """Judge every stopping rule of ``round_``'s study on the answers submitted in it.

    Drafts never count (only submitted judgments are answers). Stability rules
    pair each expert's answer with their answer in the round before.
    """
    import numpy as np

    from elicit.core import consensus

    rules = study_rules(session, round_.study)
    report = StoppingReport(round_)
    if not rules:
        return report
    answers = round_answers(session, round_)
    question_ids = sorted({rule.question_id for rule in rules})
    index = {question_id: i for i, question_id in enumerate(question_ids)}
    n = len(question_ids)
    picked = [i for i, (question, _) in enumerate(answers.rows) if question.id in index]
    values = answers.values[picked]
    groups = np.fromiter(
        (index[answers.rows[i][0].id] for i in picked), dtype=np.intp, count=len(picked)
    )
    counts = consensus.grouped_count(groups, n)
    spread = {
        RuleKind.IQR: consensus.grouped_iqr(values, groups, n),
        RuleKind.CV: consensus.grouped_cv(values, groups, n),
    }
    within = {
        band: consensus.grouped_percent_within(values, groups, n, band)
        for band in {rule.band for rule in rules if rule.kind is RuleKind.SHARE_WITHIN}
        if band is not None
    }
    first, second, pair_groups = _pairs(session, round_, answers, index)
    pairs = consensus.grouped_count(pair_groups, n)
    change = consensus.grouped_mean_absolute_change(first, second, pair_groups, n)
    wilcoxon = consensus.grouped_wilcoxon(first, second, pair_groups, n)

    outcomes: dict[int, list[RuleOutcome]] = defaultdict(list)
    for rule in rules:
        i = index[rule.question_id]
        kind = rule.kind
        if kind.needs_previous_round:
            count = int(pairs[i])
            if count < MIN_ANSWERS:
                outcome = RuleOutcome(rule, None, None, count, None)
            elif kind is RuleKind.MEAN_CHANGE:
                stat = float(change[i])
                outcome = RuleOutcome(rule, stat, None, count, _at_most(stat, rule.threshold))
            elif int(wilcoxon.n[i]) == 0:
                outcome = RuleOutcome(rule, 0.0, 1.0, count, True)
            else:
                p = float(wilcoxon.pvalue[i])
                outcome = RuleOutcome(
                    rule, float(wilcoxon.statistic[i]), p, count, p >= rule.threshold
                )
        else:
            count = int(counts[i])
            if count < MIN_ANSWERS:
                outcome = RuleOutcome(rule, None, None, count, None)
            elif kind is RuleKind.SHARE_WITHIN:
                assert rule.band is not None
                stat = float(within[rule.band][i])
                outcome = RuleOutcome(rule, stat, None, count, stat >= rule.threshold - _RTOL)
            else:
                stat = float(spread[kind][i])
                met = None if np.isnan(stat) else _at_most(stat, rule.threshold)
                outcome = RuleOutcome(rule, None if np.isnan(stat) else stat, None, count, met)
        outcomes[rule.question_id].append(outcome)
    return StoppingReport(round_, dict(outcomes))


def _pairs(session: Session, round_: Round, answers: RoundAnswers, index: dict[int, int]):
    """Pair this round's answers with the same experts' answers in the round before.

    Returns the earlier values, the later values and the question index of
    each pair (empty arrays when there is no closed round before).
    """
    import numpy as np

    before = previous_round(session, round_)
    if before is None:
        return np.empty(0), np.empty(0), np.empty(0, dtype=np.intp)
    earlier = {
        (question.id, judgment.expert_id): central_value(question, judgment)
        for question, judgment in round_answers(session, before).rows
        if question.id in index
    }
    first, second, groups = [], [], []
    for (question, judgment), value in zip(answers.rows, answers.values, strict=True):
        key = (question.id, judgment.expert_id)
        if key in earlier:
            first.append(earlier[key])
            second.append(float(value))
            groups.append(index[question.id])
    return np.array(first, float), np.array(second, float), np.array(groups, np.intp)


def last_opened_round(study: Study) -> Round | None:
    """Return ``study``'s latest round that has opened (the one a new round follows), if any."""
    opened = [round_ for round_ in study.rounds if round_.opened_at is not None]
    return max(opened, key=lambda round_: round_.number, default=None)


def leave_out_settled(session: Session, study: Study, *, actor: User | None = None) -> list[int]:
    """Stop asking the questions whose every rule was met in the latest round that opened.

    Called as the facilitator opens the next round with "leave out settled
    questions", in the same transaction. Returns the ids of the questions
    settled now (none without rules or without an opened round).
    """
    last = last_opened_round(study)
    if last is None:
        return []
    report = evaluate_rules(session, last)
    settled = settle_questions(session, study, last.number, report.settled, actor=actor)
    return [entry.question_id for entry in settled]
