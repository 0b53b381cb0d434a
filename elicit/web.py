"""What every page and request shares: bounded ids, refused NULs, proxies, headers, error pages.

A database too busy to take a write in time (:func:`elicit.unit_of_work.is_busy`)
is answered 503 with ``Retry-After`` (:func:`busy_response`), never 500.

Ids arrive in URLs (``/judgments/<int:judgment_id>``) and in form field names
(``q12-probability``). The database stores them as integers that overflow at
2^31 on PostgreSQL (2^63 on SQLite), so a larger number is refused before any
query is made: 404 for a URL, ``None`` from :func:`parse_id` for a field name,
never a 500.
"""

from __future__ import annotations

import re
import time

import sqlalchemy as sa
from flask import Flask, Response, jsonify, make_response, render_template, request
from flask_babel import gettext, lazy_gettext
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import (
    BadRequest,
    HTTPException,
    InternalServerError,
    default_exceptions,
)
from werkzeug.routing import IntegerConverter

from elicit.unit_of_work import RETRY_AFTER_SECONDS, is_busy, read_only_from_now

ID_MAX = 2**31 - 1
"""The largest id (or round number) a URL or field name may carry: PostgreSQL's INTEGER."""

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # Invitation links carry a token: never leak a URL to another site.
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; "
        "script-src 'self'; frame-ancestors 'none'; form-action 'self'; "
        "object-src 'none'; base-uri 'none'"
    ),
}

_DIGITS = re.compile(r"[0-9]{1,10}")


class BoundedIntegerConverter(IntegerConverter):
    """Werkzeug's ``int`` converter, refusing (404) numbers above :data:`ID_MAX`."""

    def __init__(self, map, *args, **kwargs) -> None:  # noqa: A002, ANN001, ANN002, ANN003
        kwargs.setdefault("max", ID_MAX)
        super().__init__(map, *args, **kwargs)


def parse_id(text: str) -> int | None:
    """Read an id written in decimal digits; ``None`` unless it is from 1 to :data:`ID_MAX`."""
    if not _DIGITS.fullmatch(text):
        return None
    number = int(text)
    return number if 1 <= number <= ID_MAX else None


class NulCharacter(BadRequest):
    """A request carried a NUL character, which PostgreSQL cannot store and no field needs."""

    description = lazy_gettext("The request contains a NUL character, which is never valid here.")


def local_path(target: str | None) -> str | None:
    r"""Return ``target`` if it is a path on this site, else ``None`` (no open redirects).

    Only a path starting with one ``/`` is accepted (so no scheme or host),
    without a backslash or a control character such as a tab: browsers read
    ``//``, ``/\`` and ``/<tab>/`` as the start of another site's address.
    """
    if (
        target
        and target.startswith("/")
        and not target.startswith("//")
        and "\\" not in target
        and target.isprintable()
    ):
        return target
    return None


def retry_minutes() -> int:
    """Say in whole minutes (at least 1) when the rate limit the request just hit lets it through.

    Read from the limit itself, rounded to the nearest minute, so a page can
    say "about a minute" rather than the limit's own "10 per 1 minute".
    """
    from elicit.extensions import limiter

    limit = limiter.current_limit
    seconds = limit.reset_at - time.time() if limit is not None else 60
    return max(1, round(seconds / 60))


def wants_json() -> bool:
    """Whether the client should get ``{"error": ...}`` JSON rather than an error page."""
    return (
        request.is_json
        or request.accept_mimetypes.best == "application/json"
        or request.path.startswith("/api/")
    )


PLAIN_ERRORS = {
    400: lazy_gettext("This request could not be read. Go back, reload the page and try again."),
    403: lazy_gettext("You are not allowed to open this page."),
    404: lazy_gettext(
        "There is no page at this address. Check the address, or start again from the front page."
    ),
    405: lazy_gettext("This page cannot be used that way."),
    413: lazy_gettext("What was sent is too large to be accepted."),
    500: lazy_gettext(
        "Something went wrong on our side; what you saved before is kept. Try again in a moment."
    ),
    503: lazy_gettext(
        "The site is very busy at this moment, so this could not be done and nothing was "
        "changed. Try again in a few seconds."
    ),
}
"""What an HTTP error says, in the person's language, when the code gave no reason of its own."""

