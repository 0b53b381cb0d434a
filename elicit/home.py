"""The front page where a visitor lands (``/``), and the icon browsers ask for (favicon.ico)."""

from flask import Blueprint, current_app, redirect, send_from_directory, url_for
from flask_login import current_user

bp = Blueprint("home", __name__)


@bp.route("/")
def index():
    """Send staff to their console and everyone else to the login page."""
    if current_user.is_authenticated:
        return redirect(url_for("facilitating.index"))
    return redirect(url_for("accounts.login"))


@bp.route("/favicon.ico")
def favicon():
    """Serve the site's icon where browsers look for it without a ``<link rel="icon">``."""
    return send_from_directory(
        current_app.static_folder or "static", "favicon.ico", mimetype="image/vnd.microsoft.icon"
    )
