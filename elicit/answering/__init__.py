"""The expert's pages: invitation link, consent, answering a round, receipt and own record.

Blueprint ``answering``. Who the expert is lives in :mod:`.entry`, how a
round's page is built in :mod:`.round_page`, the names of its form fields in
:mod:`.fields`, the answering routes in :mod:`.views`, the review step
before submitting in :mod:`.review`, and the answer to a database too busy
to save in :mod:`.busy`. URLs keep their
``/invite/`` and ``/expert/`` paths, so links already sent keep working.
"""

from elicit.answering import busy, entry, review, views
from elicit.answering.blueprint import bp

__all__ = ["bp", "busy", "entry", "review", "views"]
