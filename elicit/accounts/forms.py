"""The login and password-reset forms: they only parse; :mod:`elicit.accounts.services` decides.

Its labels and messages are lazy translations, shown in the language of the
request that renders them. The messages are given here rather than left to
WTForms, so they are in elicit's own catalogue with the rest of the page.
"""

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Regexp

from elicit.accounts.passwords import MIN_LENGTH

REQUIRED_MESSAGE = _l("This field is required.")

# TRANSLATORS: %(max)d is the most characters a login field takes (254 or 1024).
TOO_LONG_MESSAGE = _l("Field cannot be longer than %(max)d characters.")
"""WTForms fills in ``%(max)d`` (and could fill ``%(min)d`` and ``%(length)d``)."""

TOO_SHORT_MESSAGE = _l("A password needs at least %(min)d characters.")


class LoginForm(FlaskForm):
    """E-mail address and password of a staff user."""

    email = EmailField(
        _l("E-mail address"),
        validators=[DataRequired(REQUIRED_MESSAGE), Length(max=254, message=TOO_LONG_MESSAGE)],
    )
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(REQUIRED_MESSAGE), Length(max=1024, message=TOO_LONG_MESSAGE)],
    )


class ForgotPasswordForm(FlaskForm):
    """The e-mail address of the account whose password was forgotten."""

    email = EmailField(
        _l("E-mail address"),
        validators=[DataRequired(REQUIRED_MESSAGE), Length(max=254, message=TOO_LONG_MESSAGE)],
    )


class ResetPasswordForm(FlaskForm):
    """A new password, typed twice; the rules of :mod:`elicit.accounts.passwords` apply."""

    password = PasswordField(
        _l("New password"),
        validators=[
            DataRequired(REQUIRED_MESSAGE),
            Length(min=MIN_LENGTH, message=TOO_SHORT_MESSAGE),
            Length(max=1024, message=TOO_LONG_MESSAGE),
        ],
    )
    confirm = PasswordField(
        _l("New password again"),
        validators=[
            DataRequired(REQUIRED_MESSAGE),
            EqualTo("password", message=_l("The two passwords are not the same.")),
        ],
    )


CODE_PATTERN = r"^\s*[0-9]{3} ?[0-9]{3}\s*\Z"
"""Six digits, optionally split by a space as apps show them ("123 456")."""

CODE_MESSAGE = _l("Enter the 6 digits the app shows.")


def _code_field(label: Any) -> StringField:
    """Return a field for a 6-digit code from an authenticator app, labelled ``label``."""
    return StringField(
        label,
        validators=[DataRequired(REQUIRED_MESSAGE), Regexp(CODE_PATTERN, message=CODE_MESSAGE)],
    )


class CodeForm(FlaskForm):
    """A 6-digit code from an authenticator app (spaces allowed, as apps show "123 456")."""

    code = _code_field(_l("Code from your authenticator app"))


class IdentityForm(FlaskForm):
    """The password and a code of the current app, asked again before the second factor changes."""

    password = PasswordField(
        _l("Your password"),
        validators=[DataRequired(REQUIRED_MESSAGE), Length(max=1024, message=TOO_LONG_MESSAGE)],
    )
    current_code = _code_field(_l("Code from the app you use now"))


class NewAppForm(IdentityForm):
    """Moving two-factor login to a new app: who you are, then the new app's first code."""

    code = _code_field(_l("Code from the new app"))
