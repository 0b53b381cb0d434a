"""Build the demo study: a facilitator, the bundled question sets and a simulated panel.

The panel's answers are drawn with a seeded random generator from the
tendencies in ``scenario.yaml`` (a typical answer and spread per question, and
rationales to pick from), so the demo is the same on every machine. A
rationale's figures (``{answer}``, ``{low}``, ``{high}``) are filled in from
the answer it comes with, so no expert's reasons contradict their numbers. Twelve
experts answer round 1, which is closed; round 2 is open and half the panel has
already revised toward the group.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import yaml
from scipy.special import expit, logit
from scipy.stats import norm
from sqlalchemy.orm import Session

from elicit.accounts.models import Role, StudyRole, User
from elicit.accounts.services import create_user
from elicit.analysis.round_statistics import central_value, panel_summary
from elicit.formatting import number, probability
from elicit.imports import formats
from elicit.imports.dataset import Citation, Dataset, sha256
from elicit.imports.services import import_study
from elicit.judgments.models import Judgment
from elicit.judgments.rules import Answer
from elicit.judgments.submission import record_judgment
from elicit.panels.models import Expert
from elicit.panels.services import add_expert, issue_invitation
from elicit.rounds.models import Round
from elicit.rounds.services import close_round, create_round, open_round
from elicit.studies import question_sets
from elicit.studies.models import Question, QuestionKind, Scale, Study
from elicit.studies.services import create_study, find_study, import_question_sets
from elicit.studies.sharing import share_study

SLUG = "demo"
FACILITATOR_EMAIL = "facilitator@elicit.example"
ANALYST_EMAIL = "analyst@elicit.example"
DATA = Path(__file__).with_name("data")
"""Real studies shipped with elicit (see each folder's SOURCE.md for source and licence)."""
SCENARIO = Path(__file__).with_name("scenario.yaml")
SEED = 20261121

PANEL = [
    ("Alder", "Maria Kowalska", "Institute for Security Studies"),
    ("Birch", "James Whitfield", "Defence Analysis Centre"),
    ("Cedar", "Olena Hrytsenko", "Kyiv School of Policy"),
    ("Elm", "Henrik Lindqvist", "Nordic Strategy Forum"),
    ("Fir", "Amelie Durand", "Centre for European Affairs"),
    ("Hazel", "Tomasz Nowak", "Eastern Flank Research"),
    ("Juniper", "Sarah Okafor", "Global Risk Partners"),
    ("Larch", "Dmitri Sokolov", "Independent analyst"),
    ("Maple", "Ingrid Bauer", "Institute for Arms Control"),
    ("Oak", "Daniel Reyes", "Forecasting Collective"),
    ("Rowan", "Elena Marchetti", "Mediterranean Policy Lab"),
    ("Willow", "Pieter de Vries", "Transatlantic Studies Group"),
]


@dataclass(frozen=True)
class DemoResult:
    """What :func:`build` made; the password and token exist only here, never in the database."""

    study: Study
    facilitator: User
    password: str
    invitation_token: str


def _round_to(value: float, digits: int = 3) -> float:
    """Round ``value`` to ``digits`` significant figures, as a person would write it."""
    if value == 0:
        return 0.0
    return float(np.round(value, digits - 1 - int(np.floor(np.log10(abs(value))))))


def _in_words(rationale: str, question: Question, answer: Answer) -> Answer:
    """Return ``answer`` with ``rationale`` as its reason, its figures filled in from ``answer``.

    ``{answer}`` is the probability (the best estimate of a range) or the
    median quantity; ``{low}`` and ``{high}`` are the ends of a probability
    range (the best estimate if there is none), or the lowest and highest
    quantile. They are written as elicit shows them (:mod:`elicit.formatting`),
    in English like the rationales.
    """
    if question.kind is QuestionKind.QUANTITY:
        values = answer.quantile_values or []
        middle, low, high = values[question.central_quantile], values[0], values[-1]
        figures = {"answer": middle, "low": low, "high": high}
        shown = {name: number(value, locale="en") for name, value in figures.items()}
    else:
        best, lower, upper = answer.probability, answer.lower, answer.upper
        if best is None:
            raise ValueError(f"the simulated answer to {question.key} has no probability")
        figures = {
            "answer": best,
            "low": best if lower is None else lower,
            "high": best if upper is None else upper,
        }
        shown = {name: probability(value, locale="en") for name, value in figures.items()}
    answer.rationale = rationale.format(**shown)
    return answer


class _Panel:
    """Draws the simulated experts' answers; one random generator for the whole demo."""

    def __init__(self, scenario: dict, seed: int) -> None:
        self.scenario = scenario
        self.rng = np.random.default_rng(seed)
        self.bias = self.rng.normal(0.0, 0.35, size=len(PANEL))

    def _probability(self, question: Question, log_odds: float) -> float:
        """Turn log-odds into a whole-percent probability inside the allowed range."""
        low, high = (0.0, 1.0) if question.allow_certainty else (0.01, 0.99)
        return float(np.clip(np.round(expit(log_odds), 2), low, high))

    def _quantiles(self, question: Question, centre: float, width: float) -> list[float]:
        """Quantiles of a normal (or log-normal) belief, kept inside bounds and increasing."""
        levels = np.asarray(question.quantiles)
        z = norm.ppf(levels) / norm.ppf(0.95)
        values = centre * width**z if question.scale is Scale.LOG else centre + width * z
        low = question.lower_bound if question.lower_bound is not None else -np.inf
        high = question.upper_bound if question.upper_bound is not None else np.inf
        rounded = [_round_to(v) for v in np.clip(values, low, high)]
        span = (high - low) if np.isfinite(high - low) else max(abs(centre), 1.0)
        step = span * 1e-3
        for i in range(1, len(rounded)):
            if rounded[i] <= rounded[i - 1]:
                rounded[i] = rounded[i - 1] + step
        rounded[-1] = min(rounded[-1], high)
        for i in range(len(rounded) - 2, -1, -1):
            if rounded[i] >= rounded[i + 1]:
                rounded[i] = rounded[i + 1] - step
        return [float(v) for v in rounded]

    def first_answer(self, index: int, question: Question) -> Answer:
        """Draw expert ``index``'s round-1 answer to ``question``."""
        tendency = self.scenario[question.key]
        rng = self.rng
        rationale = str(rng.choice(tendency["rationales"])) if rng.random() < 0.85 else ""
        confidence = int(rng.choice([2, 3, 3, 4, 4, 5])) if rng.random() < 0.7 else None
        if question.kind is QuestionKind.QUANTITY:
            if question.scale is Scale.LOG:
                centre = tendency["median"] * tendency["spread"] ** rng.normal()
                width = tendency["width"] ** rng.lognormal(0.0, 0.3)
            else:
                centre = tendency["median"] + tendency["spread"] * rng.normal()
                width = tendency["width"] * rng.lognormal(0.0, 0.3)
            answer = Answer(
                quantile_values=self._quantiles(question, centre, width), confidence=confidence
            )
            return _in_words(rationale, question, answer)
        log_odds = logit(tendency["center"]) + tendency["spread"] * rng.normal() + self.bias[index]
        best = self._probability(question, log_odds)
        if question.kind is QuestionKind.BINARY:
            return _in_words(rationale, question, Answer(probability=best, confidence=confidence))
        below, above = np.abs(rng.normal(0.9, 0.35, size=2))
        lower = min(self._probability(question, logit(best) - below), best)
        upper = max(self._probability(question, logit(best) + above), best)
        answer = Answer(probability=best, lower=lower, upper=upper, confidence=confidence)
        return _in_words(rationale, question, answer)

    def revised_answer(self, question: Question, old: Judgment, panel_median: float) -> Answer:
        """Move an earlier answer part of the way toward the panel's median, as revisers do."""
        rng = self.rng
        pull = rng.uniform(0.2, 0.7)
        note = "After seeing the panel's reasons I moved part of the way. "
        rationale = note + str(rng.choice(self.scenario[question.key]["rationales"]))
        if question.kind is QuestionKind.QUANTITY:
            middle = question.central_quantile
            old_values = np.asarray(old.quantile_values)
            if question.scale is Scale.LOG:
                shifted = old_values * (panel_median / old_values[middle]) ** pull
            else:
                shifted = old_values + pull * (panel_median - old_values[middle])
            centre = float(shifted[middle])
            width = (
                float(shifted[-1] / centre)
                if question.scale is Scale.LOG
                else float(shifted[-1] - centre)
            )
            values = self._quantiles(question, centre, max(width, 1e-9) * 0.9)
            answer = Answer(quantile_values=values, confidence=old.confidence)
            return _in_words(rationale, question, answer)
        move = pull * (logit(panel_median) - logit(old.probability))
        best = self._probability(question, logit(old.probability) + move)
        if question.kind is QuestionKind.BINARY:
            answer = Answer(probability=best, confidence=old.confidence)
            return _in_words(rationale, question, answer)
        lower = min(self._probability(question, logit(old.lower) + move * 0.8), best)
        upper = max(self._probability(question, logit(old.upper) + move * 0.8), best)
        answer = Answer(probability=best, lower=lower, upper=upper, confidence=old.confidence)
        return _in_words(rationale, question, answer)


def _load_scenario(questions: list[Question]) -> dict:
    """Read the panel tendencies and check there is one for every question."""
    scenario = yaml.safe_load(SCENARIO.read_text(encoding="utf-8"))["questions"]
    missing = sorted({q.key for q in questions} - set(scenario))
    if missing:
        raise ValueError(f"{SCENARIO} has no tendencies for {', '.join(missing)}")
    return scenario


def build(session: Session, question_sets_dir: Path, *, seed: int = SEED) -> DemoResult:
    """Create the demo study (see the module docstring). The caller commits.

    Raises ``ValueError`` if a demo study already exists or the bundled sets are invalid.
    """
    if find_study(session, SLUG) is not None:
        raise ValueError(f"a study called {SLUG!r} already exists")
    sets, sources = question_sets.load(question_sets_dir)
    password = secrets.token_urlsafe(12)
    facilitator = create_user(
        session,
        email=FACILITATOR_EMAIL,
        name="Demo Facilitator",
        role=Role.FACILITATOR,
        password=password,
    )
    study = create_study(
        session,
        slug=SLUG,
        owner=facilitator,
        title="Ending the war in Ukraine: negotiations, guarantees and European security",
        description=(
            "A demonstration Delphi study built from two published analyses of the "
            "negotiations to end the war in Ukraine. Twelve simulated experts answered "
            "round 1; round 2 is open."
        ),
    )
    questions = import_question_sets(session, study, sets, sources, actor=facilitator)
    panel = _Panel(_load_scenario(questions), seed)

    experts: list[Expert] = [
        add_expert(
            session,
            study,
            pseudonym=pseudonym,
            name=name,
            email=f"{pseudonym.lower()}@panel.elicit.example",
            affiliation=affiliation,
            actor=facilitator,
        )
        for pseudonym, name, affiliation in PANEL
    ]
    tokens = [issue_invitation(session, expert, actor=facilitator) for expert in experts]

    first: Round = create_round(session, study, actor=facilitator)
    open_round(session, first, actor=facilitator)
    answered: dict[tuple[int, int], Judgment] = {}
    for index, expert in enumerate(experts):
        for question in questions:
            if panel.rng.random() < 0.92:
                answer = panel.first_answer(index, question)
                judgment = record_judgment(session, expert, question, first, answer)
                answered[expert.id, question.id] = judgment
    close_round(session, first, actor=facilitator)

    summary = panel_summary(session, first)
    second = create_round(session, study, actor=facilitator)
    open_round(session, second, actor=facilitator)
    for expert in experts[1::2]:
        for question in questions:
            old = answered.get((expert.id, question.id))
            if old is None or question.id not in summary:
                continue
            median = summary[question.id].median
            if question.kind is not QuestionKind.QUANTITY:
                median = float(np.clip(median, 0.01, 0.99))
            if abs(central_value(question, old) - median) > 0:
                answer = panel.revised_answer(question, old, median)
                record_judgment(session, expert, question, second, answer)
    return DemoResult(study, facilitator, password, tokens[0])


def create_analyst(session: Session) -> tuple[User, str]:
    """Create the demo analyst account; return it and its password (kept only by the caller)."""
    password = secrets.token_urlsafe(12)
    analyst = create_user(
        session, email=ANALYST_EMAIL, name="Demo Analyst", role=Role.ANALYST, password=password
    )
    return analyst, password


def _replicats() -> Dataset:
    """Read the repliCATS pilot (aggreCAT's data), cited as published."""
    folder = DATA / "replicats"
    files = [folder / name for name in formats.REPLICATS_FILES]
    dataset = formats.read_replicats(*files)
    dataset.title = "repliCATS pilot: will published research claims replicate?"
    dataset.description = (
        "The repliCATS pilot study, imported as published: 25 participants judged whether "
        "25 published research claims would replicate, in two rounds of the IDEA protocol "
        "(lowest, best and highest plausible probability), with their reasons. Whether "
        "each claim replicated is recorded as its resolution. Data: the aggreCAT R package "
        "(MIT licence)."
    )
    dataset.citation = Citation(
        key="replicats-pilot-aggrecat",
        title="repliCATS pilot study data (data_ratings, data_justifications, data_outcomes)",
        author="B. Wintle et al.; aggreCAT by E. Gould et al.",
        publisher="aggreCAT R package (MIT licence)",
        published=date(2023, 1, 1),
        url="https://github.com/metamelb-repliCATS/aggreCAT",
        sha256=sha256(*files),
    )
    return dataset


def _tobacco() -> Dataset:
    """Read the TU Delft database's tobacco study (EXCALIBUR files), cited as published."""
    files = [DATA / "tudelft" / "tobacco.dtt", DATA / "tudelft" / "tobacco.rls"]
    dataset = formats.read_excalibur(*files)
    dataset.title = "TU Delft expert judgment database: tobacco control in Pennsylvania"
    dataset.description = (
        "A structured expert judgment study from the TU Delft expert judgment database, "
        "imported as published: seven experts gave 5, 25, 50, 75 and 95% quantiles for 10 "
        "seed items, whose true values are known, and 11 target items. Data: Cooke and "
        "Goossens (2008), Mendeley Data doi:10.17632/tp5sp4gcd5.1 (CC BY 4.0)."
    )
    dataset.citation = Citation(
        key="tudelft-ej-database-tobacco",
        title="TU Delft expert judgment data base: tobacco study (EXCALIBUR files)",
        author="R. M. Cooke and L. L. H. J. Goossens",
        publisher="Mendeley Data (CC BY 4.0)",
        published=date(2008, 1, 1),
        url="https://doi.org/10.17632/tp5sp4gcd5.1",
        sha256=sha256(*files),
    )
    return dataset


REFERENCE_STUDIES = {"replicats-pilot": _replicats, "tudelft-tobacco": _tobacco}
"""The real studies ``elicit demo`` loads, by slug."""


def load_reference_studies(session: Session, owner: User, analyst: User) -> list[Study]:
    """Import each of :data:`REFERENCE_STUDIES` that is missing, shared with ``analyst``.

    Returns the studies added (none if all are there). Raises ``ValueError``
    if the bundled files do not import (they do; a test holds it).
    """
    added = []
    for slug, read in REFERENCE_STUDIES.items():
        if find_study(session, slug) is not None:
            continue
        report = import_study(session, read(), slug=slug, owner=owner)
        if report.study is None:
            raise ValueError(f"the bundled study {slug} did not import: {report.problems[:3]}")
        share_study(session, report.study, analyst.email, StudyRole.ANALYST, actor=owner)
        added.append(report.study)
    return added
