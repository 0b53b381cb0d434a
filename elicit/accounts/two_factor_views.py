"""Two-factor login pages: the code asked after the password, and setting up the app.

After a right password, a user with two-factor login is not logged in yet:
the cookie holds only who is waiting for a code, for :data:`PENDING_FOR`
(:func:`await_code`). ``/login/code`` takes the code and then starts the
session. An admin without two-factor login when ``ELICIT_REQUIRE_ADMIN_2FA``
is set is sent to ``/login/two-factor`` instead, to set it up before the
session starts; any logged-in staff user may set it up there too. Moving
it to a new app, or turning it off (``/login/two-factor/off``), asks the
password and a code of the current app again. A wrong code or password
counts toward the account's lockout like a wrong login
(:mod:`elicit.accounts.throttle`).
"""

from __future__ import annotations

import math
import secrets
import time

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext, ngettext
from flask_login import current_user, login_required, login_user
from werkzeug.wrappers import Response

from elicit import formatting
from elicit.accounts import sessions, two_factor
from elicit.accounts.access import actor
from elicit.accounts.forms import CodeForm, IdentityForm, NewAppForm
from elicit.accounts.models import Role, User
from elicit.accounts.throttle import account_key, throttle
from elicit.extensions import db, limiter
from elicit.unit_of_work import keep, write_transaction

bp = Blueprint("two_factor", __name__, url_prefix="/login")

PENDING_KEY = "pending_login"
"""Where the cookie keeps the user waiting for their code: id, when, where to go next."""

SETUP_KEY = "totp_setup_key"
"""Where the cookie keeps the random key that binds a secret being set up to this browser."""

PENDING_FOR = 300
"""Seconds a right password waits for its code."""


def finish_login(user: User) -> None:
    """Start ``user``'s session: a new session id and CSRF token (see :mod:`.sessions`)."""
    sessions.begin(db.session(), user_id=user.id)
    login_user(user)


def await_code(user: User, target: str) -> Response:
    """Hold ``user`` (whose password was right) until their code; go to the page that asks it."""
    sessions.clear_cookie()
    session[PENDING_KEY] = {"user": user.id, "at": int(time.time()), "next": target}
    if user.totp_secret is None:
        return redirect(url_for("two_factor.enrol"))
    return redirect(url_for("two_factor.code"))


def _pending_user() -> User | None:
    """Return the user waiting for their code, if their password was right minutes ago."""
    pending = session.get(PENDING_KEY)
    if not isinstance(pending, dict) or time.time() - pending.get("at", 0) > PENDING_FOR:
        return None
    user = db.session.get(User, pending.get("user"))
    return user if user is not None and user.active else None


def _required(user: User) -> bool:
    """Whether ``user`` must have two-factor login (an admin, when so configured)."""
    return user.role is Role.ADMIN and bool(current_app.config.get("REQUIRE_ADMIN_2FA"))


def _log_in(user: User) -> Response:
    """Start the session of ``user``, who gave their code, and go where they were going."""
    target = session.get(PENDING_KEY, {}).get("next") or url_for("facilitating.index")
    throttle(db.session(), current_app.config.get("RATELIMIT_STORAGE_URI")).succeeded(
        account_key(user.email)
    )
    finish_login(user)
    return redirect(target)


