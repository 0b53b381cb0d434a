"""The analyst's workspace: blueprint ``analysing``, under ``/analyse``.

The blueprint lives in :mod:`.blueprint`, the list of studies and each
study's overview in :mod:`.views`, a round's pooled forecasts in :mod:`.pools`,
the calibration report and plots in :mod:`.calibration`, the track records in
:mod:`.track_record`, a study's downloads in :mod:`.downloads`, and importing an
existing study from its files in :mod:`.imports`. Every number
these pages show comes from :mod:`elicit.analysis` and is written by
:mod:`elicit.formatting`; analysts only ever see the study's pseudonymous
expert ids (and, for track records, one pseudonym per person across an owner's
studies).
"""

from elicit.analysing import calibration, downloads, imports, pools, track_record, views
from elicit.analysing.blueprint import bp

__all__ = ["bp", "calibration", "downloads", "imports", "pools", "track_record", "views"]
