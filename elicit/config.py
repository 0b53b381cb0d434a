"""Every setting elicit reads, taken from ``ELICIT_*`` environment variables.

This is the only module that looks at the environment. :func:`load` returns a
plain dict that :func:`elicit.create_app` puts into ``app.config``; tests pass
their own overrides on top of it.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

PREFIX = "ELICIT_"


def _env(name: str, default: str | None = None) -> str | None:
    """Return the environment variable ``ELICIT_<name>``, or ``default`` if unset or blank."""
    value = os.environ.get(PREFIX + name, "").strip()
    return value or default


def _secret_key(instance_path: Path) -> str:
    """Return the secret key: from ``ELICIT_SECRET_KEY``, else from ``instance/secret_key``.

    On first start the file is created with a fresh random key, readable by its
    owner only, so sessions survive restarts and no key is ever written in code.
    """
    configured = _env("SECRET_KEY")
    if configured:
        return configured
    key_file = instance_path / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    key = secrets.token_urlsafe(48)
    write_private(key_file, key)
    return key


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` (replacing it) so that only its owner can read it (mode 0600)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)


def instance_path(default: Path) -> Path:
    """Return the instance folder (database, secret key, demo credentials).

    ``ELICIT_INSTANCE_PATH`` overrides ``default`` (the project's ``instance/``).
    """
    configured = _env("INSTANCE_PATH")
    return Path(configured).resolve() if configured else default


def load(instance_path: Path) -> dict:
    """Read the configuration for an app whose instance folder is ``instance_path``.

    Settings (all optional):

    ``ELICIT_DATABASE_URL``
        SQLAlchemy URL; default a SQLite file ``instance/elicit.sqlite3``.
    ``ELICIT_SECRET_KEY``
        Signs sessions and CSRF tokens; default generated into ``instance/``.
    ``ELICIT_SESSION_LIFETIME_HOURS``
        How long a login or an expert's session lasts (default 12).
    ``ELICIT_BASE_URL``
        The public address invitation links are built on (default
        ``http://127.0.0.1:5000``). Links are never built from the request's
        Host header. An ``https`` base URL makes cookies Secure.
    ``ELICIT_RATELIMIT_STORAGE_URL``
        Where rate-limit counters live, e.g. ``redis://127.0.0.1:6379/0``
        (default: in memory, per process).
    """
    database_url = _env("DATABASE_URL") or f"sqlite:///{instance_path / 'elicit.sqlite3'}"
    base_url = (_env("BASE_URL") or "http://127.0.0.1:5000").rstrip("/")
    if urlsplit(base_url).scheme not in {"http", "https"}:
        raise ValueError(f"{PREFIX}BASE_URL must start with http:// or https://, got {base_url!r}")
    try:
        lifetime_hours = float(_env("SESSION_LIFETIME_HOURS") or 12)
    except ValueError as error:
        raise ValueError(f"{PREFIX}SESSION_LIFETIME_HOURS must be a number: {error}") from None
    secure = base_url.startswith("https://")
    return {
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": _secret_key(instance_path),
        "BASE_URL": base_url,
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=lifetime_hours),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": secure,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": secure,
        "REMEMBER_COOKIE_HTTPONLY": True,
        # A CSRF token lives as long as the session, so a form left open for
        # hours still saves (Flask-WTF's default would expire it after one hour).
        "WTF_CSRF_TIME_LIMIT": None,
        # A whole round's answers with long rationales fits in well under 4 MB.
        "MAX_CONTENT_LENGTH": 4 * 1024 * 1024,
        "RATELIMIT_STORAGE_URI": _env("RATELIMIT_STORAGE_URL") or "memory://",
        "RATELIMIT_HEADERS_ENABLED": True,
    }
