"""What a reader found in an existing study's files, before anything is saved.

A :class:`Dataset` holds the questions, experts, judgments and outcomes the
files give, the citation of where they come from, and every problem found,
each naming its file and line. :func:`check` adds the problems every layout
shares (what the database would refuse); a dataset is saved only without any.
"""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from elicit.studies.models import Outcome, QuestionKind, Scale
from elicit.text import character_name, invisible_characters

PSEUDONYM_LENGTH = 40
"""The longest expert id a study keeps as a pseudonym (``experts.pseudonym``)."""

KEY_LENGTH = 80


def question_key(source_id: str, prefix: str = "q") -> str:
    """Return the question key for an id in a file: lower-case letters, digits and '-'.

    Keys name questions in addresses and commands, so ``$TAdProm2005`` becomes
    ``tadprom2005``; an id that leaves fewer than three characters, or none
    that is a letter or digit, gets ``prefix`` in front (``24`` becomes ``q-24``).
    """
    key = re.sub(r"[^a-z0-9]+", "-", source_id.strip().lower()).strip("-")
    if len(key) < 3:
        key = f"{prefix}-{key}".strip("-")
    return key[:KEY_LENGTH]


_PROBLEM = re.compile(r"^(?P<file>[^:]*?)(?::(?P<line>\d+))?: (?P<reason>.*)$", re.S)


def split_problem(problem: str) -> dict[str, str]:
    """Split a problem, ``FILE:LINE: reason`` or ``FILE: reason``, into file, line and reason.

    >>> split_problem("data_ratings.csv:12: value 'x' is not a number")["line"]
    '12'
    """
    found = _PROBLEM.match(problem)
    if found is None:
        return {"file": "", "line": "", "reason": problem}
    return {"file": found["file"], "line": found["line"] or "", "reason": found["reason"]}


def sha256(*paths: Path) -> str:
    """Return the SHA-256 of the files' bytes, one after the other."""
    digest = hashlib.sha256()
    for path in paths:
        with path.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()


@dataclass(frozen=True)
class Citation:
    """Where the data come from; stored as the questions' :class:`~elicit.studies.models.Source`.

    ``published`` is the day the data were published, or, when the files do
    not say, the day they were imported (``title`` then says so).
    """

    key: str
    title: str
    author: str
    publisher: str
    published: date
    url: str
    sha256: str

    @property
    def text(self) -> str:
        """The citation in one line, as a resolution's source or a question's quote."""
        parts = [self.author, self.title, self.publisher, self.url]
        return ", ".join(p for p in parts if p and p != NOT_RECORDED)


NOT_RECORDED = "not recorded"


@dataclass
class QuestionSpec:
    """A question to create; ``outcome``/``value`` is its resolution, if the data give one."""

    key: str
    title: str
    kind: QuestionKind
    section: str
    resolution_criterion: str
    background: str = ""
    calibration: bool = False
    realization: float | None = None
    quantiles: list[float] | None = None
    scale: Scale | None = None
    unit: str | None = None
    allow_certainty: bool = False
    outcome: Outcome | None = None
    value: float | None = None
    where: str = ""


@dataclass
class JudgmentSpec:
    """One expert's answer to one question in one round, and where in the files it was read."""

    question: str
    expert: str
    round: int
    where: str
    probability: float | None = None
    lower: float | None = None
    upper: float | None = None
    quantile_values: list[float] | None = None
    rationale: str = ""
    time: datetime | None = None
    votes: list[dict] = field(default_factory=list)
    """Votes on the rationale's parts, as ``Judgment.rationale_votes`` stores them."""


