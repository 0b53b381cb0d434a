"""The forms of the sharing page and the admins' staff page: they only parse.

The services that decide are :mod:`elicit.studies.sharing` and
:mod:`elicit.accounts.services`. Labels and messages are lazy translations.
"""

from __future__ import annotations

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, RadioField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, DataRequired, InputRequired, Length

from elicit.accounts.models import Role, StudyRole

# Sharing and staff accounts

REQUIRED_MESSAGE = _l("This field is required.")

# TRANSLATORS: %(max)d is the most characters the field takes (120, 254 or 1024).
TOO_LONG_MESSAGE = _l("Field cannot be longer than %(max)d characters.")

STUDY_ROLE_MESSAGE = _l("Choose co-facilitator or analyst.")
STUDY_ROLE_CHOICES = [
    # TRANSLATORS: a choice on the sharing page: what the colleague may do in the study.
    SelectChoice(
        StudyRole.CO_FACILITATOR.value, _l("Co-facilitator: runs the study, cannot share it")
    ),
    # TRANSLATORS: a choice on the sharing page: what the colleague may do in the study.
    SelectChoice(
        StudyRole.ANALYST.value, _l("Analyst: sees the study and its results, changes nothing")
    ),
]


class ShareForm(FlaskForm):
    """Who to share a study with (a staff account's e-mail address) and in which role."""

    email = EmailField(
        _l("Staff e-mail address"),
        validators=[DataRequired(REQUIRED_MESSAGE), Length(max=254, message=TOO_LONG_MESSAGE)],
    )
    role = RadioField(
        _l("Role in this study"),
        choices=STUDY_ROLE_CHOICES,
        default=StudyRole.CO_FACILITATOR.value,
        validate_choice=False,
        validators=[
            InputRequired(STUDY_ROLE_MESSAGE),
            AnyOf([choice.value for choice in STUDY_ROLE_CHOICES], message=STUDY_ROLE_MESSAGE),
        ],
    )


STAFF_ROLE_MESSAGE = _l("Choose admin, facilitator or analyst.")
STAFF_ROLE_CHOICES = [
    # TRANSLATORS: a staff role: manages users.
    SelectChoice(Role.ADMIN.value, _l("admin")),
    # TRANSLATORS: a staff role: runs studies.
    SelectChoice(Role.FACILITATOR.value, _l("facilitator")),
    # TRANSLATORS: a staff role: reads results.
    SelectChoice(Role.ANALYST.value, _l("analyst")),
]


def _staff_role(label: LazyString) -> SelectField:
    """Return a staff role chooser labelled ``label`` (the services decide what is allowed)."""
    return SelectField(
        label,
        choices=STAFF_ROLE_CHOICES,
        default=Role.FACILITATOR.value,
        validate_choice=False,
        validators=[
            InputRequired(STAFF_ROLE_MESSAGE),
            AnyOf([choice.value for choice in STAFF_ROLE_CHOICES], message=STAFF_ROLE_MESSAGE),
        ],
    )


class StaffAccountForm(FlaskForm):
    """A new staff account: name, e-mail address, role and initial password."""

    name = StringField(
        _l("Name"),
        validators=[DataRequired(REQUIRED_MESSAGE), Length(max=120, message=TOO_LONG_MESSAGE)],
    )
    email = EmailField(
        _l("E-mail address"),
        validators=[DataRequired(REQUIRED_MESSAGE), Length(max=254, message=TOO_LONG_MESSAGE)],
    )
    role = _staff_role(_l("Role"))
    password = PasswordField(
        _l("Initial password"),
        validators=[DataRequired(REQUIRED_MESSAGE), Length(max=1024, message=TOO_LONG_MESSAGE)],
    )


class StaffRoleForm(FlaskForm):
    """Another role for an existing staff account."""

    role = _staff_role(_l("New role"))
