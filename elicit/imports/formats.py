"""The layouts an existing study can come in, each read into a :class:`Dataset`.

- :func:`read_long`: the long CSV of the offline commands
  (:mod:`elicit.analysis.longform`), with optional ``time`` and ``rationale``
  columns, and optionally an outcomes CSV (``question_id,outcome``);
- :func:`read_excalibur`: EXCALIBUR ``.dtt``/``.rls`` files; seed items become
  calibration questions with their realization, target items quantity
  questions without one;
- :func:`read_replicats`: the repliCATS pilot's ``data_ratings.csv`` (three
  points in percent, two rounds), ``data_justifications.csv`` (rationales,
  with the votes on them) and
  ``data_outcomes.csv`` (whether each claim replicated).

Every reader names each bad line it finds and goes on reading, so that one
report lists them all. Fields the files do not hold are filled honestly: the
question's resolution criterion and quote say that the data are as published,
and no outcome the files do not give is ever made up.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np

from elicit.imports.dataset import (
    NOT_RECORDED,
    Citation,
    Dataset,
    JudgmentSpec,
    QuestionSpec,
    question_key,
    sha256,
)
from elicit.studies.models import Outcome, QuestionKind, Scale

LAYOUTS = ("long", "excalibur", "replicats")
"""The names ``elicit import`` takes for the layouts."""


def read_files(layout: str, files: dict[str, Path], *, percent: bool = False) -> Dataset:
    """Read ``files``, by their roles in :data:`elicit.imports.FILES`, as ``layout``.

    The upload page's entry: each file is named by its role, not found by its
    name or beside another. ``percent`` applies to the long CSV only.
    """
    if layout == "long":
        return read_long(files["judgments"], files.get("outcomes"), percent=percent)
    if layout == "excalibur":
        return read_excalibur(files["dtt"], files["rls"])
    return read_replicats(files["ratings"], files.get("justifications"), files.get("outcomes"))


def imported_citation(layout: str, *paths: Path) -> Citation:
    """Cite files whose origin they do not state, by their names and SHA-256.

    Its date is the day of the import, and its title says so.
    """
    digest = sha256(*paths)
    today = date.today()
    names = ", ".join(p.name for p in paths)
    return Citation(
        key=f"import-{digest[:16]}",
        title=f"{names} ({layout} data, imported on {today.isoformat()})",
        author=NOT_RECORDED,
        publisher=NOT_RECORDED,
        published=today,
        url="",
        sha256=digest,
    )


# The long CSV ###################################################################################


def read_long(judgments: Path, outcomes: Path | None = None, *, percent: bool = False) -> Dataset:
    """Read a long CSV of judgments (and an outcomes CSV) as a study.

    A question's kind follows its elements: ``p`` a binary question, ``lower``,
    ``best`` and ``upper`` a three-point one, quantiles a quantity (on a linear
    scale: the file does not say) asking for every level its rows give.
    """
    from elicit.analysis import longform

    files = [judgments] + ([outcomes] if outcomes else [])
    dataset = Dataset(
        layout="long CSV",
        files=files,
        title=judgments.stem,
        description=f"Imported from {', '.join(p.name for p in files)}.",
        question_set=question_key(judgments.stem, "import"),
        citation=imported_citation("long CSV", *files),
    )
    try:
        table = longform.read_judgments(judgments, percent=percent)
    except longform.FormatError as error:
        dataset.problems.extend(error.report())
        if outcomes is not None:
            _outcome_problems(dataset, outcomes, _column(judgments, "question_id"))
        return dataset
    keys = _keys(dataset, table.questions, judgments)
    extra = _extra_columns(judgments, ("rationale", "time"))
    lines = _Lines(judgments)
    grouped: dict[tuple[int, int, int], list[int]] = defaultdict(list)
    for row, key in enumerate(zip(table.question, table.expert, table.round, strict=True)):
        grouped[int(key[0]), int(key[1]), int(key[2])].append(row)
    kinds = _kinds(dataset, table, grouped, lines)
    quantile = table.kind == longform.QUANTILE
    levels = {
        q: sorted(set(table.level[quantile & (table.question == q)].tolist()))
        for q, kind in kinds.items()
        if kind is QuestionKind.QUANTITY
    }
    times = _times(dataset, extra.get("time"))
    three = (longform.LOWER, longform.BEST, longform.UPPER)
    for (q, e, r), rows in grouped.items():
        kind = kinds.get(q)
        if kind is None:
            continue
        spec = JudgmentSpec(keys[q], table.experts[e], r, lines.where(rows[0]))
        elements = {int(table.kind[i]): float(table.value[i]) for i in rows}
        if kind is QuestionKind.QUANTITY:
            given = {float(table.level[i]): float(table.value[i]) for i in rows}
            if sorted(given) != levels[q]:
                wanted = ", ".join(_percentile(v) for v in levels[q])
                found = ", ".join(_percentile(v) for v in sorted(given))
                dataset.problems.append(
                    f"{spec.where}: gives {found} where question {table.questions[q]!r} "
                    f"asks for {wanted}"
                )
                continue
            spec.quantile_values = [given[level] for level in levels[q]]
        elif kind is QuestionKind.BINARY:
            spec.probability = elements[longform.P]
        else:
            missing = [
                name
                for name, element in zip(longform.THREE_POINT, three, strict=True)
                if element not in elements
            ]
            if missing:
                dataset.problems.append(f"{spec.where}: no {' or '.join(missing)}")
                continue
            spec.lower = elements[longform.LOWER]
            spec.probability = elements[longform.BEST]
            spec.upper = elements[longform.UPPER]
        spec.rationale = _one_text(dataset, extra.get("rationale"), rows, lines)
        if times is not None:
            spec.time = max(times[i] for i in rows)
        dataset.judgments.append(spec)
    dataset.experts = {expert: "" for expert in table.experts}
    dataset.questions = [
        QuestionSpec(
            key=keys[q],
            title=table.questions[q],
            kind=kind,
            section="Imported",
            resolution_criterion=(
                f"As recorded in {outcomes.name}" if outcomes else "No outcome was imported"
            ),
            quantiles=levels.get(q),
            scale=Scale.LINEAR if kind is QuestionKind.QUANTITY else None,
            unit="" if kind is QuestionKind.QUANTITY else None,
            allow_certainty=kind is not QuestionKind.QUANTITY,
        )
        for q, kind in sorted(kinds.items())
    ]
    if outcomes is not None:
        _long_outcomes(dataset, outcomes, table.questions, keys)
    return dataset


def _column(path: Path, name: str) -> list[str]:
    """Return one column of a CSV file as text (empty if the file or column cannot be read)."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            return [(row.get(name) or "").strip() for row in csv.DictReader(handle)]
    except (OSError, UnicodeDecodeError, csv.Error):
        return []


