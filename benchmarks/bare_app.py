"""The baseline of the HTTP benchmarks: a bare Flask endpoint, served by the same gunicorn."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def bare() -> str:
    """Answer with a few bytes and nothing else."""
    return "ok"
