"""Invitation tokens and what experts wrote kept out of every log line.

An invitation link (``/invite/<token>``) lets whoever holds it answer as that
expert, so a request line in an access log is a credential. :func:`redact`
replaces each token in a line with ``[redacted]``, and :class:`TokenFilter`
applies it to every record of the loggers it is attached to: werkzeug's
request log (``elicit run``), the application's own logger (Flask logs the
path of a request that failed) and gunicorn's access and error logs
(:mod:`elicit.gunicorn_logging`).

Judgments never reach a log either: elicit logs no answer, statements'
parameters are hidden (``hide_parameters``, :mod:`elicit.config`), and
:class:`ResultRowFilter` drops the result rows SQLAlchemy logs at DEBUG.
"""

from __future__ import annotations

import logging
import re

from flask import Flask

REDACTED = "[redacted]"

TOKEN_PATTERNS = (
    re.compile(r"(/invite/)[^/?#\s\"']+"),
    re.compile(r"([?&](?:token|invitation)=)[^&#\s\"']+", re.IGNORECASE),
)
"""Where a token appears in a URL: the invitation path's last part, or a ``token=`` parameter."""


def redact(text: str) -> str:
    """Return ``text`` with every invitation token in it replaced by ``[redacted]``."""
    for pattern in TOKEN_PATTERNS:
        text = pattern.sub(rf"\g<1>{REDACTED}", text)
    return text


class TokenFilter(logging.Filter):
    """Rewrite each record's message without tokens (the record is kept, never dropped)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Format the record's message, redact it, and store the result as the message."""
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            message = str(record.msg)
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


class ResultRowFilter(logging.Filter):
    """Drop SQLAlchemy's DEBUG records of result rows, which would carry rationales read back."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Keep every record but a result row's."""
        return not (isinstance(record.msg, str) and record.msg.startswith("Row "))


def protect(logger: logging.Logger) -> None:
    """Attach a :class:`TokenFilter` to ``logger`` unless it has one already."""
    if not any(isinstance(f, TokenFilter) for f in logger.filters):
        logger.addFilter(TokenFilter())


def init_app(app: Flask) -> None:
    """Keep tokens out of werkzeug's request log and ``app``'s logger, and rows out of SQL logs."""
    protect(logging.getLogger("werkzeug"))
    protect(app.logger)
    engine_log = logging.getLogger("sqlalchemy.engine.Engine")
    if not any(isinstance(f, ResultRowFilter) for f in engine_log.filters):
        engine_log.addFilter(ResultRowFilter())
