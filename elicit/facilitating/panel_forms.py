"""The panel page's forms: they only parse; :mod:`elicit.panels` decides what is accepted."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import EmailField, HiddenField, StringField
from wtforms.validators import InputRequired, Length

from elicit.panels.roster import EMAIL_MAX, GROUP_MAX, NAME_MAX


class ExpertForm(FlaskForm):
    """One expert to add: name, e-mail address and, optionally, a group."""

    name = StringField(
        _l("Name"),
        validators=[
            InputRequired(_l("Enter the expert's name.")),
            Length(max=NAME_MAX, message=_l("A name takes at most 200 characters.")),
        ],
    )
    email = EmailField(
        _l("E-mail address"),
        validators=[
            InputRequired(_l("Enter the expert's e-mail address.")),
            Length(max=EMAIL_MAX, message=_l("An e-mail address takes at most 254 characters.")),
        ],
    )
    group = StringField(
        _l("Group (optional)"),
        validators=[Length(max=GROUP_MAX, message=_l("A group takes at most 120 characters."))],
    )


class PanelFileForm(FlaskForm):
    """A panel file (CSV: name, email, optional group) to check before anything is added."""

    file = FileField(
        _l("Panel file (CSV)"), validators=[FileRequired(_l("Choose a CSV file to upload."))]
    )


class ConfirmPanelForm(FlaskForm):
    """The checked file, carried from the preview to the confirmation and read again there."""

    content = HiddenField(validators=[InputRequired()])
