"""gunicorn's logger with invitation tokens redacted (``logger_class`` in deploy/gunicorn.conf.py).

gunicorn writes each request line to its access log and the URI of a request
that failed to its error log; both get :class:`elicit.redaction.TokenFilter`.
Only gunicorn loads this module.
"""

from __future__ import annotations

from typing import Any

from gunicorn.glogging import Logger

from elicit.redaction import protect


class RedactingLogger(Logger):
    """gunicorn's own logger, whose access and error logs never show an invitation token."""

    def __init__(self, cfg: Any) -> None:
        super().__init__(cfg)
        protect(self.access_log)
        protect(self.error_log)
