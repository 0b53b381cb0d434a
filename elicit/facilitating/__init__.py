"""The facilitator's console: blueprint ``facilitating``, under ``/facilitate``.

The blueprint and the words its pages use live in :mod:`.blueprint` (the
study a URL names is found by :mod:`elicit.lookup`), the study page in :mod:`.views`,
the new-study page in :mod:`.new_study`, cloning and archiving in
:mod:`.study_admin`, a question's page in :mod:`.questions`, the round
controls (opening, closing times, closing) in :mod:`.rounds`, the study's
round settings in :mod:`.round_settings`, the anonymity model in
:mod:`.anonymity`, the rationales page in :mod:`.rationales`, resolving
questions in :mod:`.resolution`, the stopping rules in :mod:`.stopping`, the
sharing page in :mod:`.sharing`, the admins' staff page in :mod:`.staff`, the
panel page in :mod:`.panel` (its file upload in :mod:`.panel_upload`, its links
and e-mail in :mod:`.invitations`), the outbox page in :mod:`.outbox`, the
dashboard in :mod:`.dashboard` and the audit trail pages in :mod:`.audit`
(their words in :mod:`.audit_words`).
"""

from elicit.facilitating import (
    anonymity,
    audit,
    dashboard,
    invitations,
    new_study,
    outbox,
    panel,
    panel_upload,
    questions,
    rationales,
    resolution,
    round_settings,
    rounds,
    sharing,
    staff,
    stopping,
    study_admin,
    views,
)
from elicit.facilitating.blueprint import bp

__all__ = [
    "anonymity",
    "audit",
    "dashboard",
    "bp",
    "invitations",
    "new_study",
    "outbox",
    "panel",
    "panel_upload",
    "questions",
    "rationales",
    "resolution",
    "round_settings",
    "rounds",
    "sharing",
    "staff",
    "stopping",
    "study_admin",
    "views",
]
