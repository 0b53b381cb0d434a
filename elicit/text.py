"""Text people type for others to read: no invisible format characters.

Unicode's format characters (category Cf) print nothing themselves but change
how the text around them is shown: U+202E (right-to-left override) and the
isolates U+2066 to U+2069 reorder what follows, and zero-width characters
(U+200B to U+200F, U+FEFF) hide inside words. In a rationale another expert
reads, or in a study's title or a question, they can make text display as
something other than what is stored and audited, so they are refused there,
with a message naming the character and where it is.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from flask_babel import gettext

from elicit import formatting


def invisible_characters(text: str) -> list[tuple[int, str]]:
    """List every format character (category Cf) in ``text`` as (1-based position, character)."""
    return [
        (position, char)
        for position, char in enumerate(text, start=1)
        if unicodedata.category(char) == "Cf"
    ]


def character_name(char: str) -> str:
    """Write ``char`` as its code point and Unicode name: ``U+202E RIGHT-TO-LEFT OVERRIDE``."""
    return f"U+{ord(char):04X} {unicodedata.name(char, '')}".strip()


def invisible_character_message(text: str) -> str | None:
    """Say which invisible character ``text`` holds first and where; ``None`` if it has none.

    The message is in the request's language, with the character written as
    its code point and Unicode name (``U+202E RIGHT-TO-LEFT OVERRIDE``).
    """
    found = invisible_characters(text)
    if not found:
        return None
    position, char = found[0]
    # TRANSLATORS: %(character)s is a code point and its English name, such as
    # "U+202E RIGHT-TO-LEFT OVERRIDE"; %(position)s counts characters from 1.
    return gettext(
        "The text contains an invisible formatting character (%(character)s) at character "
        "%(position)s, which can make it display differently from what is saved. Delete it "
        "(retype the words around it if you cannot see it) and send again.",
        character=character_name(char),
        position=formatting.integer(position),
    )


class VisibleText:
    """A WTForms validator refusing a field whose text holds an invisible format character."""

    def __call__(self, form: Any, field: Any) -> None:
        """Raise :class:`~wtforms.validators.ValidationError` naming the first such character."""
        from wtforms.validators import ValidationError

        message = invisible_character_message(field.data or "")
        if message is not None:
            raise ValidationError(message)