def _extra_columns(path: Path, names: tuple[str, ...]) -> dict[str, list[str]]:
    """Return the columns of ``names`` the file has, as text, in row order."""
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        header = [name.strip() for name in next(reader)]
        at = {name: header.index(name) for name in names if name in header}
        columns: dict[str, list[str]] = {name: [] for name in at}
        for row in reader:
            if row:
                for name, index in at.items():
                    columns[name].append(row[index])
    return columns


class _Lines:
    """The line each row of a long CSV starts on, found only for the rows a report names."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._line: np.ndarray | None = None

    def where(self, row: int) -> str:
        """Return ``FILE:LINE`` of data row ``row`` (0 is the row after the header)."""
        if self._line is None:
            from elicit.analysis.csvfile import open_csv

            with self.path.open(newline="", encoding="utf-8-sig") as handle:
                count = sum(1 for record in csv.reader(handle) if record) - 1
            source = open_csv(self.path, ())
            self._line = source.lines(np.arange(2, count + 2))
        return f"{self.path}:{int(self._line[row])}"


def _keys(dataset: Dataset, ids: list[str], path: Path) -> list[str]:
    """Return each id's question key; two ids with one key are a problem."""
    keys = [question_key(i) for i in ids]
    first: dict[str, str] = {}
    for source_id, key in zip(ids, keys, strict=True):
        if first.setdefault(key, source_id) != source_id:
            dataset.problems.append(
                f"{path}: question ids {first[key]!r} and {source_id!r} both become key "
                f"{key!r}; rename one"
            )
    return keys


