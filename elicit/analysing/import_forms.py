"""The import page's forms: they only parse; :mod:`elicit.imports` reads the files and decides.

One form holds the files of every layout, each in its own fieldset; the
layout chosen says which are read, and which of them must be given
(:data:`elicit.imports.FILES`).
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, EmailField, HiddenField, RadioField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional

from elicit.imports import FILES

SLUG_MESSAGE = _l("Enter a short name of 3 to 80 lower-case letters, digits or hyphens.")
TITLE_MESSAGE = _l("A title takes at most 200 characters.")

LAYOUT_CHOICES = [
    SelectChoice(
        "long",
        _l("Long CSV: one row per element of each answer (the judgments file of a download)"),
    ),
    SelectChoice("excalibur", _l("EXCALIBUR: a .dtt file and its .rls file")),
    SelectChoice("replicats", _l("repliCATS: ratings, justifications and outcomes")),
]

MISSING = {
    "long_judgments": _l("Choose the judgments file (CSV)."),
    "excalibur_dtt": _l("Choose the .dtt file."),
    "excalibur_rls": _l("Choose the .rls file: it holds the seed items' realizations."),
    "replicats_ratings": _l("Choose data_ratings.csv."),
}
"""The message beside each required file left empty."""


class ImportForm(FlaskForm):
    """The files of an existing study, in one of three layouts, and the study to create."""

    layout = RadioField(
        _l("Layout of the files"),
        choices=LAYOUT_CHOICES,
        validators=[InputRequired(_l("Choose the layout of the files."))],
    )
    long_judgments = FileField(_l("Judgments (CSV)"))
    long_outcomes = FileField(_l("Outcomes (CSV, optional)"))
    long_percent = BooleanField(_l("Probabilities are percentages (0 to 100)"))
    excalibur_dtt = FileField(_l("Experts' quantiles (.dtt)"))
    excalibur_rls = FileField(_l("Items and realizations (.rls)"))
    replicats_ratings = FileField(_l("Ratings (data_ratings.csv)"))
    replicats_justifications = FileField(_l("Justifications (data_justifications.csv, optional)"))
    replicats_outcomes = FileField(_l("Outcomes (data_outcomes.csv, optional)"))
    slug = StringField(
        _l("Short name of the new study"),
        validators=[InputRequired(SLUG_MESSAGE), Length(min=3, max=80, message=SLUG_MESSAGE)],
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    title = StringField(
        _l("Title (optional)"),
        validators=[Optional(), Length(max=200, message=TITLE_MESSAGE)],
    )
    owner = EmailField(
        _l("Owner's e-mail address"),
        validators=[Optional(), Length(max=254)],
    )

    def validate(self, extra_validators=None) -> bool:  # noqa: ANN001
        """Check the fields, then that the chosen layout's required files were chosen."""
        valid = super().validate(extra_validators)
        for role, required in FILES.get(self.layout.data or "", {}).items():
            field = self[f"{self.layout.data}_{role}"]
            if required and not (field.data and field.data.filename):
                field.errors = [*field.errors, MISSING[field.name]]
                valid = False
        return valid

    def chosen_files(self) -> dict[str, FileField]:
        """Return the chosen layout's file fields that were given, by role."""
        layout = self.layout.data or ""
        return {
            role: self[f"{layout}_{role}"]
            for role in FILES.get(layout, {})
            if self[f"{layout}_{role}"].data and self[f"{layout}_{role}"].data.filename
        }


class ConfirmImportForm(FlaskForm):
    """The token of checked files waiting on the server (:mod:`elicit.imports.staging`)."""

    token = HiddenField(validators=[InputRequired()])