@dataclass
class Dataset:
    """Everything an import would create, and every problem that stops it.

    ``experts`` maps each pseudonym to its panel group ("" for none);
    ``notes`` says what the files hold that the study does not keep.
    """

    layout: str
    files: list[Path]
    title: str
    description: str
    question_set: str
    citation: Citation
    questions: list[QuestionSpec] = field(default_factory=list)
    experts: dict[str, str] = field(default_factory=dict)
    judgments: list[JudgmentSpec] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def rounds(self) -> int:
        """The number of rounds: the highest round any judgment is in."""
        return max((j.round for j in self.judgments), default=0)

    def counts(self) -> dict[str, int]:
        """Count what would be created: experts, questions, rounds, judgments and the like."""
        return {
            "experts": len(self.experts),
            "questions": len(self.questions),
            "calibration": sum(q.calibration for q in self.questions),
            "rounds": self.rounds,
            "judgments": len(self.judgments),
            "rationales": sum(bool(j.rationale) for j in self.judgments),
            "votes": sum(len(j.votes) for j in self.judgments),
            "resolutions": sum(
                q.outcome is not None or q.value is not None for q in self.questions
            ),
        }

    def summary(self) -> list[str]:
        """Describe what would be created, in a few lines."""
        n = self.counts()
        votes = f", {n['votes']} voted rationale part(s)" if n["votes"] else ""
        return [
            f"{self.layout}: {', '.join(str(f) for f in self.files)}",
            f"  {n['experts']} experts, {n['questions']} questions "
            f"({n['calibration']} calibration questions with their realizations), "
            f"{n['rounds']} closed round(s)",
            f"  {n['judgments']} judgments ({n['rationales']} with a rationale{votes}), "
            f"{n['resolutions']} resolutions",
            *(f"  note: {note}" for note in self.notes),
        ]


def check(dataset: Dataset) -> None:
    """Add to ``dataset.problems`` what the database or a question's kind would refuse.

    Each reader checks its own layout; this is what they all share: pseudonyms
    and keys that fit, probabilities within [0, 1] in order, as many
    increasing quantiles as the question asks for, each judgment once.
    """
    problems = dataset.problems
    if not dataset.judgments and not problems:
        problems.append(f"{dataset.files[0]}: no judgments")
    questions = {q.key: q for q in dataset.questions}
    for pseudonym in dataset.experts:
        if not pseudonym or len(pseudonym) > PSEUDONYM_LENGTH:
            problems.append(
                f"{dataset.files[0]}: expert id {pseudonym!r} is not 1 to "
                f"{PSEUDONYM_LENGTH} characters"
            )
    texts = [(str(dataset.files[0]), "title", dataset.title)]
    texts += [(str(dataset.files[0]), "description", dataset.description)]
    for spec in dataset.questions:
        place = spec.where or str(dataset.files[0])
        texts += [(place, f"question {spec.key!r}", spec.title)]
        texts += [(place, f"background of {spec.key!r}", spec.background)]
        texts += [(place, f"resolution of {spec.key!r}", spec.resolution_criterion)]
    texts += [(j.where, "rationale", j.rationale) for j in dataset.judgments]
    for place, what, text in texts:
        if found := invisible_characters(text or ""):
            position, char = found[0]
            problems.append(
                f"{place}: the {what} holds an invisible format character "
                f"({character_name(char)}) at character {position}; "
                "delete it"
            )
    seen: set[tuple[str, str, int]] = set()
    for judgment in dataset.judgments:
        question = questions.get(judgment.question)
        reason = None
        if question is None:
            reason = f"question {judgment.question!r} is not in the data"
        elif judgment.expert not in dataset.experts:
            reason = f"expert {judgment.expert!r} is not in the data"
        elif (judgment.question, judgment.expert, judgment.round) in seen:
            reason = "the expert answers this question a second time in this round"
        else:
            reason = _answer_problem(question, judgment)
        seen.add((judgment.question, judgment.expert, judgment.round))
        if reason:
            problems.append(f"{judgment.where}: {reason}")


def _answer_problem(question: QuestionSpec, judgment: JudgmentSpec) -> str | None:
    """Say what is wrong with ``judgment`` as an answer to ``question``, or return None."""
    if question.kind is QuestionKind.QUANTITY:
        values = judgment.quantile_values or []
        levels = question.quantiles or []
        if len(values) != len(levels) or not all(map(math.isfinite, values)):
            return f"needs {len(levels)} quantiles, gives {len(values)}"
        if any(b <= a for a, b in zip(values, values[1:], strict=False)):
            return "quantiles do not increase"
        return None
    points = [judgment.probability]
    if question.kind is QuestionKind.BINARY_INTERVAL:
        points = [judgment.lower, judgment.probability, judgment.upper]
    if any(p is None or not 0 <= p <= 1 for p in points):
        return "a probability is missing or outside 0 to 1"
    if points != sorted(points):  # type: ignore[type-var]
        return "needs lower <= best <= upper"
    return None
