"""The house rules that no single feature test would notice breaking.

Views parse and render, so a module of routes stays short (the guide's ~250
lines); a package per user area carries the blueprint of the same name.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import elicit
from elicit.app import create_app

PACKAGE = Path(elicit.__file__).parent
VIEW_LINES_LIMIT = 250


def _view_modules() -> list[Path]:
    return sorted(path for path in PACKAGE.rglob("*.py") if ".route(" in path.read_text())


def test_there_are_view_modules_to_check():
    names = {path.relative_to(PACKAGE).as_posix() for path in _view_modules()}
    assert {"answering/views.py", "facilitating/views.py", "accounts/views.py"} <= names


@pytest.mark.parametrize("path", _view_modules(), ids=lambda p: p.relative_to(PACKAGE).as_posix())
def test_no_view_module_is_over_the_limit(path):
    lines = len(path.read_text().splitlines())
    assert lines <= VIEW_LINES_LIMIT, f"{path.name} has {lines} lines; split it by what it does"


@pytest.mark.parametrize("area", ["answering", "facilitating", "accounts"])
def test_each_user_area_has_the_blueprint_of_its_name(area):
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    blueprint = app.blueprints[area]
    assert blueprint.import_name.split(".")[1] == area