def _kinds(dataset, table, grouped, lines) -> dict[int, QuestionKind]:  # noqa: ANN001
    """Return each question's kind from its elements; a question that mixes kinds is a problem."""
    from elicit.analysis import longform

    kind_of = {longform.P: QuestionKind.BINARY, longform.QUANTILE: QuestionKind.QUANTITY}
    first: dict[int, tuple[QuestionKind, int]] = {}
    bad: set[int] = set()
    for row in range(table.question.size):
        kind = kind_of.get(int(table.kind[row]), QuestionKind.BINARY_INTERVAL)
        q = int(table.question[row])
        seen = first.setdefault(q, (kind, row))
        if seen[0] is not kind:
            bad.add(q)
            dataset.problems.append(
                f"{lines.where(row)}: question {table.questions[q]!r} is answered as "
                f"{seen[0].value} on {lines.where(seen[1])} but as {kind.value} here"
            )
    return {q: kind for q, (kind, _) in first.items() if q not in bad}


def _times(dataset: Dataset, column: list[str] | None) -> list[datetime] | None:
    """Return the ``time`` column as UTC times, or None if it is absent or holds numbers.

    The long CSV reader has already refused a bad time; a column of numbers
    (any increasing clock) orders the rows but is no time of day, so it is not kept.
    """
    if column is None:
        return None
    try:
        return [_utc(datetime.fromisoformat(text.strip())) for text in column]
    except ValueError:
        dataset.notes.append("the time column holds numbers, not dates; the times were not kept")
        return None


def _utc(moment: datetime) -> datetime:
    """Read a time without a zone offset as UTC, as the long CSV reader does."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _one_text(dataset, column, rows, lines) -> str:  # noqa: ANN001
    """Return a judgment's rationale: the one text its rows give (rows may repeat it)."""
    if column is None:
        return ""
    texts = {column[i].strip() for i in rows} - {""}
    if len(texts) > 1:
        dataset.problems.append(
            f"{lines.where(rows[0])}: the rows of this judgment give different rationales"
        )
        return ""
    return texts.pop() if texts else ""


def _percentile(level: float) -> str:
    """Write a quantile level as its element (0.05 is ``q05``)."""
    percent = round(level * 100, 6)
    return f"q{percent:02g}" if percent >= 10 else f"q0{percent:g}"


def _outcome_problems(dataset: Dataset, path: Path, questions: list[str]) -> None:
    """Check an outcomes file against the question ids ``questions``; add its problems."""
    from elicit.analysis import longform

    try:
        longform.read_outcomes(path, sorted(set(questions) - {""}))
    except longform.FormatError as error:
        dataset.problems.extend(error.report())


def _long_outcomes(dataset: Dataset, path: Path, ids: list[str], keys: list[str]) -> None:
    """Read the outcomes CSV into the questions' resolutions (binary: 1 or 0 only)."""
    from elicit.analysis import longform

    try:
        outcomes = longform.read_outcomes(path, ids)
    except longform.FormatError as error:
        dataset.problems.extend(error.report())
        return
    by_key = {q.key: q for q in dataset.questions}
    line_of = {qid: n for n, qid in enumerate(_column(path, "question_id"), start=2)}
    for index, (value, annulled) in enumerate(zip(outcomes.value, outcomes.annulled, strict=True)):
        question = by_key.get(keys[index])
        if question is None:
            continue
        if annulled:
            question.outcome = Outcome.ANNULLED
        elif np.isnan(value):
            continue
        elif question.kind is QuestionKind.QUANTITY:
            question.value = float(value)
        elif value in (0.0, 1.0):
            question.outcome = Outcome.YES if value == 1.0 else Outcome.NO
        else:
            dataset.problems.append(
                f"{path}:{line_of.get(ids[index], '?')}: question {ids[index]!r} is binary; "
                "its outcome is yes, no (1, 0) or annulled"
            )


# EXCALIBUR ######################################################################################


