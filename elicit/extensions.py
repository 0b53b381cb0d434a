"""Flask extensions, created unbound and attached to an app in :func:`elicit.create_app`.

Flask-Migrate (and Alembic under it) is not among them: only the ``elicit db``
commands and the tests use it, so :func:`init_migrations` attaches it on demand.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from elicit.db import Base

if TYPE_CHECKING:
    from flask import Flask

db = SQLAlchemy(model_class=Base)
csrf = CSRFProtect()
login_manager = LoginManager()
limiter = Limiter(key_func=get_remote_address)


def init_migrations(app: Flask) -> Flask:
    """Attach Flask-Migrate to ``app``, reading the project's ``migrations/``; return ``app``."""
    from flask_migrate import Migrate

    from elicit import PROJECT_ROOT

    Migrate(
        app,
        db,
        directory=str(PROJECT_ROOT / "migrations"),
        render_as_batch=True,
        compare_type=True,
    )
    return app
