"""The analyst's workspace: blueprint ``analysing``, under ``/analyse``.

The blueprint lives in :mod:`.blueprint`, the list of studies and each
study's overview in :mod:`.views`, a round's pooled forecasts in :mod:`.pools`,
the calibration report and plots in :mod:`.calibration`. Every number these
pages show comes from :mod:`elicit.analysis` and is written by
:mod:`elicit.formatting`; analysts only ever see the study's pseudonymous
expert ids.
"""

from elicit.analysing import calibration, pools, views
from elicit.analysing.blueprint import bp

__all__ = ["bp", "calibration", "pools", "views"]