def read_excalibur(dtt: Path, rls: Path | None = None) -> Dataset:
    """Read an EXCALIBUR study: one round of quantile judgments, seeds with their realizations."""
    from elicit.analysis import excalibur_files
    from elicit.analysis.csvfile import FormatError

    if rls is None:
        beside = (dtt.with_suffix(".rls"), dtt.with_suffix(".RLS"))
        rls = next((p for p in beside if p.exists()), None)
    files = [dtt] + ([rls] if rls else [])
    dataset = Dataset(
        layout="EXCALIBUR",
        files=files,
        title=dtt.stem,
        description=f"Imported from the EXCALIBUR files {', '.join(p.name for p in files)}.",
        question_set=question_key(dtt.stem, "excalibur"),
        citation=imported_citation("EXCALIBUR", *files),
    )
    if rls is None:
        dataset.problems.append(f"{dtt}: no realizations file; give STUDY.rls or put it beside")
        return dataset
    try:
        study = excalibur_files.read_study(dtt, rls)
    except FormatError as error:
        dataset.problems.extend(error.report())
        return dataset
    keys = _keys(dataset, list(study.item_ids), dtt)
    levels = [float(level) for level in study.quantiles]
    for i, item in enumerate(study.item_ids):
        realization = float(study.realizations[i])
        seed = not np.isnan(realization)
        dataset.questions.append(
            QuestionSpec(
                key=keys[i],
                title=study.questions[i] or f"Item {item}",
                kind=QuestionKind.QUANTITY,
                section="Seed items" if seed else "Target items",
                background=f"EXCALIBUR item {item!r}.",
                resolution_criterion=(
                    f"The realization recorded in {rls.name}"
                    if seed
                    else f"None: {rls.name} records no realization (a target item)"
                ),
                calibration=seed,
                realization=realization if seed else None,
                quantiles=levels,
                scale=Scale.LOG if study.log_scale[i] else Scale.LINEAR,
                unit="",
            )
        )
    dataset.experts = {expert: "" for expert in study.expert_ids}
    for e, expert in enumerate(study.expert_ids):
        for i in range(len(study.item_ids)):
            values = study.answers[e, i]
            if np.isnan(values).all():
                continue
            dataset.judgments.append(
                JudgmentSpec(
                    keys[i],
                    expert,
                    1,
                    f"{dtt}: expert {expert!r}, item {study.item_ids[i]!r}",
                    quantile_values=[float(v) for v in values],
                )
            )
    return dataset


# repliCATS ######################################################################################

REPLICATS_FILES = ("data_ratings.csv", "data_justifications.csv", "data_outcomes.csv")
THREE_POINT = {
    "three_point_lower": "lower",
    "three_point_best": "best",
    "three_point_upper": "upper",
}
RATIONALE_PARTS = {
    "direct_replication": "",
    "comprehension": "On comprehension: ",
    "flushing_freetext": "Other remarks: ",
}
"""The justifications kept as a judgment's rationale, in this order, each after its label."""


def replicats_files(paths: list[Path]) -> tuple[Path | None, Path | None, Path | None]:
    """Find the ratings, justifications and outcomes files among ``paths`` (files or folders)."""
    found: dict[str, Path] = {}
    for path in paths:
        candidates = [path / name for name in REPLICATS_FILES] if path.is_dir() else [path]
        for candidate in candidates:
            for name in REPLICATS_FILES:
                if candidate.name == name and candidate.exists():
                    found[name] = candidate
    ratings, justifications, outcomes = (found.get(name) for name in REPLICATS_FILES)
    return ratings, justifications, outcomes


