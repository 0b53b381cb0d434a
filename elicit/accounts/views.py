"""Login and logout pages for staff users."""

from __future__ import annotations

from functools import wraps
from urllib.parse import urlsplit

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from elicit.accounts.forms import LoginForm
from elicit.accounts.models import Role, User
from elicit.accounts.services import authenticate
from elicit.extensions import db, limiter, login_manager

bp = Blueprint("accounts", __name__)

login_manager.login_view = "accounts.login"
login_manager.login_message = "Please log in to see that page."
login_manager.session_protection = "strong"


@login_manager.user_loader
def _load_user(user_id: str) -> User | None:
    """Return the logged-in user from the id Flask-Login keeps in the session."""
    return db.session.get(User, int(user_id)) if user_id.isdigit() else None


def roles_required(*roles: Role):
    """Restrict a view to logged-in staff holding one of ``roles`` (admins always pass)."""

    def decorator(view):
        """Wrap ``view`` with the login and role checks."""

        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            """Refuse (403) a user without one of the roles."""
            if current_user.role is not Role.ADMIN and current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


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
    """Show the login form; on valid credentials start a session and go on."""
    if current_user.is_authenticated:
        return redirect(url_for("facilitate.index"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        user = authenticate(db.session, form.email.data, form.password.data)
        if user is not None:
            session.permanent = True
            login_user(user)
            return redirect(_safe_next(request.args.get("next")) or url_for("facilitate.index"))
        form.form_errors.append("The e-mail address or password is not right.")
        status = 401
    elif request.method == "POST":
        status = 400
    return render_template("accounts/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
def logout():
    """End the staff session."""
    logout_user()
    flash("You are logged out.")
    return redirect(url_for("accounts.login"))