DATABASE_ERRORS = (sa.exc.DBAPIError, sa.exc.TimeoutError)
"""The exceptions among which a busy database is told apart (:func:`is_busy`)."""


def error_response(status: int, code: str, message: str) -> tuple[Response | str, int]:
    """Answer an error as ``{"error": {"code", "message"}}`` for JSON clients, else as a page."""
    if wants_json():
        return jsonify({"error": {"code": code, "message": message}}), status
    return render_template("error.html", status=status, message=message), status


def trust_proxies(app: Flask) -> None:
    """Read the client's address and scheme from the ``TRUSTED_PROXIES`` proxies' headers.

    With ``TRUSTED_PROXIES`` at 0 (the default) ``X-Forwarded-*`` headers are
    ignored, since any client could send them. With ``n``, the last ``n``
    addresses of ``X-Forwarded-For`` and values of ``X-Forwarded-Proto`` are
    the proxies' own, so rate limits count the real client and a request the
    proxy received over HTTPS is known as secure. Links are built on
    ``BASE_URL``, never on the Host header, so ``X-Forwarded-Host`` is ignored.
    """
    from werkzeug.middleware.proxy_fix import ProxyFix

    hops = app.config.get("TRUSTED_PROXIES", 0)
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]


def with_retry_after(response: tuple[Response | str, int] | Response | str) -> Response:
    """Make ``response`` a response asking the client to try again in a few seconds."""
    made = make_response(response)
    made.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return made


def busy_response(message: str | None = None) -> Response:
    """Answer a request the database was too busy to take: 503 with ``Retry-After``.

    What the request did is rolled back and the rest of it only reads
    (:func:`~elicit.unit_of_work.read_only_from_now`), so the page can render
    without waiting for the lock again.
    """
    read_only_from_now()
    return with_retry_after(error_response(503, "busy", message or str(PLAIN_ERRORS[503])))


def init_app(app: Flask) -> None:
    """Install the bounded ``int`` converter, the NUL check, the headers and the error pages.

    Call before registering blueprints: routes pick their converters when added.
    """
    app.url_map.converters["int"] = BoundedIntegerConverter
    trust_proxies(app)
    hsts_seconds = app.config.get("HSTS_SECONDS", 0)
    https_site = app.config.get("BASE_URL", "").startswith("https://")

    @app.before_request
    def _refuse_nul_characters() -> None:
        """Refuse a NUL character in the path, query or form (see :class:`NulCharacter`)."""
        fields = [*request.args.listvalues(), *request.form.listvalues()]
        if "\x00" in request.path or any("\x00" in v for values in fields for v in values):
            raise NulCharacter()

    @app.after_request
    def _security_headers(response: Response) -> Response:
        """Add the headers every response carries (see :data:`SECURITY_HEADERS`).

        ``Strict-Transport-Security`` is added when the request came over
        HTTPS or the site's ``BASE_URL`` is ``https``, unless ``HSTS_SECONDS`` is 0.
        """
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if hsts_seconds and (request.is_secure or https_site):
            response.headers.setdefault("Strict-Transport-Security", f"max-age={hsts_seconds}")
        return response

    @app.errorhandler(CSRFError)
    def _csrf(error: CSRFError) -> tuple[Response | str, int]:
        """Explain a refused form in words, not as a bare 400."""
        return error_response(
            400,
            "csrf_failed",
            gettext(
                "This form could not be accepted because it was not sent from this site or your "
                "session ended. Go back, reload the page and send it again."
            ),
        )

    @app.errorhandler(sa.exc.DBAPIError)
    @app.errorhandler(sa.exc.TimeoutError)
    def _database(error: Exception) -> Response:
        """Answer a busy database with 503 (:func:`busy_response`); let any other error through."""
        if not is_busy(error):
            raise error
        return busy_response()

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException) -> tuple[Response | str, int] | Response:
        """Answer any HTTP error through :func:`error_response`.

        A server error caused by a busy database (a commit refused at the end
        of the request) is answered as busy: 503, not 500.
        """
        if isinstance(error, InternalServerError) and is_busy(error.original_exception):
            return busy_response()
        code = (error.name or "error").lower().replace(" ", "_")
        status = error.code or 500
        message = error.description
        standard = default_exceptions.get(status)
        if not message or (standard is not None and message == standard.description):
            message = str(PLAIN_ERRORS.get(status, message or error.name))
        return error_response(status, code, message)
