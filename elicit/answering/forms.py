"""The expert's consent form (answers are parsed by :mod:`elicit.judgments.parsing`)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField
from wtforms.validators import DataRequired


class ConsentForm(FlaskForm):
    """One box the expert must tick to take part."""

    agree = BooleanField(
        _l("I have read how my answers are used and shown, and I agree to take part."),
        validators=[DataRequired(_l("Tick the box to agree before you continue."))],
    )
