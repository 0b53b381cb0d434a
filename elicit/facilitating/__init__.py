"""The facilitator's console: blueprint ``facilitating``, under ``/facilitate``.

The blueprint and the words its pages use live in :mod:`.blueprint`, the
lookups every page shares in :mod:`.lookup`, the study and round pages in
:mod:`.views`, the anonymity model in :mod:`.anonymity` and the rationales
page in :mod:`.rationales`, resolving questions in :mod:`.resolution`, the stopping rules in
:mod:`.stopping`, the sharing page in :mod:`.sharing` and the admins' staff page in
:mod:`.staff`.
"""

from elicit.facilitating import anonymity, rationales, resolution, sharing, staff, stopping, views
from elicit.facilitating.blueprint import bp

__all__ = [
    "anonymity",
    "bp",
    "rationales",
    "resolution",
    "sharing",
    "staff",
    "stopping",
    "views",
]
