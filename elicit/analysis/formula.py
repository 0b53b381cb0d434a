"""Text a spreadsheet would run as a formula, and how an export keeps it text.

A CSV cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return gets a single quote (``'``) in front (OWASP's advice on CSV injection).
The exports write pseudonyms so; :mod:`elicit.analysis.study_data` orders
experts by the id so written, which is how ``elicit pool`` orders them when it
reads the export back (the bootstrap resamples experts in that order).
"""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""A text cell beginning with one of these gets a ``'`` in front in CSV."""


def neutralise(text: str) -> str:
    """Put a ``'`` in front of ``text`` if it begins like a formula (:data:`FORMULA_STARTS`)."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text
