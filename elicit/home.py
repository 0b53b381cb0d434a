"""The front page: where a visitor lands at ``/``."""

from flask import Blueprint, redirect, url_for
from flask_login import current_user

bp = Blueprint("home", __name__)


@bp.route("/")
def index():
    """Send staff to their console and everyone else to the login page."""
    if current_user.is_authenticated:
        return redirect(url_for("facilitating.index"))
    return redirect(url_for("accounts.login"))
