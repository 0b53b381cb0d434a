"""elicit: structured expert elicitation (multi-round anonymous Delphi studies).

The application is built by :func:`elicit.app.create_app`; the ``elicit``
command is :mod:`elicit.cli`. This module only says where the project lives,
so importing any part of elicit never imports all of it.
"""

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
"""The checkout: templates, migrations, question sets and translations are read from it."""
