"""Saving an imported study: all of it, or nothing if its files have a single problem.

An imported study is a record of what happened elsewhere: its rounds are
created closed and its judgments written as they were given, without the
rules of an open round (a rationale may be long, a probability may be 0 or
1), but within every constraint of the database. Each judgment is its first
and only revision. Experts are pseudonyms only: an import has no contact
details and sends no invitation.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from elicit import audit
from elicit.accounts.models import User
from elicit.db import utcnow
from elicit.errors import DomainError
from elicit.imports.dataset import Citation, Dataset, check
from elicit.judgments.models import Judgment, JudgmentRevision
from elicit.panels.models import Expert
from elicit.rounds.models import Round, RoundState
from elicit.studies.models import Question, Resolution, Source, Study
from elicit.studies.services import create_study, find_study


@dataclass(frozen=True)
class ImportReport:
    """What an import found and did.

    ``problems`` lists every bad line (``FILE:LINE: reason``); ``study`` is the
    created study, or None for a dry run or a refused import.
    """

    dataset: Dataset
    problems: list[str]
    study: Study | None

    def lines(self) -> list[str]:
        """Return the report as printed: what the files hold, then every problem."""
        return [*self.dataset.summary(), *self.problems]


def import_study(
    session: Session,
    dataset: Dataset,
    *,
    slug: str,
    owner: User,
    title: str | None = None,
    dry_run: bool = False,
    actor: User | None = None,
) -> ImportReport:
    """Create study ``slug`` owned by ``owner`` from ``dataset``, unless it has a problem.

    The problems of the files are joined by those of the study itself (a slug
    that is taken or malformed, an owner who may not own a study); with any,
    or with ``dry_run``, nothing is saved. The audit log names ``actor`` (by
    default the owner) as who imported it. The caller commits.
    """
    check(dataset)
    problems = list(dataset.problems)
    if find_study(session, slug) is not None:
        problems.append(f"--study: a study called {slug!r} already exists")
    if not dry_run and not problems:
        try:
            with session.begin_nested():
                study = _save(session, dataset, slug=slug, owner=owner, title=title, actor=actor)
        except DomainError as error:
            problems.append(f"--study {slug}: {error.message}")
        else:
            return ImportReport(dataset, [], study)
    return ImportReport(dataset, problems, None)


def _save(
    session: Session,
    dataset: Dataset,
    *,
    slug: str,
    owner: User,
    title: str | None,
    actor: User | None,
) -> Study:
    """Create the study, its questions, experts, closed rounds, judgments and resolutions."""
    now = utcnow()
    study = create_study(
        session,
        slug=slug,
        title=title or dataset.title,
        owner=owner,
        description=dataset.description,
    )
    source = _source(session, dataset.citation)
    times = [j.time for j in dataset.judgments if j.time is not None]
    closed_on = max(times).date() if times else now.date()
    questions: dict[str, Question] = {}
    for position, spec in enumerate(dataset.questions, start=1):
        question = Question(
            study=study,
            key=spec.key,
            position=position,
            question_set=dataset.question_set,
            section=spec.section,
            kind=spec.kind,
            title=spec.title,
            background=spec.background,
            resolution_criterion=spec.resolution_criterion,
            resolution_source=dataset.citation.text,
            close_date=closed_on,
            resolve_by=max(closed_on, now.date()),
            source=source,
            quote=f"As published: {dataset.citation.text}",
            tags=["imported"],
            calibration=spec.calibration,
            realization=spec.realization,
            allow_certainty=spec.allow_certainty,
            unit=spec.unit,
            quantiles=spec.quantiles,
            scale=spec.scale,
        )
        session.add(question)
        questions[spec.key] = question
        if spec.outcome is not None or spec.value is not None:
            session.add(
                Resolution(
                    question=question,
                    outcome=spec.outcome,
                    value=spec.value,
                    source=f"As published: {dataset.citation.text}",
                    resolved_on=now.date(),
                    resolved_by=owner,
                )
            )
    experts = {
        pseudonym: Expert(study=study, pseudonym=pseudonym, panel_group=group)
        for pseudonym, group in dataset.experts.items()
    }
    session.add_all(experts.values())
    rounds = {}
    for number in range(1, dataset.rounds + 1):
        when = [j.time for j in dataset.judgments if j.round == number and j.time is not None]
        rounds[number] = Round(
            study=study,
            number=number,
            state=RoundState.CLOSED,
            opened_at=min(when) if when else now,
            closed_at=max(when) if when else now,
        )
    session.add_all(rounds.values())
    session.flush()
    for answer in dataset.judgments:
        at = answer.time or now
        values = {
            "probability": answer.probability,
            "lower": answer.lower,
            "upper": answer.upper,
            "quantile_values": answer.quantile_values,
            "rationale": answer.rationale.strip(),
        }
        judgment = Judgment(
            expert_id=experts[answer.expert].id,
            question_id=questions[answer.question].id,
            round_id=rounds[answer.round].id,
            revision=1,
            rationale_votes=answer.votes or None,
            created_at=at,
            updated_at=at,
            **values,
        )
        judgment.revisions.append(JudgmentRevision(revision=1, recorded_at=at, **values))
        session.add(judgment)
    session.flush()
    audit.record(
        session,
        "study.import",
        actor=actor or owner,
        study_id=study.id,
        target=slug,
        details={
            "layout": dataset.layout,
            "files": [f.name for f in dataset.files],
            "sha256": dataset.citation.sha256,
            "experts": len(experts),
            "questions": len(questions),
            "rounds": len(rounds),
            "judgments": len(dataset.judgments),
            "rationale_votes": sum(len(j.votes) for j in dataset.judgments),
        },
    )
    return study


def _source(session: Session, citation: Citation) -> Source:
    """Return the stored source of ``citation``, adding it the first time its data are imported."""
    source = session.scalar(sa.select(Source).where(Source.key == citation.key))
    if source is None:
        source = Source(
            key=citation.key,
            title=citation.title[:300],
            author=citation.author[:200],
            publisher=citation.publisher[:200],
            published=citation.published,
            url=citation.url[:500],
            sha256=citation.sha256,
        )
        session.add(source)
    return source
