"""The languages elicit speaks, and how a request's language is chosen.

A request's locale is the one the person chose (kept in the session under
``SESSION_KEY``), else the best of ``SUPPORTED`` their browser asks for
(``Accept-Language``), else English. Message catalogues live in the
project's ``translations/`` folder, compiled and committed; ``make
translations`` extracts the messages (``babel.cfg`` says where they are),
merges them into each catalogue and compiles it (see ``translations/README.md``).

:func:`init_app` sets up Flask-Babel; the display functions that use the
locale are :mod:`elicit.formatting`, which registers them as filters. The
blueprint ``language`` (:data:`bp`) takes a person's choice of language
(``POST /language``).
"""

from __future__ import annotations

import datetime as dt
import functools

import flask_babel
from babel import Locale
from babel.core import negotiate_locale
from babel.support import NullTranslations, Translations
from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    has_app_context,
    has_request_context,
    redirect,
    request,
    session,
    url_for,
)
from flask_babel import gettext
from werkzeug.wrappers import Response

from elicit import PROJECT_ROOT
from elicit.web import local_path

SUPPORTED = ("en", "pl")
"""Locale codes elicit can be shown in; the first is the default."""

DEFAULT = SUPPORTED[0]

SESSION_KEY = "locale"
"""Where a person's explicit choice of language is kept in the session."""

TRANSLATIONS = PROJECT_ROOT / "translations"
"""The message catalogues: ``translations/<locale>/LC_MESSAGES/messages.mo``."""


def select_locale() -> str | None:
    """Choose the request's locale: the session's choice, else ``Accept-Language``, else none.

    Flask-Babel falls back to the default locale when this returns ``None``
    (as it does outside a request).
    """
    if not has_request_context():
        return None
    chosen = session.get(SESSION_KEY)
    if chosen in SUPPORTED:
        return chosen
    asked = [tag.lower() for tag, _quality in request.accept_languages]
    return negotiate_locale(asked, SUPPORTED, sep="-")


def choose_locale(code: str) -> None:
    """Remember that the person chose ``code`` for this and later requests of their session.

    Raises
    ------
    ValueError
        If elicit is not offered in ``code``.
    """
    if code not in SUPPORTED:
        raise ValueError(f"elicit is not offered in {code!r}; choose one of {', '.join(SUPPORTED)}")
    session[SESSION_KEY] = code
    flask_babel.refresh()


def active_locale() -> Locale:
    """Return the locale to show things in now: the request's, else English (e.g. on the CLI)."""
    if has_app_context() and "babel" in current_app.extensions:
        return flask_babel.get_locale()
    return Locale.parse(DEFAULT)


def active_timezone() -> dt.tzinfo:
    """Return the time zone to show times in: the app's (``BABEL_DEFAULT_TIMEZONE``), else UTC."""
    if has_app_context() and "babel" in current_app.extensions:
        return flask_babel.get_timezone()
    return dt.UTC


def catalogue(locale: Locale) -> NullTranslations:
    """Return the messages of ``locale`` from ``TRANSLATIONS`` (the English text if it has none)."""
    return _load(str(TRANSLATIONS), str(locale))


@functools.cache
def _load(directory: str, locale: str) -> NullTranslations:
    """Read one locale's compiled catalogue once per process."""
    return Translations.load(directory, [locale])


def languages() -> list[tuple[str, str]]:
    """List each offered language as (code, its name in itself): ("pl", "Polski").

    The header's language buttons show these names, so a person who cannot
    read the current language still finds their own.
    """
    names = []
    for code in SUPPORTED:
        name = Locale.parse(code).get_display_name(code) or code
        names.append((code, name[:1].upper() + name[1:]))
    return names


def init_app(app: Flask) -> None:
    """Set up Flask-Babel for ``app`` and give templates ``get_locale()`` and ``languages()``."""
    flask_babel.Babel(
        app,
        default_locale=DEFAULT,
        default_translation_directories=str(TRANSLATIONS),
        locale_selector=select_locale,
    )
    app.jinja_env.globals["get_locale"] = active_locale
    app.jinja_env.globals["languages"] = languages


bp = Blueprint("language", __name__)


@bp.post("/language")
def choose() -> Response:
    """Show this person's pages in the language they chose, then go back where they were.

    The form sends ``locale`` (one of :data:`SUPPORTED`) and ``next``, the
    path to return to: only a path on this site is followed (see
    :func:`elicit.web.local_path`), and without one the person lands on the
    front page. Like every form it needs its CSRF token. A refused request
    (400) leaves the choice as it was.
    """
    code = request.form.get("locale", "")
    target = request.form.get("next")
    back = local_path(target) if target else url_for("home.index")
    if back is None:
        abort(
            400,
            gettext("The language was not changed: the page to go back to must be on this site."),
        )
    try:
        choose_locale(code)
    except ValueError:
        # TRANSLATORS: %(choices)s names each language in itself: "English, polski".
        message = gettext(
            "elicit is not offered in “%(locale)s”; choose one of: %(choices)s.",
            locale=code[:20],
            choices=", ".join(
                Locale.parse(offered).display_name or offered for offered in SUPPORTED
            ),
        )
        abort(400, message)
    return redirect(back)
