"""The parameters a method ran with, as every result row records them.

Used by the offline commands and by the analysis services alike, so that a
result computed for a page names its method's settings exactly as the
command line's file does. Imports nothing heavy: ``elicit pool --help`` loads it.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

DATA_ARGUMENTS = frozenset({"presorted", "times", "experts", "round1"})
"""Keyword arguments that carry data or a precomputed sort, not a method's settings."""


def parameters(function: Callable, **given: object) -> dict[str, Any]:
    """Return a method's keyword parameters (defaults, overridden by ``given``)."""
    values = {
        name: p.default
        for name, p in inspect.signature(function).parameters.items()
        if p.kind is inspect.Parameter.KEYWORD_ONLY
        and p.default is not inspect.Parameter.empty
        and name not in DATA_ARGUMENTS
    }
    values.update(given)
    return {
        k: v
        for k, v in sorted(values.items())
        if v is None or isinstance(v, int | float | str | bool | list)
    }
