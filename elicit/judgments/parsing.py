"""Reading what an expert typed: raw text in, an :class:`Answer` or per-field messages out.

Experts type probabilities in percent and quantities in the question's unit,
into plain text boxes (a browser's number box silently empties a value it
cannot read, and nothing typed may be lost). This module only parses; the
rules an answer must meet live in :func:`elicit.judgments.rules.check_answer`.

The raw form of one question's answer is a dict of strings::

    {"probability": "35", "lower": "", "upper": "", "quantile_values": ["", "", ""],
     "confidence": "4", "rationale": "..."}
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Mapping
from typing import Any

from flask_babel import gettext, ngettext

from elicit import formatting
from elicit.judgments.rules import RATIONALE_MAX, Answer, rationale_too_long
from elicit.studies.models import Question, QuestionKind
from elicit.text import invisible_character_message

PROBABILITY_FIELDS = ("lower", "probability", "upper")
FIELD_MAX = 40
"""Longest text accepted as a number (a number never needs more)."""
DRAFT_FIELD_MAX = 200
DRAFT_RATIONALE_MAX = 2 * RATIONALE_MAX
"""Longest texts kept in a draft (longer rationales are kept so they can be shortened)."""

_SPACED_THOUSANDS = re.compile(r"[+-]?\d{1,3}( \d{3})+([.,]\d+)?")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)(e[+-]?\d+)?")


def empty_raw(question: Question) -> dict[str, Any]:
    """Return the raw form of an unanswered ``question``."""
    return {
        "probability": "",
        "lower": "",
        "upper": "",
        "quantile_values": [""] * len(question.quantiles or []),
        "confidence": "",
        "rationale": "",
    }


def raw_from_form(question: Question, form: Mapping[str, str], prefix: str) -> dict[str, Any]:
    """Collect ``question``'s inputs from a submitted form whose fields start with ``prefix``."""
    raw = empty_raw(question)
    for name in (*PROBABILITY_FIELDS, "confidence", "rationale"):
        raw[name] = form.get(f"{prefix}-{name}", "")
    raw["quantile_values"] = [
        form.get(f"{prefix}-q{i}", "") for i in range(len(raw["quantile_values"]))
    ]
    return raw


def check_storable(raw: Mapping[str, Any]) -> None:
    """Refuse raw text that cannot be kept as a draft: too long, a NUL, or not valid Unicode.

    Number boxes may hold up to ``DRAFT_FIELD_MAX`` characters and the
    rationale up to ``DRAFT_RATIONALE_MAX``, generous limits that still keep
    one expert from filling the database. A page's own boxes never send that
    much, so the messages (in the request's language) say what is wrong
    rather than which box.

    Raises
    ------
    ValueError
        Saying what is wrong, in a sentence.
    """
    texts = [(name, raw.get(name, "")) for name in (*PROBABILITY_FIELDS, "confidence")]
    texts += [("quantile_values", text) for text in raw.get("quantile_values", [])]
    for name, text in [*texts, ("rationale", raw.get("rationale", ""))]:
        if name == "rationale" and len(text) > DRAFT_RATIONALE_MAX:
            raise ValueError(
                ngettext(
                    "The rationale is longer than %(limit)s character.",
                    "The rationale is longer than %(limit)s characters.",
                    DRAFT_RATIONALE_MAX,
                    limit=formatting.integer(DRAFT_RATIONALE_MAX),
                )
            )
        if name != "rationale" and len(text) > DRAFT_FIELD_MAX:
            raise ValueError(
                ngettext(
                    "A box for a number holds more than %(limit)s character.",
                    "A box for a number holds more than %(limit)s characters.",
                    DRAFT_FIELD_MAX,
                    limit=formatting.integer(DRAFT_FIELD_MAX),
                )
            )
        if "\x00" in text:
            raise ValueError(gettext("The answer contains a NUL character, which is never valid."))
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError(
                gettext("The answer contains characters that are not valid Unicode.")
            ) from None


def raw_from_json(question: Question, data: Any) -> dict[str, Any]:
    """Read ``question``'s raw answer from a JSON object, refusing anything but strings.

    A wrong shape is a fault of the program that sent the JSON (the answer
    page's script never sends one), so those messages are for its developer
    and stay English; what :func:`check_storable` refuses is said in the
    request's language.

    Field names the answer form does not have are ignored (a newer or older
    page may send one), so only the known fields are ever read or stored.

    Raises
    ------
    ValueError
        If ``data`` is not an object of strings (and a list of strings for
        quantiles), or cannot be kept (see :func:`check_storable`).
    """
    if not isinstance(data, dict):
        raise ValueError("each answer must be an object of fields")
    raw = empty_raw(question)
    for name, value in data.items():
        if name not in raw:
            continue
        if name == "quantile_values":
            if not isinstance(value, list) or len(value) != len(raw[name]):
                raise ValueError(f"quantile_values must be a list of {len(raw[name])} strings")
            if not all(isinstance(v, str) for v in value):
                raise ValueError("quantile_values must be strings")
        elif not isinstance(value, str):
            raise ValueError(f"{name} must be a string")
        raw[name] = value
    check_storable(raw)
    return raw


def is_blank(raw: Mapping[str, Any]) -> bool:
    """Whether nothing at all was typed for the question (no value, confidence or rationale)."""
    texts = [raw.get(name, "") for name in (*PROBABILITY_FIELDS, "confidence", "rationale")]
    return not any(t.strip() for t in [*texts, *raw.get("quantile_values", [])])


