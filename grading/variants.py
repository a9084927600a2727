"""An exercise's variant: its source notebook instantiated for one choice of its parameters.

A source notebook holds one locked ``variant`` cell, ``VARIANT = {...}`` (the upstream default);
every code cell reads ``VARIANT[...]`` at run time, and markdown cells may be Jinja2 templates
with the one name ``VARIANT`` in scope.
"""

from __future__ import annotations

import ast
import copy

import jinja2

VARIANT_CELL = "variant"


def _render(text: str, variant: dict) -> str:
    environment = jinja2.Environment(
        undefined=jinja2.StrictUndefined, keep_trailing_newline=True, autoescape=False
    )
    return environment.from_string(text).render(VARIANT=variant)


def instantiate(nb, variant: dict):
    """A deep copy of ``nb`` with its variant cell set to ``variant`` and its markdown rendered.

    The variant cell's source becomes ``VARIANT = <repr of the dict>``, keys in the order of the
    notebook's default; every markdown cell is rendered with Jinja2 (``StrictUndefined``).
    """
    nb = copy.deepcopy(nb)
    cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == VARIANT_CELL]
    if len(cells) != 1:
        raise ValueError(f"the notebook should hold one cell {VARIANT_CELL!r}, found {len(cells)}")
    default = ast.literal_eval(cells[0].source.split("VARIANT =", 1)[1].strip())
    if set(variant) != set(default):
        raise ValueError(
            f"the variant's parameters {sorted(variant)} are not the notebook's {sorted(default)}"
        )
    ordered = {k: variant[k] for k in default}
    cells[0].source = f"VARIANT = {ordered!r}"
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = _render(cell.source, variant)
    return nb
