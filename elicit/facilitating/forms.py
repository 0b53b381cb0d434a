"""The facilitator's forms: they only parse; the services decide.

The services are :mod:`elicit.feedback.services`, :mod:`elicit.rounds.services`,
:mod:`elicit.studies.round_settings`, :mod:`elicit.studies.services` and
:mod:`elicit.stopping.services`.

Labels and messages are lazy translations: the forms are defined at import,
and each is shown in the language of the request that renders it.
"""

from datetime import datetime

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    AnyOf,
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    StopValidation,
    ValidationError,
)

from elicit.feedback.services import MIN_ANSWERS_LIMIT
from elicit.judgments.parsing import parse_number
from elicit.stopping.models import RuleKind
from elicit.studies.models import Anonymity, Outcome

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


ANONYMITY_MESSAGE = _l("Choose one of the two anonymity models.")
ANONYMITY_CHOICES = [
    SelectChoice(
        Anonymity.QUASI_ANONYMOUS.value,
        _l(
            "Quasi-anonymous: experts are anonymous to each other; the study's facilitators "
            "can see who gave which answer."
        ),
    ),
    SelectChoice(
        Anonymity.ANONYMOUS_TO_STAFF.value,
        _l(
            "Anonymous to staff: facilitators see who is on the panel and whether each expert "
            "has answered, but no page links a person to an answer."
        ),
    ),
]


class AnonymityForm(FlaskForm):
    """The study's anonymity model, chosen before round 1 opens."""

    anonymity = RadioField(
        _l("Anonymity model"),
        choices=ANONYMITY_CHOICES,
        validate_choice=False,
        validators=[
            InputRequired(ANONYMITY_MESSAGE),
            AnyOf([choice.value for choice in ANONYMITY_CHOICES], message=ANONYMITY_MESSAGE),
        ],
    )


class RationaleVisibilityForm(FlaskForm):
    """Whether to hide a rationale from the panel's feedback (``1``) or show it again (``0``)."""

    hidden = HiddenField(validators=[InputRequired(), AnyOf(["0", "1"])])


OUTCOME_MESSAGE = _l("Choose yes, no or annulled.")
NUMBER_MESSAGE = _l("Enter a number, such as 12.5.")
SOURCE_MESSAGE = _l("Say where the resolution comes from: a link or a citation.")
DATE_MESSAGE = _l("Enter the date as year-month-day, such as 2027-03-31.")


class NumberText(StringField):
    """A number typed by a person (decimal comma and spaced thousands accepted), or ``None``."""

    number: float | None = None

    def process_formdata(self, valuelist: list[str]) -> None:
        """Keep the typed text (it is shown again on error) and read the number from it."""
        super().process_formdata(valuelist)
        self.number = parse_number(self.data or "") if self.data else None

    def pre_validate(self, form: FlaskForm) -> None:
        """Refuse typed text that is not a number."""
        if self.data and self.number is None:
            raise StopValidation(str(NUMBER_MESSAGE))


class DayField(DateField):
    """A date typed as year-month-day, refused in this module's words."""

    def process_formdata(self, valuelist: list[str]) -> None:
        """Parse the date, explaining any text that is not one with :data:`DATE_MESSAGE`."""
        try:
            super().process_formdata(valuelist)
        except ValueError as error:
            raise ValueError(str(DATE_MESSAGE)) from error

    def pre_validate(self, form: FlaskForm) -> None:
        """Skip the required check when the text was not a date (one message is enough)."""


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


class ResolveForm(FlaskForm):
    """How one question turned out: an outcome (binary kinds) or a value (quantities).

    Which of the two is required depends on the question, so the view checks
    that through the service; the form only parses what was typed.
    """

    outcome = RadioField(
        _l("Outcome"),
        choices=[
            SelectChoice(Outcome.YES.value, _l("Yes: it happened")),
            SelectChoice(Outcome.NO.value, _l("No: it did not happen")),
            SelectChoice(Outcome.ANNULLED.value, _l("Annulled: it can never be scored")),
        ],
        validate_choice=False,
        validators=[Optional(), AnyOf([o.value for o in Outcome], message=OUTCOME_MESSAGE)],
    )
    value = NumberText(_l("Value"))
    source = StringField(
        _l("Source"),
        validators=[InputRequired(SOURCE_MESSAGE), Length(max=2000)],
    )
    resolved_on = DayField(_l("Resolved on"), validators=[InputRequired(DATE_MESSAGE)])


