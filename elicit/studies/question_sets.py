"""Reading and validating question-set files (the format is in ``question_sets/README.md``).

Nothing here touches the database: :func:`load` turns files into
:class:`QuestionSet` and :class:`SourceDocument` values, or raises
:class:`QuestionSetError` listing *every* problem found, each with its file,
question id, field and reason. :mod:`elicit.studies.services` imports what
this module accepted.
"""

from __future__ import annotations

import hashlib
import math
import re
import tempfile
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

from elicit.studies.models import QuestionKind, Scale
from elicit.text import invisible_characters

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{2,79}$")
SHA256 = re.compile(r"^[0-9a-f]{64}$")
DEFAULT_QUANTILES = (0.05, 0.5, 0.95)

SET_FIELDS = {"id", "title", "description", "sections"}
SECTION_FIELDS = {"id", "title", "description", "questions"}
COMMON_FIELDS = {
    "id",
    "kind",
    "title",
    "background",
    "resolution_criterion",
    "resolution_source",
    "close_date",
    "resolve_by",
    "source",
    "quote",
    "tags",
    "calibration",
    "realization",
}
KIND_FIELDS = {
    QuestionKind.BINARY: COMMON_FIELDS | {"allow_certainty"},
    QuestionKind.BINARY_INTERVAL: COMMON_FIELDS | {"allow_certainty"},
    QuestionKind.QUANTITY: COMMON_FIELDS
    | {"unit", "quantiles", "lower_bound", "upper_bound", "scale"},
}
SOURCE_LIMITS = {"title": 300, "author": 200, "publisher": 200, "url": 500}
"""Lengths of the columns that store a source's citation."""
SOURCE_FIELDS = {"key", "title", "author", "publisher", "published", "url", "file", "sha256"}
UPLOAD_LIMIT = 512 * 1024
"""The largest question-set file accepted from a browser, in bytes (the bundled ones are ~40 KB)."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a question-set file, at a named place."""

    file: str
    question: str
    field: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file}: {self.question}: {self.field}: {self.reason}"


class QuestionSetError(ValueError):
    """Raised by :func:`load` with every problem found in the files."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(problem) for problem in problems))
        self.problems = problems


@dataclass(frozen=True)
class SourceDocument:
    """The citation of a source document and the SHA-256 of its text."""

    key: str
    title: str
    author: str
    publisher: str
    published: date
    url: str
    file: str
    sha256: str


@dataclass
class QuestionSpec:
    """A validated question, ready to be stored."""

    key: str
    kind: QuestionKind
    title: str
    resolution_criterion: str
    resolution_source: str
    close_date: date
    resolve_by: date
    source: str
    quote: str
    tags: list[str]
    section: str
    question_set: str
    background: str = ""
    calibration: bool = False
    realization: float | None = None
    allow_certainty: bool = False
    unit: str | None = None
    quantiles: list[float] | None = None
    lower_bound: float | None = None
    upper_bound: float | None = None
    scale: Scale | None = None


@dataclass
class QuestionSet:
    """A validated question-set file."""

    id: str
    title: str
    description: str
    path: Path
    questions: list[QuestionSpec] = field(default_factory=list)


class _UniqueKeyLoader(yaml.SafeLoader):
    """A safe YAML loader that refuses a mapping with the same key twice (PyYAML keeps the last)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        """Build a mapping, raising on a repeated key instead of overwriting it."""
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if not isinstance(key, str | int | float | bool | date):
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"a key must be a plain value, not {type(key).__name__}",
                    key_node.start_mark,
                )
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def normalise_text(text: str) -> str:
    """Fold typographic quotes, dashes, ``*`` emphasis and white space, for quote matching."""
    table = str.maketrans(
        {
            "\u2018": "'",
            "\u2019": "'",
            "\u201a": "'",
            "\u2032": "'",
            "\u201c": '"',
            "\u201d": '"',
            "\u201e": '"',
            "\u2033": '"',
            "\u2013": "-",
            "\u2014": "-",
            "\u2212": "-",
            "\u00a0": " ",
            "*": None,
        }
    )
    return " ".join(text.translate(table).split())


