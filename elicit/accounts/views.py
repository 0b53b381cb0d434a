"""Login and logout pages for staff users."""

from __future__ import annotations

import math
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_limiter import RateLimitExceeded
from flask_login import current_user, logout_user

from elicit.accounts import sessions
from elicit.accounts.forms import LoginForm
from elicit.accounts.models import Role, User
from elicit.accounts.services import authenticate
from elicit.accounts.throttle import account_key, throttle
from elicit.accounts.two_factor_views import await_code, finish_login
from elicit.extensions import db, limiter, login_manager
from elicit.unit_of_work import keep
from elicit.web import parse_id, retry_minutes

bp = Blueprint("accounts", __name__)

login_manager.login_view = "accounts.login"
login_manager.login_message = _l("Please log in to see that page.")
login_manager.localize_callback = str  # the lazy message, in the language of the refused request
login_manager.session_protection = "strong"


def role_name(role: Role) -> str:
    """Name a staff user's role in the page's language (the header shows it beside the name)."""
    if role is Role.ADMIN:
        # TRANSLATORS: a staff role: manages users.
        return gettext("admin")
    if role is Role.FACILITATOR:
        # TRANSLATORS: a staff role: runs studies.
        return gettext("facilitator")
    # TRANSLATORS: a staff role: reads results.
    return gettext("analyst")


@bp.app_context_processor
def _role_words() -> dict[str, object]:
    """Give every template :func:`role_name` (the header of every page uses it)."""
    return {"role_name": role_name}


@login_manager.user_loader
def _load_user(user_id: str) -> User | None:
    """Return the logged-in user from the id Flask-Login keeps in the session.

    A deactivated account loads as nobody, so a session it already had ends on
    its next request: the page asks for a login, which the account no longer passes.
    """
    number = parse_id(user_id)
    user = db.session.get(User, number) if number is not None else None
    return user if user is not None and user.active else None


def _safe_next(target: str | None) -> str | None:
    """Return ``target`` if it is a path on this site, else ``None`` (no open redirects)."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
def login():
    """Show the login form; on valid credentials start a session and go on.

    A user with two-factor login (or an admin who must have it) goes on to
    the code page (:mod:`.two_factor_views`) instead of being logged in.
    An address locked out by its failed logins (:mod:`elicit.accounts.throttle`)
    is refused (429) without its password being checked, saying when to try again.
    """
    if current_user.is_authenticated:
        return redirect(url_for("facilitating.index"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        counts = throttle(db.session(), current_app.config.get("RATELIMIT_STORAGE_URI"))
        key = account_key(form.email.data)
        wait = counts.wait(key)
        if wait:
            minutes = max(1, math.ceil(wait / 60))
            return render_template("accounts/login.html", form=form, retry_minutes=minutes), 429
        user = authenticate(db.session(), form.email.data, form.password.data)
        if user is not None:
            target = _safe_next(request.args.get("next")) or url_for("facilitating.index")
            if user.totp_secret is not None or (
                user.role is Role.ADMIN and current_app.config.get("REQUIRE_ADMIN_2FA")
            ):
                return await_code(user, target)
            counts.succeeded(key)
            finish_login(user)
            return redirect(target)
        counts.failed(key)
        keep()
        form.form_errors.append(gettext("The e-mail address or password is not right."))
        status = 401
    elif request.method == "POST":
        status = 400
    return render_template("accounts/login.html", form=form), status


@bp.errorhandler(RateLimitExceeded)
def _too_many_attempts(error: RateLimitExceeded) -> tuple[str, int]:
    """Show the login form again (the typed e-mail address kept), saying when to try again.

    The wait is read from the limit that was hit, to the nearest minute,
    so the page says "about a minute" rather than the limit's "10 per 1 minute".
    """
    page = render_template("accounts/login.html", form=LoginForm(), retry_minutes=retry_minutes())
    return page, 429


@bp.route("/logout", methods=["POST"])
def logout():
    """End the staff session, on the server too: the cookie, or a copy of it, lets nobody in."""
    logout_user()
    sessions.finish(db.session())
    flash(gettext("You are logged out."))
    return redirect(url_for("accounts.login"))
