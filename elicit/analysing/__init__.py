"""The analyst's workspace: blueprint ``analysing``, under ``/analyse``.

The blueprint lives in :mod:`.blueprint`, the list of studies and each
study's overview in :mod:`.views`, and a study's downloads in
:mod:`.downloads`. Every number these pages show comes from
:mod:`elicit.analysis` and is written by :mod:`elicit.formatting`; analysts
only ever see the study's pseudonymous expert ids.
"""

from elicit.analysing import downloads, views
from elicit.analysing.blueprint import bp

__all__ = ["bp", "downloads", "views"]
