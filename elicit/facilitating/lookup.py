"""Find what a facilitator's URL names, or answer 404: one rule for every console page.

A study the current user may not see is answered exactly like one that does
not exist, so an id or slug in a URL never tells who runs what.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort
from flask_login import current_user

from elicit.extensions import db
from elicit.rounds.models import Round
from elicit.studies.models import Study
from elicit.studies.services import visible_studies


def study_or_404(slug: str) -> Study:
    """Return the study ``slug`` if the current user may see it, else answer 404."""
    found = db.session.scalar(visible_studies(current_user).where(Study.slug == slug))
    if found is None:
        abort(404)
    return found


def round_or_404(study: Study, number: int) -> Round:
    """Return round ``number`` of ``study``, else answer 404."""
    found = db.session.scalar(
        sa.select(Round).where(Round.study_id == study.id, Round.number == number)
    )
    if found is None:
        abort(404)
    return found