def sha256_of(path: Path) -> str:
    """Return the hex SHA-256 of the file at ``path``."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _read_yaml(path: Path, problems: list[Problem]) -> Any:
    """Parse ``path`` as YAML; record a problem (with line and column) if malformed or empty."""
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_UniqueKeyLoader)  # noqa: S506
        if data is None:
            problems.append(Problem(str(path), "-", "-", "the file is empty"))
        return data
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "-"
        reason = getattr(error, "problem", None) or str(error)
        problems.append(Problem(str(path), "-", where, f"malformed YAML: {reason}"))
    except (OSError, UnicodeDecodeError) as error:
        problems.append(Problem(str(path), "-", "-", f"cannot read file: {error}"))
    except (ValueError, TypeError) as error:
        # PyYAML's own constructors raise these for values such as 2027-02-30.
        problems.append(Problem(str(path), "-", "-", f"malformed YAML: {error}"))
    return None


class _Checker:
    """Collects problems for one file while reading typed fields out of mappings."""

    def __init__(self, path: Path, problems: list[Problem]) -> None:
        self.file = str(path)
        self.problems = problems

    def problem(self, question: str, name: str, reason: str) -> None:
        """Record a problem at (question, field)."""
        self.problems.append(Problem(self.file, question, name, reason))

    def mapping(self, value: Any, question: str, name: str) -> dict | None:
        """Return ``value`` if it is a mapping, else record a problem."""
        if isinstance(value, dict):
            return value
        self.problem(question, name, f"must be a mapping, not {type(value).__name__}")
        return None

    def unknown(self, data: dict, allowed: set[str], question: str, where: str) -> None:
        """Record every key of ``data`` that is not in ``allowed``."""
        for key in sorted(set(map(str, data)) - allowed):
            self.problem(question, key, f"unknown field in {where}")

    def text(
        self, data: dict, name: str, question: str, *, required: bool = True, limit: int = 0
    ) -> str:
        """Return a non-empty string field, at most ``limit`` characters if a limit is given.

        Text holding an invisible format character (:mod:`elicit.text`) is refused.
        """
        value = data.get(name)
        if value is None:
            if required:
                self.problem(question, name, "is required")
            return ""
        if not isinstance(value, str) or not value.strip():
            self.problem(question, name, "must be non-empty text")
            return ""
        if limit and len(value.strip()) > limit:
            self.problem(question, name, f"must be at most {limit} characters")
            return ""
        invisible = invisible_characters(value)
        if invisible:
            position, char = invisible[0]
            self.problem(
                question,
                name,
                f"holds an invisible format character, U+{ord(char):04X}, at character {position}",
            )
            return ""
        return value.strip()

    def slug(self, data: dict, name: str, question: str) -> str:
        """Return an identifier field: lower-case letters, digits and '-'."""
        value = data.get(name)
        if value is None:
            self.problem(question, name, "is required")
            return ""
        if not isinstance(value, str) or not SLUG.match(value):
            self.problem(
                question,
                name,
                f"{value!r} must be 3-80 lower-case letters, digits or '-', starting with a "
                "letter or digit",
            )
            return ""
        return value

    def day(self, data: dict, name: str, question: str) -> date | None:
        """Return an ISO date field."""
        value = data.get(name)
        if value is None:
            self.problem(question, name, "is required")
            return None
        if isinstance(value, date) and not isinstance(value, datetime):
            return value
        if isinstance(value, str):
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
        self.problem(question, name, f"{value!r} is not a date (YYYY-MM-DD)")
        return None

    def number(self, data: dict, name: str, question: str) -> float | None:
        """Return an optional finite number field."""
        value = data.get(name)
        if value is None:
            return None
        number = math.nan
        if isinstance(value, int | float) and not isinstance(value, bool):
            try:
                number = float(value)
            except OverflowError:
                number = math.inf
        if not math.isfinite(number):
            self.problem(question, name, f"{value!r} is not a finite number")
            return None
        return number

    def flag(self, data: dict, name: str, question: str) -> bool:
        """Return an optional true/false field (default false)."""
        value = data.get(name, False)
        if not isinstance(value, bool):
            self.problem(question, name, f"must be true or false, not {value!r}")
            return False
        return value


def load_sources(directory: Path) -> tuple[dict[str, SourceDocument], list[Problem]]:
    """Read every ``*.yaml`` citation in ``directory``; return them by key, with any problems."""
    problems: list[Problem] = []
    sources: dict[str, SourceDocument] = {}
    if not directory.is_dir():
        problems.append(Problem(str(directory), "-", "-", "no sources folder"))
        return sources, problems
    for path in sorted(directory.glob("*.yaml")):
        check = _Checker(path, problems)
        raw = _read_yaml(path, problems)
        data = check.mapping(raw, "-", "-") if raw is not None else None
        if data is None:
            continue
        check.unknown(data, SOURCE_FIELDS, "-", "a source")
        key = check.slug(data, "key", "-")
        values = {
            name: check.text(data, name, "-", limit=SOURCE_LIMITS.get(name, 0))
            for name in ("title", "author", "publisher", "url", "file", "sha256")
        }
        published = check.day(data, "published", "-")
        if values["sha256"] and not SHA256.match(values["sha256"]):
            check.problem("-", "sha256", "must be 64 lower-case hex digits")
        if key in sources:
            check.problem("-", "key", f"source {key!r} is defined twice")
        elif key and published is not None and all(values.values()):
            sources[key] = SourceDocument(key=key, published=published, **values)
    return sources, problems


def _probability_levels(check: _Checker, data: dict, qid: str) -> list[float]:
    """Return the quantile levels of a quantity question: strictly increasing, each in (0, 1)."""
    levels = data.get("quantiles", list(DEFAULT_QUANTILES))
    if not isinstance(levels, list) or len(levels) < 2:
        check.problem(qid, "quantiles", "must be a list of at least two probabilities")
        return []
    good = True
    for level in levels:
        if isinstance(level, bool) or not isinstance(level, int | float) or not 0 < level < 1:
            check.problem(
                qid, "quantiles", f"{level!r} is not a probability strictly between 0 and 1"
            )
            good = False
    if good and any(b <= a for a, b in zip(levels, levels[1:], strict=False)):
        check.problem(qid, "quantiles", f"{levels} must be strictly increasing")
        good = False
    return [float(level) for level in levels] if good else []


def states_number(text: str, value: float) -> bool:
    """Whether ``text`` writes ``value`` as a number of its own (``23``, ``696,410``, ``64.1``).

    Experts read a question's title, background and resolution criterion, so
    a calibration question's realization must not appear in them.
    """
    forms = {f"{value:g}", f"{value:,g}", f"{value:,.0f}" if value == int(value) else f"{value:g}"}
    return any(re.search(rf"(?<![\d.,]){re.escape(form)}(?![\d]|[.,]\d)", text) for form in forms)


def _question(
    check: _Checker, data: dict, *, set_id: str, section: str, sources: dict[str, SourceDocument]
) -> QuestionSpec | None:
    """Validate one question mapping; return it, or ``None`` if anything was wrong."""
    before = len(check.problems)
    given_id = data.get("id")
    qid: str = given_id if isinstance(given_id, str) else "-"
    qid = check.slug(data, "id", qid) or qid
    raw_kind = data.get("kind")
    kind: QuestionKind | None
    try:
        kind = QuestionKind(str(raw_kind))
    except ValueError:
        choices = ", ".join(k.value for k in QuestionKind)
        check.problem(qid, "kind", f"{raw_kind!r} is not one of {choices}")
        kind = None
    if kind is None:
        check.unknown(data, set().union(*KIND_FIELDS.values()), qid, "a question")
    else:
        check.unknown(data, KIND_FIELDS[kind], qid, f"a {kind.value} question")

    spec: dict[str, Any] = {
        "key": qid,
        "title": check.text(data, "title", qid),
        "background": check.text(data, "background", qid, required=False),
        "resolution_criterion": check.text(data, "resolution_criterion", qid),
        "resolution_source": check.text(data, "resolution_source", qid),
        "quote": check.text(data, "quote", qid),
        "calibration": check.flag(data, "calibration", qid),
    }
    close_date = check.day(data, "close_date", qid)
    resolve_by = check.day(data, "resolve_by", qid)
    if close_date and resolve_by and close_date > resolve_by:
        check.problem(
            qid, "close_date", f"must not be after resolve_by ({close_date} > {resolve_by})"
        )
    source = check.text(data, "source", qid)
    if source and source not in sources:
        check.problem(qid, "source", f"unknown source {source!r} (not in the sources folder)")
    tags = data.get("tags")
    if (
        not isinstance(tags, list)
        or not tags
        or not all(isinstance(tag, str) and tag.strip() for tag in tags)
    ):
        check.problem(qid, "tags", "must be a non-empty list of actor names")
        tags = []

    realization = check.number(data, "realization", qid)
    given = data.get("realization") is not None
    if given and not spec["calibration"]:
        check.problem(qid, "realization", "is only allowed on a calibration question")

    extra: dict[str, Any] = {}
    if kind in (QuestionKind.BINARY, QuestionKind.BINARY_INTERVAL):
        extra["allow_certainty"] = check.flag(data, "allow_certainty", qid)
        if realization is not None and realization not in (0.0, 1.0):
            check.problem(qid, "realization", f"{realization:g} must be 0 or 1 for a {kind.value}")
    elif kind is QuestionKind.QUANTITY:
        extra["unit"] = check.text(data, "unit", qid, limit=80)
        extra["quantiles"] = _probability_levels(check, data, qid)
        lower = extra["lower_bound"] = check.number(data, "lower_bound", qid)
        upper = extra["upper_bound"] = check.number(data, "upper_bound", qid)
        raw_scale = data.get("scale", Scale.LINEAR.value)
        try:
            extra["scale"] = scale = Scale(raw_scale)
        except ValueError:
            check.problem(qid, "scale", f"{raw_scale!r} is not linear or log")
            scale = None
        if lower is not None and upper is not None and lower >= upper:
            check.problem(qid, "lower_bound", f"{lower:g} must be below upper_bound {upper:g}")
        if scale is Scale.LOG and lower is not None and lower <= 0:
            check.problem(qid, "lower_bound", f"{lower:g} must be positive on a log scale")
        if realization is not None:
            if lower is not None and realization < lower:
                check.problem(qid, "realization", f"{realization:g} is below lower_bound {lower:g}")
            if upper is not None and realization > upper:
                check.problem(qid, "realization", f"{realization:g} is above upper_bound {upper:g}")
            if scale is Scale.LOG and realization <= 0:
                check.problem(
                    qid, "realization", f"{realization:g} must be positive on a log scale"
                )
            for name in ("title", "background", "resolution_criterion"):
                if states_number(spec[name] or "", realization):
                    check.problem(
                        qid, name, f"gives away the realization {realization:g} to experts"
                    )

    if len(check.problems) > before or kind is None or close_date is None or resolve_by is None:
        return None
    return QuestionSpec(
        kind=kind,
        close_date=close_date,
        resolve_by=resolve_by,
        source=source,
        tags=[tag.strip() for tag in tags],
        realization=realization,
        section=section,
        question_set=set_id,
        **spec,
        **extra,
    )


def _question_set(path: Path, sources: dict[str, SourceDocument], problems: list[Problem]):
    """Validate one set file; return a :class:`QuestionSet` (possibly partial) or ``None``."""
    check = _Checker(path, problems)
    raw = _read_yaml(path, problems)
    data = check.mapping(raw, "-", "-") if raw is not None else None
    if data is None:
        return None
    check.unknown(data, SET_FIELDS, "-", "a question set")
    result = QuestionSet(
        id=check.slug(data, "id", "-"),
        title=check.text(data, "title", "-"),
        description=check.text(data, "description", "-", required=False),
        path=path,
    )
    sections = data.get("sections")
    if not isinstance(sections, list) or not sections:
        check.problem("-", "sections", "must be a non-empty list")
        return result
    section_ids: set[str] = set()
    for number, raw_section in enumerate(sections, start=1):
        section = check.mapping(raw_section, "-", f"sections[{number}]")
        if section is None:
            continue
        check.unknown(section, SECTION_FIELDS, "-", f"section {number}")
        section_id = check.slug(section, "id", "-")
        if section_id in section_ids:
            check.problem("-", "sections", f"section id {section_id!r} is used twice")
        section_ids.add(section_id)
        title = check.text(section, "title", "-", limit=200)
        questions = section.get("questions")
        if not isinstance(questions, list) or not questions:
            check.problem("-", f"sections[{number}].questions", "must be a non-empty list")
            continue
        for raw_question in questions:
            question = check.mapping(raw_question, "-", f"sections[{number}].questions")
            if question is not None:
                spec = _question(check, question, set_id=result.id, section=title, sources=sources)
                if spec is not None:
                    result.questions.append(spec)
    return result


def _check_quotes(
    sets: list[QuestionSet],
    sources: dict[str, SourceDocument],
    texts_dir: Path,
    problems: list[Problem],
) -> None:
    """Check every quote against the copy of its document in ``texts_dir``.

    A copy whose SHA-256 differs from the recorded one is refused (reported once
    per source), as is a missing copy of a cited source.
    """
    texts: dict[str, str | None] = {}
    for key, source in sources.items():
        copy = texts_dir / source.file
        if not copy.is_file():
            texts[key] = None
            continue
        actual = sha256_of(copy)
        if actual != source.sha256:
            problems.append(
                Problem(
                    str(copy),
                    "-",
                    "sha256",
                    f"copy of {key!r} has SHA-256 {actual}, expected {source.sha256}; refusing it",
                )
            )
            texts[key] = None
            continue
        texts[key] = normalise_text(copy.read_text(encoding="utf-8"))
    for question_set in sets:
        for question in question_set.questions:
            text = texts.get(question.source)
            if text is None:
                if (texts_dir / sources[question.source].file).is_file():
                    continue
                problems.append(
                    Problem(
                        str(question_set.path),
                        question.key,
                        "source",
                        f"no copy of {question.source!r} ({sources[question.source].file}) "
                        f"in {texts_dir}",
                    )
                )
            elif normalise_text(question.quote) not in text:
                problems.append(
                    Problem(
                        str(question_set.path),
                        question.key,
                        "quote",
                        f"not found verbatim in {question.source!r}",
                    )
                )


def set_files(path: Path) -> list[Path]:
    """Return the set files at ``path``: the file itself, or each ``*.yaml`` in a folder."""
    if path.is_dir():
        return sorted(path.glob("*.yaml"))
    return [path]


def load(
    path: Path, *, sources_dir: Path | None = None, texts_dir: Path | None = None
) -> tuple[list[QuestionSet], dict[str, SourceDocument]]:
    """Read and validate the question sets at ``path`` (a file or a folder of files).

    Parameters
    ----------
    path
        A set file, or a folder whose ``*.yaml`` files are all sets.
    sources_dir
        The folder of source citations; default ``sources/`` beside the set files.
    texts_dir
        If given, a folder with plain-text copies of the sources, against which
        every quote is checked.

    Returns
    -------
    The sets and the sources they may cite.

    Raises
    ------
    QuestionSetError
        Listing every problem found; nothing is returned in part.
    """
    problems: list[Problem] = []
    files = set_files(path)
    if not path.exists():
        raise QuestionSetError([Problem(str(path), "-", "-", "no such file or folder")])
    if not files:
        raise QuestionSetError([Problem(str(path), "-", "-", "no *.yaml question sets here")])
    folder = path if path.is_dir() else path.parent
    sources, source_problems = load_sources(sources_dir or folder / "sources")
    problems.extend(source_problems)
    sets = [s for s in (_question_set(f, sources, problems) for f in files) if s is not None]

    seen_sets: dict[str, Path] = {}
    seen_questions: dict[str, Path] = {}
    for question_set in sets:
        if question_set.id and question_set.id in seen_sets:
            problems.append(
                Problem(
                    str(question_set.path),
                    "-",
                    "id",
                    f"set id {question_set.id!r} is also used by {seen_sets[question_set.id]}",
                )
            )
        seen_sets.setdefault(question_set.id, question_set.path)
        for question in question_set.questions:
            if question.key in seen_questions:
                problems.append(
                    Problem(
                        str(question_set.path),
                        question.key,
                        "id",
                        f"duplicate question id (also in {seen_questions[question.key]})",
                    )
                )
            seen_questions.setdefault(question.key, question_set.path)
    if texts_dir is not None:
        _check_quotes(sets, sources, texts_dir, problems)
    if problems:
        raise QuestionSetError(problems)
    return sets, sources


def load_upload(
    data: bytes, name: str, *, sources_dir: Path
) -> tuple[list[QuestionSet], dict[str, SourceDocument]]:
    """Validate one question-set file sent from a browser, as :func:`load` validates a file.

    Parameters
    ----------
    data
        The file's bytes: at most :data:`UPLOAD_LIMIT`, UTF-8 text.
    name
        The file's name as the facilitator knows it; every problem names it.
    sources_dir
        The catalogue of sources the set may cite (the bundled ``question_sets/sources``).

    Raises
    ------
    QuestionSetError
        Listing every problem found, each under ``name``.
    """
    shown = Path(name).name or "upload.yaml"
    if len(data) > UPLOAD_LIMIT:
        reason = f"the file has {len(data)} bytes; at most {UPLOAD_LIMIT} are accepted"
        raise QuestionSetError([Problem(shown, "-", "-", reason)])
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as error:
        reason = f"not UTF-8 text (byte {error.start + 1} cannot be read)"
        raise QuestionSetError([Problem(shown, "-", "-", reason)]) from error
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "upload.yaml"
        path.write_bytes(data)
        try:
            sets, sources = load(path, sources_dir=sources_dir)
        except QuestionSetError as error:
            raise QuestionSetError(
                [
                    Problem(shown if p.file == str(path) else p.file, p.question, p.field, p.reason)
                    for p in error.problems
                ]
            ) from None
    for question_set in sets:
        question_set.path = Path(shown)
    return sets, sources