def read_replicats(
    ratings: Path, justifications: Path | None = None, outcomes: Path | None = None
) -> Dataset:
    """Read the repliCATS pilot layout: a binary three-point question per claim, two rounds.

    Only the three-point ratings (``three_point_lower/best/upper``, percent)
    are judgments; the binary and Likert items of ``data_ratings.csv`` are
    counted in the notes and not kept. A judgment's rationale joins the
    expert's justifications of that claim and round (:data:`RATIONALE_PARTS`).
    """
    files = [p for p in (ratings, justifications, outcomes) if p is not None]
    dataset = Dataset(
        layout="repliCATS",
        files=files,
        title="repliCATS claims",
        description=(
            "Experts judged the probability that published research claims replicate, "
            "in two rounds of the IDEA protocol (three points: lowest, best and highest "
            "plausible probability)."
        ),
        question_set="replicats",
        citation=imported_citation("repliCATS", *files),
    )
    rows = _csv_rows(dataset, ratings, ("round", "paper_id", "user_name", "element", "value"))
    points: dict[tuple[str, str, int], dict[str, float]] = defaultdict(dict)
    where: dict[tuple[str, str, int], str] = {}
    skipped: dict[str, int] = defaultdict(int)
    for line, row in rows:
        element = row["element"].strip()
        if element not in THREE_POINT:
            skipped[element or "(empty)"] += 1
            continue
        here = f"{ratings}:{line}"
        round_ = _round(row["round"])
        paper, user = row["paper_id"].strip(), row["user_name"].strip()
        text = row["value"].strip()
        try:
            value = float(text)
        except ValueError:
            value = float("nan")
        if round_ is None:
            dataset.problems.append(f"{here}: round {row['round']!r} is not round_1, round_2, ...")
        elif not paper or not user:
            dataset.problems.append(f"{here}: paper_id or user_name is empty")
        elif not np.isfinite(value):
            dataset.problems.append(f"{here}: value {text!r} is not a number")
        elif not 0 <= value <= 100:
            dataset.problems.append(f"{here}: value {text} is outside 0 to 100 (percent)")
        elif THREE_POINT[element] in points[paper, user, round_]:
            dataset.problems.append(f"{here}: {element} appears again for this claim and round")
        else:
            points[paper, user, round_][THREE_POINT[element]] = value
            where.setdefault((paper, user, round_), here)
            if row.get("group", "").strip():
                dataset.experts.setdefault(user, row["group"].strip())
            dataset.experts.setdefault(user, "")
    if skipped:
        dataset.notes.append(
            "rows of other elements not kept (a study holds one answer per claim): "
            + ", ".join(f"{name} {count}" for name, count in sorted(skipped.items()))
        )
    papers = sorted({paper for paper, _, _ in points}, key=_paper_order)
    keys = dict(zip(papers, _keys(dataset, [f"claim-{p}" for p in papers], ratings), strict=True))
    certain: set[str] = set()
    for (paper, user, round_), given in sorted(points.items(), key=lambda kv: where[kv[0]]):
        missing = [name for name in ("lower", "best", "upper") if name not in given]
        if missing:
            dataset.problems.append(f"{where[paper, user, round_]}: no three_point_{missing[0]}")
            continue
        if given["lower"] in (0, 100) or given["upper"] in (0, 100) or given["best"] in (0, 100):
            certain.add(paper)
        dataset.judgments.append(
            JudgmentSpec(
                keys[paper],
                user,
                round_,
                where[paper, user, round_],
                lower=given["lower"] / 100,
                probability=given["best"] / 100,
                upper=given["upper"] / 100,
            )
        )
    dataset.questions = [
        QuestionSpec(
            key=keys[paper],
            title=f"Claim {paper}: will a direct replication of the published claim succeed?",
            kind=QuestionKind.BINARY_INTERVAL,
            section="Published claims",
            background=(
                f"repliCATS claim {paper} (paper_id). The claim's text is not part of the "
                "published data."
            ),
            resolution_criterion=(
                "Whether the claim replicated, as the repliCATS data record it (data_outcomes.csv)"
            ),
            allow_certainty=paper in certain,
        )
        for paper in papers
    ]
    if justifications is not None:
        _justifications(dataset, justifications, keys, points)
    if outcomes is not None:
        _replicats_outcomes(dataset, outcomes, keys)
    return dataset


