"""The expert's blueprint, ``answering``; its routes live in :mod:`.entry` and :mod:`.views`."""

from flask import Blueprint

bp = Blueprint("answering", __name__)
