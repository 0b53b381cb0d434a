"""Existing studies brought in: a study with closed rounds, experts, judgments and outcomes.

Three layouts are read (:mod:`elicit.imports.formats`): the long CSV the
offline commands read, EXCALIBUR ``.dtt``/``.rls`` files, and the repliCATS
pilot's CSV files. Each reader turns its files into a
:class:`~elicit.imports.dataset.Dataset`, naming every bad line; only a
dataset without problems is saved (:func:`elicit.imports.services.import_study`).
"""
