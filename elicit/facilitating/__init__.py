"""The facilitator's console: blueprint ``facilitating``, under ``/facilitate``.

The blueprint and the words its pages use live in :mod:`.blueprint`, the
lookups every page shares in :mod:`.lookup`, the study and round pages in
:mod:`.views`, the rationales page in :mod:`.rationales`, the panel page in
:mod:`.panel` (its file upload in :mod:`.panel_upload`, its links and e-mail in
:mod:`.invitations`) and the outbox page in :mod:`.outbox`.
"""

from elicit.facilitating import invitations, outbox, panel, panel_upload, rationales, views
from elicit.facilitating.blueprint import bp

__all__ = ["bp", "invitations", "outbox", "panel", "panel_upload", "rationales", "views"]
