"""The analyst's blueprint, ``analysing``: every page needs a staff login that may see the study."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("analysing", __name__, url_prefix="/analyse")
