"""The login form: it only parses; :mod:`elicit.accounts.services` decides.

Its labels and messages are lazy translations, shown in the language of the
request that renders them. The messages are given here rather than left to
WTForms, so they are in elicit's own catalogue with the rest of the page.
"""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Length

REQUIRED_MESSAGE = _l("This field is required.")

# TRANSLATORS: %(max)d is the most characters a login field takes (254 or 1024).
TOO_LONG_MESSAGE = _l("Field cannot be longer than %(max)d characters.")
"""WTForms fills in ``%(max)d`` (and could fill ``%(min)d`` and ``%(length)d``)."""


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
