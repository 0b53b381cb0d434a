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
    ``ELICIT_WORKERS``, ``ELICIT_THREADS``, ``ELICIT_TIMEOUT``
        The web server's processes, threads per process and worker timeout
        in seconds (see :func:`server`); the database pool follows them (see
        :func:`database`).
    ``ELICIT_DB_POOL_SIZE``, ``ELICIT_DB_MAX_OVERFLOW``, ``ELICIT_DB_POOL_TIMEOUT``
        Connections each process keeps open, how many more it may open at
        a peak, and how long a request waits for one (seconds).
    ``ELICIT_DB_MAX_CONNECTIONS``
        How many connections the database server lets elicit open in all
        (default 90: PostgreSQL's 100 less a few for administration).
    ``ELICIT_DB_BUSY_TIMEOUT``
        How long (seconds) a write waits for a lock before the request is
        answered 503 "busy, try again" (default 15).
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
        **database(),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": _secret_key(instance_path),
        "BASE_URL": base_url,
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=lifetime_hours),
        "SESSION_IDLE_TIMEOUT": timedelta(minutes=idle_minutes),
        "SESSION_COOKIE_HTTPONLY": True,
        # The cookie is sent again only when its session changed (its last-seen
        # time changes at most once a minute: elicit.accounts.sessions), not
        # signed anew on every response; what a session may last is the server's.
        "SESSION_REFRESH_EACH_REQUEST": False,
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
    workers, threads, timeout = _server_size()
    return {
        "bind": _env("BIND") or "127.0.0.1:8000",
        "workers": workers,
        "threads": threads,
        "timeout": int(timeout),
        "accesslog": _env("ACCESS_LOG") or "-",
        "errorlog": _env("ERROR_LOG") or "-",
        "loglevel": (_env("LOG_LEVEL") or "info").lower(),
    }


def _number(name: str, default: float, *, whole: bool = False, least: float = 0) -> float:
    """Read ``ELICIT_<name>`` as a number at least ``least`` (a whole one if ``whole``)."""
    text = _env(name)
    if text is None:
        return default
    try:
        value = int(text) if whole else float(text)
    except ValueError:
        kind = "a whole number" if whole else "a number"
        raise ValueError(f"{PREFIX}{name} must be {kind}, got {text!r}") from None
    if value < least:
        raise ValueError(f"{PREFIX}{name} must be at least {least}, got {text!r}")
    return value


def _server_size() -> tuple[int, int, float]:
    """Read the web server's processes, threads per process and worker timeout (seconds)."""
    processors = os.cpu_count() or 1
    workers = int(_number("WORKERS", 2 * processors + 1, whole=True, least=1))
    threads = int(_number("THREADS", 4, whole=True, least=1))
    return workers, threads, _number("TIMEOUT", 30, least=1)


def database() -> dict:
    """Read the web server's size and the database pool and lock settings (see :func:`load`).

    Each thread of a web process serves one request at a time and a request
    uses one connection, so a process keeps as many connections as it has
    threads (``DB_POOL_SIZE``), and may open ``DB_MAX_OVERFLOW`` more for a
    peak (a download streaming, a command run in the process). The default
    pool is cut down so that every process's pool and overflow together stay
    within ``DB_MAX_CONNECTIONS``; sizes set explicitly beyond it are refused.
    A request waits at most ``DB_POOL_TIMEOUT`` for a connection and
    ``DB_BUSY_TIMEOUT`` for a lock, together less than the worker timeout,
    so a busy database is answered 503 before the server kills the worker.
    """
    workers, threads, worker_timeout = _server_size()
    budget = int(_number("DB_MAX_CONNECTIONS", 90, whole=True, least=1))
    overflow = int(_number("DB_MAX_OVERFLOW", 2, whole=True))
    share = max(1, budget // workers - overflow)
    pool_size = int(_number("DB_POOL_SIZE", min(threads, share), whole=True, least=1))
    if workers * (pool_size + overflow) > budget:
        raise ValueError(
            f"{workers} web workers with {PREFIX}DB_POOL_SIZE={pool_size} and "
            f"{PREFIX}DB_MAX_OVERFLOW={overflow} may open {workers * (pool_size + overflow)} "
            f"connections, more than {PREFIX}DB_MAX_CONNECTIONS={budget}"
        )
    pool_timeout = _number("DB_POOL_TIMEOUT", 10, least=0.1)
    busy_timeout = _number("DB_BUSY_TIMEOUT", 15, least=0.001)
    if pool_timeout + busy_timeout >= worker_timeout:
        raise ValueError(
            f"{PREFIX}DB_POOL_TIMEOUT ({pool_timeout:g} s) and {PREFIX}DB_BUSY_TIMEOUT "
            f"({busy_timeout:g} s) together must be shorter than {PREFIX}TIMEOUT "
            f"({worker_timeout:g} s), so a busy database is answered before the worker is killed"
        )
    return {
        "WEB_WORKERS": workers,
        "WEB_THREADS": threads,
        "WEB_TIMEOUT": worker_timeout,
        "DB_POOL_SIZE": pool_size,
        "DB_MAX_OVERFLOW": overflow,
        "DB_POOL_TIMEOUT": pool_timeout,
        "DB_BUSY_TIMEOUT": busy_timeout,
    }


def engine_options(config: dict) -> dict:
    """Return SQLAlchemy's engine options for the database and pool ``config`` describes.

    A pool of ``DB_POOL_SIZE`` connections; on a database server each is
    checked before use, so one the server dropped (at a restart, say) is
    replaced rather than failing a request. An in-memory SQLite database
    keeps Flask-SQLAlchemy's own pool.
    """
    url = str(config["SQLALCHEMY_DATABASE_URI"])
    sqlite = url.startswith("sqlite")
    # Statements' parameters (an expert's rationale, a password hash) never
    # reach a log or an error message, even with SQLAlchemy's logging on.
    private = {"hide_parameters": True}
    if sqlite and (":memory:" in url or url.rstrip("/") == "sqlite:"):
        return private
    return {
        **private,
        "pool_size": config["DB_POOL_SIZE"],
        "max_overflow": config["DB_MAX_OVERFLOW"],
        "pool_timeout": config["DB_POOL_TIMEOUT"],
        "pool_pre_ping": not sqlite,
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
