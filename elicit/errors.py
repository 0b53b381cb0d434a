"""The one exception type services raise when a request breaks a domain rule.

Views turn it into a form error or a JSON ``{"error": {"code", "message"}}``
with a 4xx status; CLI commands print it and exit with status 2.

``code`` is for programs and never changes; ``message`` is for people. A
message that can reach a page is marked for translation and built in the
request's language (Flask-Babel gives English outside a request, so the
command line reads English); one that only the command line prints stays
English and unmarked.
"""


class DomainError(ValueError):
    """A rule of the domain was broken; ``code`` is a stable machine-readable name."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
