"""Registering stopping rules before round 1, fixing them with a hash, and settling questions."""

from __future__ import annotations

import hashlib
import json
import math
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask_babel import gettext
from sqlalchemy.orm import Session

from elicit import audit
from elicit.errors import DomainError
from elicit.stopping.models import RuleKind, SettledQuestion, StoppingRule
from elicit.studies.models import Question, Study
from elicit.studies.services import study_has_opened

if TYPE_CHECKING:
    from elicit.accounts.models import User


def study_rules(session: Session, study: Study) -> list[StoppingRule]:
    """Return ``study``'s rules in question order, then by kind."""
    return list(
        session.scalars(
            sa.select(StoppingRule)
            .join(Question, Question.id == StoppingRule.question_id)
            .where(StoppingRule.study_id == study.id)
            .order_by(Question.position, StoppingRule.kind)
        )
    )


def _refuse_if_fixed(study: Study) -> None:
    if study_has_opened(study):
        raise DomainError(
            "rules_fixed",
            gettext("the stopping rules were fixed when round 1 opened and cannot change"),
        )


def _check_values(kind: RuleKind, threshold: float, band: float | None) -> None:
    """Refuse thresholds and bands a rule of ``kind`` cannot use."""
    if not math.isfinite(threshold) or threshold < 0:
        raise DomainError("invalid_rule", gettext("a threshold must be a number of at least 0"))
    if kind is RuleKind.WILCOXON and not 0 < threshold < 1:
        raise DomainError(
            "invalid_rule", gettext("the significance level must be between 0 and 1, such as 0.05")
        )
    if kind is RuleKind.SHARE_WITHIN:
        if not 0 < threshold <= 100:
            raise DomainError(
                "invalid_rule", gettext("the share must be a percentage from 0 to 100, such as 80")
            )
        if band is None or not math.isfinite(band) or band <= 0:
            raise DomainError("invalid_band", gettext("the band around the median must be above 0"))
    elif band is not None:
        raise DomainError("invalid_band", gettext("only the share-within rule takes a band"))


def add_rule(
    session: Session,
    question: Question,
    kind: RuleKind,
    threshold: float,
    band: float | None = None,
    *,
    actor: User | None = None,
) -> StoppingRule:
    """Register (or replace) the rule of ``kind`` for ``question`` while round 1 has not opened.

    Raises
    ------
    DomainError
        ``rules_fixed`` once round 1 has opened; ``invalid_rule`` for a
        threshold and ``invalid_band`` for a band the rule cannot use.
    """
    _refuse_if_fixed(question.study)
    _check_values(kind, threshold, band)
    rule = session.scalar(
        sa.select(StoppingRule).where(
            StoppingRule.question_id == question.id, StoppingRule.kind == kind
        )
    )
    before = None if rule is None else {"threshold": rule.threshold, "band": rule.band}
    if rule is None:
        rule = StoppingRule(study_id=question.study_id, question=question, kind=kind)
        session.add(rule)
    rule.threshold, rule.band = threshold, band
    session.flush()
    audit.record(
        session,
        "stopping_rule.set",
        actor=actor,
        study_id=question.study_id,
        target=f"{question.key}: {kind.value}",
        details={"before": before, "after": {"threshold": threshold, "band": band}},
    )
    return rule


def remove_rule(session: Session, rule: StoppingRule, *, actor: User | None = None) -> None:
    """Take a rule back while round 1 has not opened (``rules_fixed`` after)."""
    study = session.get(Study, rule.study_id)
    assert study is not None
    _refuse_if_fixed(study)
    audit.record(
        session,
        "stopping_rule.remove",
        actor=actor,
        study_id=rule.study_id,
        target=f"{rule.question.key}: {rule.kind.value}",
        details={"before": {"threshold": rule.threshold, "band": rule.band}, "after": None},
    )
    session.delete(rule)
    session.flush()


def canonical_rules(rules: list[StoppingRule]) -> str:
    """Return the rules as canonical JSON (sorted, no spaces): what the registered hash is of."""
    entries = sorted(
        (
            {
                "question": rule.question.key,
                "kind": rule.kind.value,
                "threshold": rule.threshold,
                "band": rule.band,
            }
            for rule in rules
        ),
        key=lambda entry: (str(entry["question"]), str(entry["kind"])),
    )
    return json.dumps(entries, sort_keys=True, separators=(",", ":"))


def rules_hash(rules: list[StoppingRule]) -> str:
    """Return the SHA-256 of :func:`canonical_rules`, hex."""
    return hashlib.sha256(canonical_rules(rules).encode()).hexdigest()


def register_rules(session: Session, study: Study, *, actor: User | None = None) -> str:
    """Record ``study``'s rules and their hash in the audit trail, as round 1 opens.

    Called by the round life cycle (:func:`elicit.rounds.services.transition`)
    in the transaction that opens round 1, so the registration and the
    opening are committed together. Returns the hash.
    """
    rules = study_rules(session, study)
    digest = rules_hash(rules)
    audit.record(
        session,
        "stopping_rules.register",
        actor=actor,
        study_id=study.id,
        target=study.slug,
        details={"sha256": digest, "rules": json.loads(canonical_rules(rules))},
    )
    return digest


def registration(session: Session, study: Study) -> audit.AuditEvent | None:
    """Return the audit entry that registered ``study``'s rules, if round 1 has opened."""
    return session.scalar(
        sa.select(audit.AuditEvent).where(
            audit.AuditEvent.study_id == study.id,
            audit.AuditEvent.action == "stopping_rules.register",
        )
    )


def settle_questions(
    session: Session,
    study: Study,
    round_number: int,
    question_ids: list[int],
    *,
    actor: User | None = None,
) -> list[SettledQuestion]:
    """Leave ``question_ids`` out of the rounds after ``round_number``: their rules were met.

    Which questions met their rules is decided by the analysis service
    (:func:`elicit.analysis.stopping.settled_by`); this records the
    facilitator's decision to stop asking them, in the transaction that opens
    the next round. Questions already settled are skipped.
    """
    already = set(
        session.scalars(
            sa.select(SettledQuestion.question_id).where(
                SettledQuestion.question_id.in_(question_ids)
            )
        )
    )
    keys = dict(
        session.execute(
            sa.select(Question.id, Question.key).where(
                Question.study_id == study.id, Question.id.in_(question_ids)
            )
        ).all()
    )
    settled = [
        SettledQuestion(question_id=question_id, round_number=round_number)
        for question_id in question_ids
        if question_id in keys and question_id not in already
    ]
    session.add_all(settled)
    session.flush()
    if settled:
        audit.record(
            session,
            "questions.settle",
            actor=actor,
            study_id=study.id,
            target=f"round {round_number}",
            details={"questions": sorted(keys[s.question_id] for s in settled)},
        )
    return settled


def settled_question_ids(session: Session, study: Study) -> set[int]:
    """Return the ids of ``study``'s questions no longer asked because they settled."""
    return set(
        session.scalars(
            sa.select(SettledQuestion.question_id)
            .join(Question, Question.id == SettledQuestion.question_id)
            .where(Question.study_id == study.id)
        )
    )
