"""The facilitator's console: blueprint ``facilitating``, under ``/facilitate``.

The blueprint and the words its pages use live in :mod:`.blueprint`, the
lookups every page shares in :mod:`.lookup`, the study and round pages in
:mod:`.views`, the anonymity model in :mod:`.anonymity`, the rationales
page in :mod:`.rationales`, the new-study page in :mod:`.new_study`, cloning and
archiving in :mod:`.study_admin` and a question's page in :mod:`.questions`.
"""

from elicit.facilitating import anonymity, new_study, questions, rationales, study_admin, views
from elicit.facilitating.blueprint import bp

__all__ = [
    "anonymity",
    "bp",
    "new_study",
    "questions",
    "rationales",
    "study_admin",
    "views",
]
