"""The application factory: :func:`create_app` builds the web app, a blueprint per user area."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from elicit import PROJECT_ROOT

if TYPE_CHECKING:
    from flask import Flask


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the elicit application.

    Only what serving pages needs is loaded here: migrations, NumPy and SciPy
    load where they are used. ``config`` overrides the settings read from ``ELICIT_*`` environment
    variables (see :mod:`elicit.config`); tests use it to point at their own
    database and instance folder (key ``INSTANCE_PATH``).
    """
    from flask import Flask

    from elicit import config as settings
    from elicit import formatting, i18n, redaction, unit_of_work, web
    from elicit.accounts import sessions
    from elicit.extensions import csrf, db, limiter, login_manager

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
    create_private_sqlite(app.config["SQLALCHEMY_DATABASE_URI"])
    redaction.init_app(app)
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", settings.engine_options(app.config))

    db.init_app(app)
    unit_of_work.init_app(app)
    sessions.init_app(app)
    csrf.init_app(app)
    login_manager.init_app(app)
    limiter.init_app(app)
    i18n.init_app(app)
    formatting.init_app(app)

    _register_models()
    web.init_app(app)
    _register_blueprints(app)
    return app


def warm(app: Flask) -> None:
    """Make ``app``'s process ready for its first requests: import the core, compile templates.

    Otherwise the first answer page a new web worker serves takes about two
    seconds more (SciPy's import and every template's compilation), and a
    worker replaced after ``max_requests`` would make one expert wait for it
    again. ``deploy/gunicorn.conf.py`` calls this in each new worker before
    it takes requests.

    What is loaded by then (modules, compiled templates: about 177,000
    objects) is set aside from the garbage collector (``gc.freeze``): the
    worker keeps it for life, and each full collection otherwise walked all
    of it again, 82 ms once every few hundred answer pages (0.28 ms a page,
    measured in process on PostgreSQL).
    """
    import gc

    from elicit.analysis import preload

    preload()
    environment = app.jinja_env
    for name in environment.list_templates(extensions=["html"]):
        environment.get_template(name)
    gc.collect()
    gc.freeze()


def create_private_sqlite(url: str) -> None:
    """Create the SQLite database file of ``url``, empty and readable by its owner only (0600).

    SQLite would create it with the process's umask (often world-readable);
    an empty file is a valid new database, and SQLite gives its ``-wal`` and
    ``-shm`` files the database file's mode. An existing file, an in-memory
    database and other databases are left as they are. Every command that
    builds the app (``elicit db upgrade`` first) goes through here.
    """
    import os

    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    name = parsed.database
    if parsed.get_backend_name() != "sqlite" or not name or name == ":memory:":
        return
    if name.startswith("file:") or parsed.query.get("mode") == "memory":
        return
    path = Path(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        return


def _register_models() -> None:
    """Import every feature's models so the metadata (and Alembic) knows all tables."""
    from elicit import audit  # noqa: F401
    from elicit.accounts import models as _accounts  # noqa: F401
    from elicit.analysis import models as _analysis  # noqa: F401
    from elicit.judgments import models as _judgments  # noqa: F401
    from elicit.mail import models as _mail  # noqa: F401
    from elicit.panels import models as _panels  # noqa: F401
    from elicit.rounds import models as _rounds  # noqa: F401
    from elicit.stopping import models as _stopping  # noqa: F401
    from elicit.studies import models as _studies  # noqa: F401


def _register_blueprints(app: Flask) -> None:
    """Attach one blueprint per feature."""
    from elicit.accounts.two_factor_views import bp as two_factor
    from elicit.accounts.views import bp as accounts
    from elicit.analysing import bp as analysing
    from elicit.answering import bp as answering
    from elicit.facilitating import bp as facilitating
    from elicit.facilitating.password_reset import bp as password
    from elicit.home import bp as home
    from elicit.i18n import bp as language

    app.register_blueprint(home)
    app.register_blueprint(accounts)
    app.register_blueprint(two_factor)
    app.register_blueprint(facilitating)
    app.register_blueprint(password)
    app.register_blueprint(analysing)
    app.register_blueprint(answering)
    app.register_blueprint(language)
