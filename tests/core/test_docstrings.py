"""Every public function of elicit.core documents itself as the issue asks.

A NumPy-style docstring with Parameters, Returns and Raises, the formula (a
``:math:`` role or a ``.. math::`` block) and a References section. Two kinds of
function compute no statistic and are exempt from parts of that, listed here with
the reason, so that a new function has to be documented or listed on purpose.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import elicit.core

NO_FORMULA = {
    # reading and writing EXCALIBUR files: the reference is the file format's manual
    "excalibur.loads_excalibur",
    "excalibur.dumps_excalibur",
    "excalibur.read_excalibur",
    "excalibur.write_excalibur",
    # checking the input: nothing is computed
    "layout.grouped_input",
    "layout.grouped_weights",
    "layout.check_whole",
    "layout.check_real",
}
NO_REFERENCE = {
    "layout.grouped_input",
    "layout.grouped_weights",
    "layout.check_whole",
    "layout.check_real",
}


def _public_functions():
    for info in pkgutil.iter_modules(elicit.core.__path__):
        module = importlib.import_module(f"elicit.core.{info.name}")
        for name, obj in vars(module).items():
            if name.startswith("_") or not inspect.isfunction(obj):
                continue
            if obj.__module__ == module.__name__:
                yield f"{info.name}.{name}", obj


FUNCTIONS = dict(_public_functions())


def test_the_core_has_public_functions_to_check():
    assert len(FUNCTIONS) > 60
    assert "pooling.median_pool" in FUNCTIONS and "cooke.classical_model" in FUNCTIONS


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_public_function_has_a_numpy_docstring_with_formula_and_reference(name):
    doc = inspect.getdoc(FUNCTIONS[name]) or ""
    sections = ["Parameters\n----------", "Returns\n-------"]
    if name not in NO_REFERENCE:
        sections.append("References\n----------")
    missing = [section.split("\n")[0] for section in sections if section not in doc]
    assert not missing, f"{name} lacks {missing}"
    if name not in NO_FORMULA:
        assert ":math:" in doc or ".. math::" in doc, f"{name} gives no formula"


def test_exemptions_name_existing_functions():
    assert FUNCTIONS.keys() >= NO_FORMULA and FUNCTIONS.keys() >= NO_REFERENCE
