"""The forms of the study pages: a new study, a clone, a question's text, a withdrawal.

They only parse; the services (:mod:`elicit.studies.services`,
:mod:`elicit.studies.editing`) decide. Labels and messages are lazy
translations, shown in the language of the request that renders them.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    FloatField,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, InputRequired, Length, Optional, StopValidation

from elicit.facilitating.forms import ANONYMITY_CHOICES, ANONYMITY_MESSAGE
from elicit.studies.editing import REASON_LIMIT
from elicit.studies.models import Scale
from elicit.studies.services import time_zones
from elicit.text import VisibleText

DESCRIPTION_LIMIT = 10_000
SLUG_MESSAGE = _l("Enter a short name of 3 to 80 lower-case letters, digits or hyphens.")
TITLE_MESSAGE = _l("Enter a title of at most 200 characters.")


class StudySettingsFields(FlaskForm):
    """The slug and title a new study or a clone gets."""

    slug = StringField(
        _l("Short name"),
        validators=[InputRequired(SLUG_MESSAGE), Length(min=3, max=80, message=SLUG_MESSAGE)],
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    title = StringField(
        _l("Title"),
        validators=[
            InputRequired(TITLE_MESSAGE),
            Length(max=200, message=TITLE_MESSAGE),
            VisibleText(),
        ],
    )


class CloneForm(StudySettingsFields):
    """A copy of a study's questions and settings under a new short name and title."""


SOURCE_CHOICES = [
    SelectChoice("bundled", _l("A question set that comes with elicit")),
    SelectChoice("upload", _l("A question-set file from your computer")),
]
SOURCE_MESSAGE = _l("Choose where the questions come from.")


