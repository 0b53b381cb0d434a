"""elicit: structured expert elicitation (multi-round anonymous Delphi studies)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask, Response, abort, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

PROJECT_ROOT = Path(__file__).resolve().parent.parent

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # Invitation links carry a token: never leak a URL to another site.
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; "
        "script-src 'self'; frame-ancestors 'none'; form-action 'self'"
    ),
}


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the elicit application.

    ``config`` overrides the settings read from ``ELICIT_*`` environment
    variables (see :mod:`elicit.config`); tests use it to point at their own
    database and instance folder (key ``INSTANCE_PATH``).
    """
    from elicit import config as settings
    from elicit import db as database
    from elicit.extensions import csrf, db, limiter, login_manager, migrate

    overrides = dict(config or {})
    instance_path = overrides.pop("INSTANCE_PATH", None) or str(
        settings.instance_path(PROJECT_ROOT / "instance")
    )
    app = Flask(
        __name__,
        instance_path=instance_path,
        template_folder=str(PROJECT_ROOT / "templates"),
    )
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.update(settings.load(Path(app.instance_path)))
    app.config.update(overrides)

    db.init_app(app)
    database.init_app(app)
    migrate.init_app(
        app,
        db,
        directory=str(PROJECT_ROOT / "migrations"),
        render_as_batch=True,
        compare_type=True,
    )
    csrf.init_app(app)
    login_manager.init_app(app)
    limiter.init_app(app)

    _register_models()
    _register_blueprints(app)
    _register_commands(app)
    _register_error_handlers(app)

    @app.before_request
    def _refuse_nul_characters():  # noqa: ANN202
        """Refuse a NUL character in the path, query or form (PostgreSQL cannot store one).

        An expert's form is answered with everything it carried listed back.
        """
        fields = [*request.args.listvalues(), *request.form.listvalues()]
        if "\x00" in request.path or any("\x00" in v for values in fields for v in values):
            message = "The request contains a NUL character, which is never valid here."
            if request.blueprint == "expert":
                from elicit.answering.views import session_ended

                return session_ended(f"{message} Nothing was saved.", status=400)
            abort(400, message)

    @app.after_request
    def _security_headers(response: Response) -> Response:
        """Add the headers every response carries (see ``SECURITY_HEADERS``)."""
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    return app


def _register_models() -> None:
    """Import every feature's models so the metadata (and Alembic) knows all tables."""
    from elicit import audit  # noqa: F401
    from elicit.accounts import models as _accounts  # noqa: F401
    from elicit.judgments import models as _judgments  # noqa: F401
    from elicit.panels import models as _panels  # noqa: F401
    from elicit.rounds import models as _rounds  # noqa: F401
    from elicit.studies import models as _studies  # noqa: F401


def _register_blueprints(app: Flask) -> None:
    """Attach one blueprint per feature."""
    from elicit.accounts.views import bp as accounts
    from elicit.answering.views import bp as expert
    from elicit.home import bp as home
    from elicit.studies.views import bp as facilitate

    app.register_blueprint(home)
    app.register_blueprint(accounts)
    app.register_blueprint(facilitate)
    app.register_blueprint(expert)


def _register_commands(app: Flask) -> None:
    """Attach each feature's command group to ``flask``/``elicit``."""
    from elicit.accounts.cli import users
    from elicit.analysis.cli import COMMANDS as analysis_commands
    from elicit.demo.cli import demo
    from elicit.studies.cli import questions

    for command in analysis_commands:
        app.cli.add_command(command)
    app.cli.add_command(users)
    app.cli.add_command(questions)
    app.cli.add_command(demo)


def _register_error_handlers(app: Flask) -> None:
    """Answer every HTTP error with a page, or ``{"error": {...}}`` for JSON clients."""

    def respond(status: int, code: str, message: str):
        """Render the error as JSON for API and JSON clients, else as a page."""
        wants_json = request.is_json or request.accept_mimetypes.best == "application/json"
        if wants_json or request.path.startswith("/api/"):
            return jsonify({"error": {"code": code, "message": message}}), status
        return render_template("error.html", status=status, message=message), status

    @app.errorhandler(CSRFError)
    def _csrf(error: CSRFError):
        """Explain a refused form in words, not as a bare 400.

        An expert's form is refused when the session that signed it has ended;
        the expert then gets back everything the form carried.
        """
        if request.blueprint == "expert":
            from elicit.answering.views import form_refused

            return form_refused()
        return respond(
            400,
            "csrf_failed",
            "This form could not be accepted because it was not sent from this site or your "
            "session ended. Go back, reload the page and send it again.",
        )

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException):
        """Answer any HTTP error through ``respond``."""
        code = (error.name or "error").lower().replace(" ", "_")
        return respond(error.code or 500, code, error.description or error.name)
