"""The facilitator's forms: they only parse; the services decide.

The services are :mod:`elicit.feedback.services`, :mod:`elicit.rounds.services`
and :mod:`elicit.studies.round_settings`.

Labels and messages are lazy translations: the forms are defined at import,
and each is shown in the language of the request that renders it.
"""

from datetime import datetime

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateTimeLocalField, HiddenField, IntegerField, StringField
from wtforms.validators import AnyOf, DataRequired, InputRequired, NumberRange, StopValidation

from elicit.feedback.services import MIN_ANSWERS_LIMIT

MIN_ANSWERS_MESSAGE = _l("Enter a whole number from 1 to %(limit)s.", limit=MIN_ANSWERS_LIMIT)


class WholeNumberField(IntegerField):
    """An integer field that explains text that is not a whole number once, in its own words."""

    def __init__(self, label: str | LazyString, *, message: str | LazyString, **kwargs) -> None:
        super().__init__(label, **kwargs)
        self.message = message

    def process_formdata(self, valuelist: list[str]) -> None:
        """Parse the typed text, refusing anything but a whole number with ``message``."""
        try:
            super().process_formdata(valuelist)
        except ValueError as error:
            raise ValueError(self.message) from error

    def pre_validate(self, form: FlaskForm) -> None:
        """Skip the range checks when the text was not a number at all (one message is enough)."""
        if self.process_errors:
            raise StopValidation()


class FeedbackSettingsForm(FlaskForm):
    """How a study shows the panel's previous-round answers to its experts."""

    min_answers = WholeNumberField(
        _l("Minimum number of answers before a question's feedback is shown"),
        message=MIN_ANSWERS_MESSAGE,
        validators=[
            InputRequired(MIN_ANSWERS_MESSAGE),
            NumberRange(min=1, max=MIN_ANSWERS_LIMIT, message=MIN_ANSWERS_MESSAGE),
        ],
        render_kw={"min": 1, "max": MIN_ANSWERS_LIMIT, "inputmode": "numeric"},
    )
    hide_until_answered = BooleanField(
        _l("Show an expert the feedback on a question only after they have answered it this round")
    )


class RationaleVisibilityForm(FlaskForm):
    """Whether to hide a rationale from the panel's feedback (``1``) or show it again (``0``)."""

    hidden = HiddenField(validators=[InputRequired(), AnyOf(["0", "1"])])


DATE_TIME_MESSAGE = _l("Enter a date and time such as 2026-03-07 17:00.")
DATE_TIME_REQUIRED = _l("Enter the new closing time.")


class LocalDateTimeField(DateTimeLocalField):
    """A wall-clock date and time (no zone), as a browser's date-time input or typed by hand.

    Left blank it is ``None``; text that is not a date and time is refused
    with one message in the page's language.
    """

    data: datetime | None

    def __init__(self, label: str | LazyString, **kwargs) -> None:
        super().__init__(
            label,
            format=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"],
            invalid_value_message=DATE_TIME_MESSAGE,
            **kwargs,
        )

    def process_formdata(self, valuelist: list[str]) -> None:
        """Parse the text; blank is ``None``; surrounding spaces are ignored."""
        text = " ".join(valuelist).strip() if valuelist else ""
        if not text:
            self.data = None
            return
        super().process_formdata([text])

    def pre_validate(self, form: FlaskForm) -> None:
        """Skip further checks when the text was not a date and time (one message is enough)."""
        if self.process_errors:
            raise StopValidation()


class OpenRoundForm(FlaskForm):
    """Open the next round, with an optional closing time in the study's time zone."""

    closes_at = LocalDateTimeField(_l("Closing time (optional)"))


class ExtendRoundForm(FlaskForm):
    """Move the open round's closing time later for everyone (or set one)."""

    extend_to = LocalDateTimeField(
        _l("New closing time"), validators=[DataRequired(DATE_TIME_REQUIRED)]
    )


class ExtendExpertForm(FlaskForm):
    """Give one expert, named by pseudonym, until a later closing time."""

    pseudonym = StringField(
        _l("Expert"), validators=[DataRequired(_l("Choose the expert to give more time."))]
    )
    expert_until = LocalDateTimeField(
        _l("Their closing time"), validators=[DataRequired(DATE_TIME_REQUIRED)]
    )


class RoundSettingsForm(FlaskForm):
    """The study's time zone and whether new rounds start from the previous answers."""

    time_zone = StringField(
        _l("Time zone of the study's closing times"),
        validators=[DataRequired(_l("Enter a time zone name such as Europe/Warsaw."))],
        render_kw={"autocomplete": "off", "spellcheck": "false", "maxlength": 64},
    )
    prefill_previous_answers = BooleanField(
        _l("Start each new round's answers from the expert's answers in the round before")
    )
