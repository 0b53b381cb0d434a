"""Forgotten passwords: ask for a reset link by e-mail, then choose a new password with it.

The pages live with the staff console rather than with the login page
because the link is sent through the outbox (:mod:`elicit.mail`), which the
accounts package sits below. Asking says the same thing whether or not the
address has an account, so the page tells nobody which addresses do.
"""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext
from flask_limiter import RateLimitExceeded

from elicit.accounts.forms import ForgotPasswordForm, ResetPasswordForm
from elicit.accounts.resets import RESET_LIFETIME, reset_password, usable_reset
from elicit.accounts.throttle import account_key, throttle
from elicit.errors import DomainError
from elicit.extensions import db, limiter
from elicit.mail.outbox import send_password_reset
from elicit.unit_of_work import refuse
from elicit.web import retry_minutes

bp = Blueprint("password", __name__, url_prefix="/password")

RESET_REQUESTS_LIMIT = "5 per 10 minutes; 20 per day"
"""How often one address may ask for reset links (per IP, as well as per account)."""


@bp.route("/forgot", methods=["GET", "POST"])
@limiter.limit(RESET_REQUESTS_LIMIT, methods=["POST"])
def forgot():
    """Ask for a reset link; the answer is the same whether the address has an account."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        send_password_reset(db.session(), form.email.data, base_url=current_app.config["BASE_URL"])
        minutes = int(RESET_LIFETIME.total_seconds() // 60)
        return render_template(
            "accounts/forgot_password.html", form=form, sent=True, minutes=minutes
        )
    status = 400 if form.errors else 200
    return render_template("accounts/forgot_password.html", form=form), status


@bp.errorhandler(RateLimitExceeded)
def _too_many_requests(error: RateLimitExceeded) -> tuple[str, int]:
    """Show the form again, saying when to try again."""
    page = render_template(
        "accounts/forgot_password.html", form=ForgotPasswordForm(), retry_minutes=retry_minutes()
    )
    return page, 429


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset(token: str):
    """Choose a new password with a reset link; a used or expired link says so (410).

    A new password also ends the account's lockout for failed logins
    (:mod:`elicit.accounts.throttle`): whoever holds the link may log in now.
    Not for an account with two-factor login, whose lockout also counts wrong
    codes: a reset link must not buy more guesses at the code.
    """
    if usable_reset(db.session(), token) is None:
        return render_template("accounts/reset_password.html", form=None), 410
    form = ResetPasswordForm()
    if not form.validate_on_submit():
        status = 400 if form.errors else 200
        return render_template("accounts/reset_password.html", form=form), status
    try:
        user = reset_password(db.session(), token, form.password.data)
    except DomainError as error:
        refuse()
        if error.code == "invalid_reset":
            return render_template("accounts/reset_password.html", form=None), 410
        form.password.errors = [error.message]
        return render_template("accounts/reset_password.html", form=form), 400
    if user.totp_secret is None:
        throttle(db.session(), current_app.config.get("RATELIMIT_STORAGE_URI")).succeeded(
            account_key(user.email)
        )
    flash(gettext("Your password was changed. Log in with the new one."))
    return redirect(url_for("accounts.login"))