class RealizationForm(FlaskForm):
    """The known answer of a calibration question created without it."""

    realization = NumberText(_l("Realization"), validators=[InputRequired(NUMBER_MESSAGE)])


RULE_KIND_CHOICES = [
    SelectChoice(RuleKind.IQR.value, _l("Interquartile range at most the threshold")),
    SelectChoice(RuleKind.CV.value, _l("Coefficient of variation at most the threshold")),
    SelectChoice(
        RuleKind.SHARE_WITHIN.value,
        _l("At least the threshold's percentage of answers within the band around the median"),
    ),
    SelectChoice(
        RuleKind.WILCOXON.value,
        _l("Stable: Wilcoxon signed-rank test finds no change (p-value at least the threshold)"),
    ),
    SelectChoice(
        RuleKind.MEAN_CHANGE.value,
        _l("Stable: mean absolute change from the round before at most the threshold"),
    ),
]
RULE_KIND_MESSAGE = _l("Choose one of the listed rules.")
QUESTION_MESSAGE = _l("Choose a question of this study.")


class StoppingRuleForm(FlaskForm):
    """One stopping rule for one question; the view fills in the question choices."""

    question = SelectField(
        _l("Question"), validate_choice=False, validators=[InputRequired(QUESTION_MESSAGE)]
    )
    kind = SelectField(
        _l("Rule"),
        choices=RULE_KIND_CHOICES,
        validate_choice=False,
        validators=[
            InputRequired(RULE_KIND_MESSAGE),
            AnyOf([choice.value for choice in RULE_KIND_CHOICES], message=RULE_KIND_MESSAGE),
        ],
    )
    threshold = NumberText(_l("Threshold"), validators=[InputRequired(NUMBER_MESSAGE)])
    band = NumberText(_l("Band around the median (share-within rule only)"))


class OpenRoundForm(FlaskForm):
    """Open the next round, with an optional closing time in the study's time zone."""

    closes_at = LocalDateTimeField(_l("Closing time (optional)"))
    leave_out_settled = BooleanField(
        _l("Leave out the questions whose stopping rules were all met in the last round")
    )


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
    analysts_see_live_pools = BooleanField(
        _l("Let the study's analysts see the open round's pooled forecasts live")
    )
    feedback_labels_per_round = BooleanField(
        _l(
            "In the feedback, keep one letter per expert for a whole round (by default each "
            "question gives every expert a fresh letter, so rationales cannot be linked)"
        )
    )


class FilterDayField(DayField):
    """A date a filter may leave empty (a GET form sends ``since=`` for an unset date)."""

    def process_formdata(self, valuelist: list[str]) -> None:
        """Read an empty field as no date; parse anything else as a :class:`DayField`."""
        if valuelist and not "".join(valuelist).strip():
            self.data = None
            return
        super().process_formdata(valuelist)


DATE_ORDER_MESSAGE = _l("Enter a date on or after the start date.")
LISTED_MESSAGE = _l("Choose one of the listed options.")


class ListedField(SelectField):
    """A choice among options the page lists, refused in elicit's words if not one of them."""

    def pre_validate(self, form: FlaskForm) -> None:
        """Refuse a value that is not one of the choices with :data:`LISTED_MESSAGE`."""
        if self.data not in {value for value, *_ in self.choices or []}:
            raise StopValidation(str(LISTED_MESSAGE))


class AuditFiltersForm(FlaskForm):
    """Which events an audit trail lists: sent by GET, so it changes nothing and needs no token.

    The choices of ``action`` and ``who`` are the ones the trail has, set by the view.
    """

    class Meta:
        """A GET form changes nothing, so it carries no CSRF token."""

        csrf = False

    # TRANSLATORS: a filter of the audit trail: only events of this kind.
    action = ListedField(_l("Action"), default="")
    # TRANSLATORS: a filter of the audit trail: only events caused by this staff member.
    who = ListedField(_l("Who"), default="")
    # TRANSLATORS: a filter of the audit trail: only events on or after this date.
    since = FilterDayField(_l("From"))
    # TRANSLATORS: a filter of the audit trail: only events on or before this date.
    until = FilterDayField(_l("To"))

    def validate_until(self, field: FilterDayField) -> None:
        """Refuse an end date before the start date."""
        if self.since.data and field.data and field.data < self.since.data:
            raise ValidationError(str(DATE_ORDER_MESSAGE))