def _csv_rows(dataset: Dataset, path: Path, required: tuple[str, ...]) -> list[tuple[int, dict]]:
    """Return ``(line, row)`` for each record of a CSV; a missing column is a problem."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            header = [name.strip() for name in reader.fieldnames or []]
            missing = [name for name in required if name not in header]
            if missing:
                dataset.problems.append(f"{path}:1: missing column(s) {', '.join(missing)}")
                return []
            reader.fieldnames = header
            rows = []
            start = reader.line_num + 1
            for row in reader:
                if None in row or any(value is None for value in row.values()):
                    dataset.problems.append(f"{path}:{start}: not as many fields as the header")
                else:
                    rows.append((start, row))
                start = reader.line_num + 1
            return rows
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        dataset.problems.append(f"{path}: cannot be read as UTF-8 CSV ({error})")
        return []


def _round(text: str) -> int | None:
    """Return the number of ``round_N`` (N a positive whole number), or None."""
    number = text.strip().removeprefix("round_")
    return int(number) if number.isdigit() and int(number) >= 1 else None


def _paper_order(paper: str) -> tuple[int, str]:
    """Order paper ids as numbers where they are numbers."""
    return (int(paper), "") if paper.isdigit() else (1 << 62, paper)


def _justifications(dataset, path, keys, points) -> None:  # noqa: ANN001
    """Join each judgment's justifications into its rationale, with the votes on each part.

    ``vote_count`` and ``vote_sum`` (optional columns) are kept for the parts
    kept as the rationale (:data:`RATIONALE_PARTS`) that have a text and at
    least one vote; votes on other parts are counted in a note.
    """
    rows = _csv_rows(dataset, path, ("round", "paper_id", "user_name", "question", "justification"))
    parts: dict[tuple[str, str, int], dict[str, str]] = defaultdict(dict)
    votes: dict[tuple[str, str, int], list[dict]] = defaultdict(list)
    dropped = 0
    for line, row in rows:
        text = row["justification"].strip()
        part = row["question"].strip()
        here = f"{path}:{line}"
        round_ = _round(row["round"])
        paper, user = row["paper_id"].strip(), row["user_name"].strip()
        vote = _vote(dataset, here, row)
        if round_ is None:
            dataset.problems.append(f"{here}: round {row['round']!r} is not round_1, round_2, ...")
        elif user not in dataset.experts:
            dataset.problems.append(f"{here}: expert {user!r} has no ratings")
        elif paper not in keys:
            dataset.problems.append(f"{here}: claim {paper!r} has no ratings")
        elif (paper, user, round_) not in points:
            dataset.problems.append(
                f"{here}: expert {user!r} has no three-point rating of claim {paper!r} in "
                f"round {round_}"
            )
        elif text and part in RATIONALE_PARTS:
            if part in parts[paper, user, round_]:
                dataset.problems.append(f"{here}: {part} appears again for this claim and round")
                continue
            parts[paper, user, round_][part] = text
            if vote is not None:
                votes[paper, user, round_].append({"part": part, **vote})
        elif vote is not None:
            dropped += 1
    by_key = {key: paper for paper, key in keys.items()}
    for judgment in dataset.judgments:
        found = (by_key[judgment.question], judgment.expert, judgment.round)
        given = parts.get(found, {})
        judgment.rationale = "\n\n".join(
            label + given[name] for name, label in RATIONALE_PARTS.items() if name in given
        )
        judgment.votes = sorted(
            votes.get(found, []), key=lambda v: list(RATIONALE_PARTS).index(v["part"])
        )
    if dropped:
        dataset.notes.append(
            f"{dropped} vote(s) on justifications not kept as rationales (other questions, or "
            "no text) were not imported"
        )


def _vote(dataset: Dataset, here: str, row: dict) -> dict | None:
    """Return a justification's votes as ``{"count", "sum"}``, or None if it has none.

    ``vote_count`` must be a whole number of at least 0 and ``vote_sum`` a
    number within ``-count`` and ``count``; an empty or absent cell is 0.
    """
    texts = [(row.get(name) or "").strip() or "0" for name in ("vote_count", "vote_sum")]
    try:
        count, total = (float(text) for text in texts)
    except ValueError:
        dataset.problems.append(
            f"{here}: vote_count {texts[0]!r} or vote_sum {texts[1]!r} is not a number"
        )
        return None
    if not (np.isfinite(count) and np.isfinite(total)) or count < 0 or not count.is_integer():
        dataset.problems.append(f"{here}: vote_count {texts[0]!r} is not a whole number of votes")
        return None
    if abs(total) > count:
        dataset.problems.append(
            f"{here}: vote_sum {texts[1]} is beyond what {int(count)} vote(s) can add up to"
        )
        return None
    if count == 0:
        return None
    return {"count": int(count), "sum": int(total) if total.is_integer() else total}


def _replicats_outcomes(dataset: Dataset, path: Path, keys: dict[str, str]) -> None:
    """Resolve each claim whose ``outcome`` is 1 (replicated: yes) or 0 (no)."""
    by_key = {q.key: q for q in dataset.questions}
    seen: set[str] = set()
    for line, row in _csv_rows(dataset, path, ("paper_id", "outcome")):
        here = f"{path}:{line}"
        paper, text = row["paper_id"].strip(), row["outcome"].strip()
        if paper not in keys:
            dataset.problems.append(f"{here}: claim {paper!r} has no ratings")
        elif paper in seen:
            dataset.problems.append(f"{here}: claim {paper!r} appears again")
        elif text not in ("1", "0", "1.0", "0.0"):
            dataset.problems.append(f"{here}: outcome {text!r} is not 1 (replicated) or 0")
        else:
            seen.add(paper)
            by_key[keys[paper]].outcome = Outcome.YES if float(text) else Outcome.NO
