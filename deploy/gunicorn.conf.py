"""gunicorn's settings for elicit: ``gunicorn -c deploy/gunicorn.conf.py`` from any folder.

Everything that differs between machines comes from ``ELICIT_*`` environment
variables, read by :func:`elicit.config.server` (bind address, workers,
threads, timeout, log files and level); the app itself reads the rest of them
(:func:`elicit.config.load`). See README.md, "Deploying".

The access log is gunicorn's own, written through
:class:`elicit.gunicorn_logging.RedactingLogger`: an invitation link's token
never reaches it, nor the error log.
"""

from pathlib import Path

from elicit.config import server

_settings = server()

chdir = str(Path(__file__).resolve().parent.parent)
wsgi_app = "wsgi:app"

bind = _settings["bind"]
workers = _settings["workers"]
threads = _settings["threads"]
worker_class = "gthread"
timeout = _settings["timeout"]
graceful_timeout = _settings["timeout"]
keepalive = 5
# A worker is replaced after about a thousand requests, so no slow leak lasts.
max_requests = 1000
max_requests_jitter = 100

accesslog = _settings["accesslog"]
errorlog = _settings["errorlog"]
loglevel = _settings["loglevel"]
logger_class = "elicit.gunicorn_logging.RedactingLogger"
# The client as the trusted proxy reported it (ProxyFix, ELICIT_TRUSTED_PROXIES), the
# request line (tokens redacted), status, size, seconds taken, and the user agent.
access_log_format = '%({x-forwarded-for}i)s %(h)s %(t)s "%(r)s" %(s)s %(B)s %(L)s "%(a)s"'

# Which proxies' X-Forwarded-* headers to believe is decided by the app alone
# (ELICIT_TRUSTED_PROXIES), not also by gunicorn.
forwarded_allow_ips = ""
# No control socket in the service user's home (gunicorn 24+); signals do the same.
control_socket_disable = True
# Request headers and lines are bounded before Flask sees them.
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190


def post_worker_init(worker) -> None:  # noqa: ANN001
    """Warm each new worker before it takes requests (:func:`elicit.app.warm`)."""
    from elicit.app import warm

    warm(worker.wsgi)
