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
        How long a login or an expert's session lasts at most, however busy
        (default 12): the absolute timeout.
    ``ELICIT_SESSION_IDLE_MINUTES``
        A session not used for this long ends (default 120): the idle timeout.
        An expert's answer page saves its drafts as they are typed, which
        counts as use; a page left longer saves again once its expert has
        opened their invitation link anew.
    ``ELICIT_REQUIRE_ADMIN_2FA``
        ``true`` makes two-factor login (an authenticator app's code after the
        password) required for admins: an admin without it is sent to set it
        up right after their password (default ``false``: optional for all staff).
    ``ELICIT_BASE_URL``
        The public address invitation links are built on (default
        ``http://127.0.0.1:5000``). Links are never built from the request's
        Host header. An ``https`` base URL makes cookies Secure.
    ``ELICIT_RATELIMIT_STORAGE_URL``
        Where rate-limit counters live, e.g. ``redis://127.0.0.1:6379/0``
        (default: in memory, per process).
    ``ELICIT_SMTP_HOST``, ``_PORT``, ``_USER``, ``_PASSWORD``, ``_STARTTLS``, ``_FROM``
        The SMTP server invitations and reminders are sent through. Without a
        host nothing is sent: messages wait in each study's outbox page. The
        port defaults to 587; ``STARTTLS`` (default ``true``) upgrades the
        connection before logging in; ``FROM`` (required with a host) is the
        sender's address, e.g. ``Elicit <elicit@example.org>``.
    ``ELICIT_REDIS_URL``
        With it, each queued e-mail is handed to an RQ worker on this Redis
        (``rq worker elicit-mail``); without it, ``make run`` runs a sender
        loop beside the server, and ``elicit mail send`` works from cron.
    ``ELICIT_CONTACT_RETENTION_DAYS``
        How many days after a study is archived its experts' names and e-mail
        addresses are kept; ``elicit retention apply`` (daily from cron) erases
        them after that. Unset: kept until erased on request.
    ``ELICIT_TRUSTED_PROXIES``
        How many reverse proxies (nginx, a load balancer) stand in front of
        the app and set ``X-Forwarded-For`` and ``X-Forwarded-Proto``
        (default 0: the headers are ignored, since anyone could send them).
        The client's address (rate limits) and whether the request came over
        HTTPS are then read from those headers, trusting that many hops.
    ``ELICIT_HSTS_SECONDS``
        The ``max-age`` of the ``Strict-Transport-Security`` header sent with
        every response served over HTTPS (default 31536000, a year; 0 sends
        none).
    """
    database_url = _env("DATABASE_URL") or f"sqlite:///{instance_path / 'elicit.sqlite3'}"
    base_url = (_env("BASE_URL") or "http://127.0.0.1:5000").rstrip("/")
    if urlsplit(base_url).scheme not in {"http", "https"}:
        raise ValueError(f"{PREFIX}BASE_URL must start with http:// or https://, got {base_url!r}")
    try:
        lifetime_hours = float(_env("SESSION_LIFETIME_HOURS") or 12)
    except ValueError as error:
        raise ValueError(f"{PREFIX}SESSION_LIFETIME_HOURS must be a number: {error}") from None
    retention = _env("CONTACT_RETENTION_DAYS")
    if retention is not None and not (retention.isascii() and retention.isdigit()):
        raise ValueError(
            f"{PREFIX}CONTACT_RETENTION_DAYS must be a whole number of days, got {retention!r}"
        )
    try:
        idle_minutes = float(_env("SESSION_IDLE_MINUTES") or 120)
    except ValueError as error:
        raise ValueError(f"{PREFIX}SESSION_IDLE_MINUTES must be a number: {error}") from None
    secure = base_url.startswith("https://")
    return {
        **_proxies(),
        **_smtp(),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": _secret_key(instance_path),
        "BASE_URL": base_url,
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=lifetime_hours),
        "SESSION_IDLE_TIMEOUT": timedelta(minutes=idle_minutes),
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
        # A panel file of up to 1 MB is carried from its preview to the confirmation
        # in a form field, which Werkzeug would otherwise refuse above 500 kB.
        "MAX_FORM_MEMORY_SIZE": 2 * 1024 * 1024,
        "REDIS_URL": _env("REDIS_URL"),
        "CONTACT_RETENTION_DAYS": int(retention) if retention is not None else None,
        # Statements' parameters (an expert's rationale, a password hash) never
        # reach a log or an error message, even with SQLAlchemy's logging on.
        "SQLALCHEMY_ENGINE_OPTIONS": {"hide_parameters": True},
        "REQUIRE_ADMIN_2FA": _flag("REQUIRE_ADMIN_2FA", False),
    }


def _whole_number(name: str, default: int) -> int:
    """Read ``ELICIT_<name>`` as a whole number of at least 0."""
    text = _env(name)
    if text is None:
        return default
    if not text.isdigit():
        raise ValueError(f"{PREFIX}{name} must be a whole number of at least 0, got {text!r}")
    return int(text)


def _proxies() -> dict:
    """Read ``ELICIT_TRUSTED_PROXIES`` and ``ELICIT_HSTS_SECONDS`` (see :func:`load`)."""
    return {
        "TRUSTED_PROXIES": _whole_number("TRUSTED_PROXIES", 0),
        "HSTS_SECONDS": _whole_number("HSTS_SECONDS", 365 * 24 * 3600),
    }


def server() -> dict:
    """Read how gunicorn serves the app (``deploy/gunicorn.conf.py`` uses these).

    ``ELICIT_BIND``
        Where gunicorn listens (default ``127.0.0.1:8000``; nginx in front).
    ``ELICIT_WORKERS``
        Worker processes (default twice the processors plus one).
    ``ELICIT_THREADS``
        Threads per worker (default 4); each thread may hold a database connection.
    ``ELICIT_TIMEOUT``
        Seconds a request may run before its worker is restarted (default 30).
    ``ELICIT_ACCESS_LOG``, ``ELICIT_ERROR_LOG``
        Files gunicorn logs requests and errors to (default ``-``: standard
        output and standard error, where systemd's journal and Docker collect them).
    ``ELICIT_LOG_LEVEL``
        gunicorn's error log level (default ``info``).
    """
    processors = os.cpu_count() or 1
    return {
        "bind": _env("BIND") or "127.0.0.1:8000",
        "workers": max(1, _whole_number("WORKERS", 2 * processors + 1)),
        "threads": max(1, _whole_number("THREADS", 4)),
        "timeout": max(1, _whole_number("TIMEOUT", 30)),
        "accesslog": _env("ACCESS_LOG") or "-",
        "errorlog": _env("ERROR_LOG") or "-",
        "loglevel": (_env("LOG_LEVEL") or "info").lower(),
    }


def _flag(name: str, default: bool) -> bool:
    """Read ``ELICIT_<name>`` as yes or no (``true``/``false``, ``1``/``0``, ``yes``/``no``)."""
    value = (_env(name) or "").lower()
    if not value:
        return default
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ValueError(f"{PREFIX}{name} must be true or false, got {value!r}")


def _smtp() -> dict:
    """Read the ``ELICIT_SMTP_*`` settings (see :func:`load`)."""
    host = _env("SMTP_HOST")
    sender = _env("SMTP_FROM")
    if host and not sender:
        raise ValueError(f"{PREFIX}SMTP_FROM is required when {PREFIX}SMTP_HOST is set")
    try:
        port = int(_env("SMTP_PORT") or 587)
    except ValueError as error:
        raise ValueError(f"{PREFIX}SMTP_PORT must be a whole number: {error}") from None
    return {
        "SMTP_HOST": host,
        "SMTP_PORT": port,
        "SMTP_USER": _env("SMTP_USER"),
        "SMTP_PASSWORD": _env("SMTP_PASSWORD"),
        "SMTP_STARTTLS": _flag("SMTP_STARTTLS", True),
        "SMTP_FROM": sender,
    }
