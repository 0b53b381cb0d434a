"""Existing studies brought in: a study with closed rounds, experts, judgments and outcomes.

Three layouts are read (:mod:`elicit.imports.formats`): the long CSV the
offline commands read, EXCALIBUR ``.dtt``/``.rls`` files, and the repliCATS
pilot's CSV files. Each reader turns its files into a
:class:`~elicit.imports.dataset.Dataset`, naming every bad line; only a
dataset without problems is saved (:func:`elicit.imports.services.import_study`).
"""

FILES = {
    "long": {"judgments": True, "outcomes": False},
    "excalibur": {"dtt": True, "rls": True},
    "replicats": {"ratings": True, "justifications": False, "outcomes": False},
}
"""Each layout's files by role, and whether the role is required.

Kept here, apart from the readers (:func:`elicit.imports.formats.read_files`),
so the upload form can name the files without loading NumPy at start-up.
"""