class NewStudyForm(StudySettingsFields):
    """A new study's settings and where its questions come from.

    Once the questions are read, ``upload_text`` and ``upload_name`` carry an
    uploaded file on to the step that chooses questions, where it is read and
    checked again.
    """

    description = TextAreaField(
        _l("Description"),
        validators=[
            Optional(),
            Length(
                max=DESCRIPTION_LIMIT,
                message=_l(
                    "Keep the description to %(limit)s characters.", limit=DESCRIPTION_LIMIT
                ),
            ),
            VisibleText(),
        ],
    )
    anonymity = RadioField(
        _l("Anonymity model"),
        choices=ANONYMITY_CHOICES,
        default=ANONYMITY_CHOICES[0].value,
        validate_choice=False,
        validators=[
            InputRequired(ANONYMITY_MESSAGE),
            AnyOf([choice.value for choice in ANONYMITY_CHOICES], message=ANONYMITY_MESSAGE),
        ],
    )
    time_zone = SelectField(
        _l("Time zone"),
        default="UTC",
        validate_choice=False,
        validators=[InputRequired(_l("Choose a time zone."))],
    )
    source = RadioField(
        _l("Questions from"),
        choices=SOURCE_CHOICES,
        default="bundled",
        validate_choice=False,
        validators=[
            InputRequired(SOURCE_MESSAGE),
            AnyOf([choice.value for choice in SOURCE_CHOICES], message=SOURCE_MESSAGE),
        ],
    )
    bundled = SelectField(_l("Question set"), validate_choice=False)
    upload = FileField(_l("Question-set file (YAML)"))
    upload_text = HiddenField()
    upload_name = HiddenField()

    def __init__(self, *args, bundled_choices: list[tuple[str, str]], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.time_zone.choices = [SelectChoice(zone, zone) for zone in sorted(time_zones())]
        self.bundled.choices = [SelectChoice(value, label) for value, label in bundled_choices]

    def validate_time_zone(self, field: SelectField) -> None:
        """Refuse a name that is not one of the choices (only a hand-made request sends one)."""
        if field.data not in time_zones():
            raise StopValidation(str(_l("Choose a time zone from the list.")))

    def validate_bundled(self, field: SelectField) -> None:
        """Refuse a bundled set that is not offered, when the bundled source is chosen."""
        offered = [choice.value for choice in field.choices or []]
        if (
            self.source.data == "bundled"
            and not self.upload_text.data
            and field.data not in offered
        ):
            raise StopValidation(str(_l("Choose one of the question sets.")))


QUANTILES_MESSAGE = _l("Enter probabilities such as 0.05, 0.5, 0.95, separated by commas.")


class QuantilesField(StringField):
    """Quantile levels typed as ``0.05, 0.5, 0.95``; ``data`` is the list of floats."""

    def _value(self) -> str:
        """Show the stored levels as the facilitator types them."""
        if self.raw_data:
            return str(self.raw_data[0])
        return ", ".join(f"{level:g}" for level in self.data or [])

    def process_formdata(self, valuelist: list[str]) -> None:
        """Parse comma-separated numbers; anything else is an error in this field's words."""
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        try:
            self.data = [float(part) for part in valuelist[0].split(",")]
        except ValueError as error:
            self.data = None
            raise ValueError(str(QUANTILES_MESSAGE)) from error


DATE_MESSAGE = _l("Enter a date as YYYY-MM-DD.")
NUMBER_MESSAGE = _l("Enter a number, or leave it empty for no bound.")


class DayField(DateField):
    """A ``YYYY-MM-DD`` date that explains a wrong one in this project's words."""

    def process_formdata(self, valuelist: list[str]) -> None:
        """Parse the typed date, refusing anything else with :data:`DATE_MESSAGE`."""
        try:
            super().process_formdata(valuelist)
        except ValueError as error:
            raise ValueError(str(DATE_MESSAGE)) from error


class BoundField(FloatField):
    """An optional number that explains text that is not one in this project's words."""

    def process_formdata(self, valuelist: list[str]) -> None:
        """Parse the typed number, refusing anything else with :data:`NUMBER_MESSAGE`."""
        try:
            super().process_formdata(valuelist)
        except ValueError as error:
            raise ValueError(str(NUMBER_MESSAGE)) from error


class QuestionForm(FlaskForm):
    """What a facilitator may set on a question (:class:`~elicit.studies.editing.QuestionFields`).

    Only the fields of the question's kind are shown and read.
    """

    title = TextAreaField(
        _l("Question"),
        validators=[InputRequired(_l("Enter the question experts will read.")), VisibleText()],
    )
    background = TextAreaField(_l("Background"), validators=[VisibleText()])
    resolution_criterion = TextAreaField(
        _l("Resolution criterion"),
        validators=[InputRequired(_l("Say how the question will be resolved.")), VisibleText()],
    )
    resolution_source = TextAreaField(
        _l("Resolution source"),
        validators=[InputRequired(_l("Say where the outcome will be found.")), VisibleText()],
    )
    close_date = DayField(
        _l("Last day to answer"), validators=[InputRequired(DATE_MESSAGE)], format="%Y-%m-%d"
    )
    resolve_by = DayField(
        _l("Resolve by"), validators=[InputRequired(DATE_MESSAGE)], format="%Y-%m-%d"
    )
    allow_certainty = BooleanField(_l("Experts may answer 0% or 100%"))
    unit = StringField(_l("Unit"))
    quantiles = QuantilesField(_l("Quantiles asked for"))
    lower_bound = BoundField(_l("Lower bound"), validators=[Optional()])
    upper_bound = BoundField(_l("Upper bound"), validators=[Optional()])
    scale = RadioField(
        _l("Scale"),
        choices=[
            SelectChoice(Scale.LINEAR.value, _l("Linear")),
            SelectChoice(Scale.LOG.value, _l("Logarithmic")),
        ],
        validate_choice=False,
        validators=[Optional()],
    )


class CorrectionForm(QuestionForm):
    """A corrected version of an asked question: a new question with an id of its own."""

    key = StringField(
        _l("Id of the corrected question"),
        validators=[InputRequired(SLUG_MESSAGE), Length(min=3, max=80, message=SLUG_MESSAGE)],
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )


class WithdrawForm(FlaskForm):
    """Why a question is withdrawn; experts are no longer asked it."""

    reason = TextAreaField(
        _l("Why is the question withdrawn?"),
        validators=[
            InputRequired(_l("Say why the question is withdrawn.")),
            Length(
                max=REASON_LIMIT,
                message=_l("Keep the reason to %(limit)s characters.", limit=REASON_LIMIT),
            ),
        ],
    )