@bp.route("/code", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
def code():
    """Ask the waiting user for the code of their authenticator app."""
    user = _pending_user()
    if user is None or user.totp_secret is None:
        flash(gettext("Please log in to see that page."))
        return redirect(url_for("accounts.login"))
    form = CodeForm()
    if not form.validate_on_submit():
        return render_template("accounts/login_code.html", form=form), 400 if form.errors else 200
    counts = throttle(db.session(), current_app.config.get("RATELIMIT_STORAGE_URI"))
    key = account_key(user.email)
    if counts.wait(key):
        session.pop(PENDING_KEY, None)
        return redirect(url_for("accounts.login"))
    if two_factor.check_code(db.session(), user, form.code.data):
        return _log_in(user)
    counts.failed(key)
    keep()
    form.code.errors = [two_factor.code_message()]
    return render_template("accounts/login_code.html", form=form), 401


def _identity_refused(form: IdentityForm, user: User) -> int | None:
    """Check that the password and current code in ``form`` are ``user``'s; else the status.

    What is wrong is marked beside its field and counts toward the account's
    lockout (400); a locked-out account is refused without checking (429),
    saying when to try again.
    """
    counts = throttle(db.session(), current_app.config.get("RATELIMIT_STORAGE_URI"))
    key = account_key(user.email)
    wait = counts.wait(key)
    if wait:
        minutes = max(1, math.ceil(wait / 60))
        form.password.errors = [
            ngettext(
                "Too many attempts. Try again in about a minute.",
                "Too many attempts. Try again in about %(minutes)s minutes.",
                minutes,
                minutes=formatting.integer(minutes),
            )
        ]
        return 429
    wrong = two_factor.confirm_identity(
        db.session(), user, form.password.data, form.current_code.data
    )
    if wrong is None:
        return None
    counts.failed(key)
    if wrong == "password":
        form.password.errors = [gettext("That is not your password.")]
    else:
        form.current_code.errors = [two_factor.code_message()]
    return 400


def _start_again(user: User) -> None:
    """End every session of ``user`` (perhaps one of whom the change keeps out); start one here."""
    sessions.end_all_of_user(db.session(), user.id)
    finish_login(user)


def _setup_key() -> str:
    """Return this browser's key to the secret it sets up (:func:`.two_factor.pending_secret`)."""
    key = session.get(SETUP_KEY)
    if not isinstance(key, str) or len(key) != 43:
        key = session[SETUP_KEY] = secrets.token_urlsafe(32)
    return key


@bp.route("/two-factor", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
def enrol():
    """Set up two-factor login: show a new secret, then turn it on with its first code.

    Open to a logged-in staff user and to an admin whose password was right
    but who must set it up first (``ELICIT_REQUIRE_ADMIN_2FA``). An admin who
    already has it is sent to the code page: a right password alone must not
    let anyone replace the secret and so skip the code. A logged-in user who
    has it gives their password and a code of the current app as well. The
    secret is shown only to the browser that asked for it.
    """
    logging_in = not current_user.is_authenticated
    found = _pending_user() if logging_in else actor()
    if found is None or (logging_in and not _required(found)):
        flash(gettext("Please log in to see that page."))
        return redirect(url_for("accounts.login"))
    if logging_in and found.totp_secret is not None:
        return redirect(url_for("two_factor.code"))
    user: User = found
    key = _setup_key()
    secret = two_factor.pending_secret(user, key)
    if secret is None:
        with write_transaction() as writing:
            secret = two_factor.new_pending_secret(writing, user, key)
    replacing = user.totp_secret is not None
    form = NewAppForm() if replacing else CodeForm()
    status = 200
    if form.validate_on_submit():
        if two_factor.matching_step(secret, form.code.data) is None:
            form.code.errors = [two_factor.code_message()]
        elif replacing and (refused := _identity_refused(form, user)):
            status = refused
        else:
            two_factor.enable(db.session(), user, key, form.code.data)
            if logging_in:
                return _log_in(user)
            _start_again(user)
            flash(gettext("Two-factor login is on: each login now asks for a code."))
            return redirect(url_for("facilitating.index"))
    if form.errors:
        keep()
        status = max(status, 400)
    page = render_template(
        "accounts/two_factor.html",
        form=form,
        secret=secret,
        uri=two_factor.provisioning_uri(secret, user.email),
        enabled=replacing,
    )
    return page, status


@bp.route("/two-factor/off", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
@login_required
def turn_off():
    """Turn two-factor login off, with the password and a code of the current app.

    An admin who must have it (``ELICIT_REQUIRE_ADMIN_2FA``) is told so (403 on posting).
    """
    user = actor()
    if user.totp_secret is None:
        flash(gettext("Two-factor login is off already."))
        return redirect(url_for("two_factor.enrol"))
    required = _required(user)
    form = IdentityForm()
    status = 403 if required and request.method == "POST" else 200
    if not required and form.validate_on_submit():
        refused = _identity_refused(form, user)
        if refused is None:
            two_factor.disable(db.session(), user)
            _start_again(user)
            flash(gettext("Two-factor login is off: logging in asks only for your password."))
            return redirect(url_for("facilitating.index"))
        status = refused
    if form.errors and not required:
        keep()
        status = max(status, 400)
    page = render_template("accounts/two_factor_off.html", form=form, required=required)
    return page, status
