"""Find the study or round a staff URL names, or answer 404: one rule for every staff page.

A study the current user may not see is answered exactly like one that does
not exist, so a slug or id in a URL never tells who runs what. A study the user
may see but not change answers 403 to a change, and so does an archived study
to anyone: it is read-only until its owner unarchives it.
"""

from __future__ import annotations

from flask import abort
from flask_babel import gettext

from elicit.accounts.access import StudyAccess, actor, study_access
from elicit.extensions import db
from elicit.rounds.models import Round
from elicit.rounds.services import numbered_round
from elicit.studies.models import Study
from elicit.studies.services import find_study


def study_or_404(
    slug: str, need: StudyAccess = StudyAccess.VIEW, *, archived_ok: bool = False
) -> tuple[Study, StudyAccess]:
    """Return the study ``slug`` and what the current user may do with it.

    Answers 404 if the study does not exist or the user may not see it, and
    403 if the user may see it but ``need`` more than they have, or if it is
    archived and ``need`` is ``RUN`` or more (a change), unless ``archived_ok``
    (cloning it, unarchiving it).
    """
    found = find_study(db.session(), slug)
    access = StudyAccess.NONE if found is None else study_access(db.session(), actor(), found)
    if found is None or access is StudyAccess.NONE:
        abort(404)
    if access < need:
        abort(403)
    if need >= StudyAccess.RUN and found.archived_at is not None and not archived_ok:
        abort(
            403,
            gettext(
                "This study is archived, so nothing in it can change. Its owner can unarchive it "
                "on the study page."
            ),
        )
    return found, access


def round_or_404(study: Study, number: int) -> Round:
    """Return round ``number`` of ``study``, else answer 404."""
    found = numbered_round(db.session(), study.id, number)
    if found is None:
        abort(404)
    return found