def has_values(question: Question, raw: Mapping[str, Any]) -> bool:
    """Whether every number the question asks for has been typed (valid or not)."""
    if question.kind is QuestionKind.BINARY:
        needed = [raw.get("probability", "")]
    elif question.kind is QuestionKind.BINARY_INTERVAL:
        needed = [raw.get(name, "") for name in PROBABILITY_FIELDS]
    else:
        needed = list(raw.get("quantile_values", []))
    return bool(needed) and all(text.strip() for text in needed)


def parse_number(text: str) -> float | None:
    """Read a number typed by a person; ``None`` if it is not one.

    A trailing ``%``, spaces between groups of three digits (``1 500``) and
    a single decimal comma (``12,5``) are accepted; comma thousands
    separators are not, so ``1,500`` (which could mean either) is refused
    rather than guessed.
    """
    cleaned = text.strip().removesuffix("%").strip().replace("\u00a0", " ")
    if " " in cleaned:
        if not _SPACED_THOUSANDS.fullmatch(cleaned):
            return None
        cleaned = cleaned.replace(" ", "")
    if cleaned.count(",") == 1 and "." not in cleaned:
        whole, decimals = cleaned.split(",")
        if len(decimals) == 3:
            return None
        cleaned = f"{whole}.{decimals}"
    if not _NUMBER.fullmatch(cleaned.lower()):
        return None
    value = float(cleaned)
    return value if math.isfinite(value) else None


def parse(question: Question, raw: Mapping[str, Any]) -> tuple[Answer | None, dict[str, str]]:
    """Turn ``raw`` into an :class:`Answer`, or explain per field why it cannot be read.

    Probabilities are read in percent and returned as fractions. Only whether
    each box holds a number is checked here (and that the rationale, which
    other experts read, holds no invisible format character: :mod:`elicit.text`);
    ranges and order are the service's rules. The messages are in the
    request's language.
    """
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    numbers = (
        ("probability",)
        if question.kind is QuestionKind.BINARY
        else PROBABILITY_FIELDS
        if question.kind is QuestionKind.BINARY_INTERVAL
        else ()
    )
    for name in numbers:
        text = raw.get(name, "")
        value = parse_number(text) if len(text) <= FIELD_MAX else None
        if not text.strip():
            errors[name] = gettext("Enter a probability in percent.")
        elif value is None:
            # TRANSLATORS: %(text)s is what was typed; use your language's quotation marks.
            errors[name] = gettext(
                "“%(text)s” is not a number; enter a percentage such as 35.",
                text=text[:FIELD_MAX],
            )
        else:
            values[name] = value / 100
    if question.kind is QuestionKind.QUANTITY:
        texts = list(raw.get("quantile_values", []))
        parsed = [parse_number(t) if len(t) <= FIELD_MAX else None for t in texts]
        if not all(t.strip() for t in texts):
            errors["quantile_values"] = gettext("Enter a value for every percentile.")
        elif None in parsed:
            bad = next(t for t, v in zip(texts, parsed, strict=True) if v is None)
            # TRANSLATORS: %(text)s is what was typed; %(decimal)s is 12.5 (keep 1500 as is).
            errors["quantile_values"] = gettext(
                "“%(text)s” is not a number; write numbers like 1500 or %(decimal)s "
                "(no thousands separators).",
                text=bad[:FIELD_MAX],
                decimal=formatting.typed_number(12.5),
            )
        else:
            values["quantile_values"] = parsed
    confidence = raw.get("confidence", "").strip()
    if confidence:
        if confidence in {"1", "2", "3", "4", "5"}:
            values["confidence"] = int(confidence)
        else:
            errors["confidence"] = gettext("Choose a confidence from 1 to 5, or leave it unstated.")
    rationale = raw.get("rationale", "")
    invisible = invisible_character_message(rationale)
    if len(rationale) > RATIONALE_MAX:
        errors["rationale"] = rationale_too_long()
    elif invisible is not None:
        errors["rationale"] = invisible
    values["rationale"] = rationale
    if errors:
        return None, errors
    return Answer(**values), {}


def plain_number(value: float, scale: float = 1.0) -> str:
    """Write ``value * scale`` with the fewest decimals that read back as ``value``.

    "Read back" means equal to 12 significant digits, the test
    :func:`~elicit.judgments.submission.record_judgment` uses to tell a change
    from a repeat, so an answer shown in a box and submitted again untouched
    never becomes a new revision, and 0.333 shows as ``33.3``, not
    ``33.300000000000004``.
    """
    shown = value * scale
    if shown == 0:
        return "0"
    if 1e-6 <= abs(shown) < 1e16:
        for decimals in range(0, 24):
            text = f"{shown:.{decimals}f}"
            if math.isclose(float(text) / scale, value, rel_tol=1e-13, abs_tol=0):
                return text
    return repr(shown)


def percent(value: float | None) -> str:
    """Show a stored probability as the percentage an expert typed (0.35 -> ``"35"``)."""
    return "" if value is None else plain_number(value, 100.0)


def fingerprint(raw: Mapping[str, Any]) -> str:
    """Return a short digest of a raw answer, to tell whether a form changed what it showed."""
    canonical = json.dumps(raw, sort_keys=True, ensure_ascii=True)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def raw_from_values(question: Question, answer: Any) -> dict[str, Any]:
    """Return the raw form showing a recorded judgment or revision (``answer``) again."""
    raw = empty_raw(question)
    for name in PROBABILITY_FIELDS:
        raw[name] = percent(getattr(answer, name))
    if answer.quantile_values:
        raw["quantile_values"] = [plain_number(v) for v in answer.quantile_values]
    raw["confidence"] = "" if answer.confidence is None else str(answer.confidence)
    raw["rationale"] = answer.rationale or ""
    return raw
