"""Small bridges between the chapters and the book builder.

``glue(name, value)`` records a value computed in a chapter so the text can quote it with
``{glue:text}`name:.1%``` (MyST-NB): the book's numbers are computed at build time, never
typed in. Outside the book builder (Colab, Binder, plain Jupyter) myst_nb may be missing; then
``glue`` shows the value when ``display`` is True and otherwise does nothing, so chapters run
everywhere.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from IPython.display import HTML

__all__ = ["glue", "html_table"]

try:                                     # the book build (and any environment with myst_nb)
    from myst_nb import glue as _myst_glue
except ImportError:                      # pragma: no cover - depends on the environment
    _myst_glue = None


def glue(name: str, value: object, display: bool = False) -> None:
    """Store ``value`` under ``name`` for the text (``{glue:text}`name```).

    Returns None on purpose: were it to return ``value``, a ``glue(...)`` on a cell's last
    line would add a second output to the cell (a stray number under a figure).
    """
    shown = value
    if hasattr(value, "item") and getattr(value, "shape", None) == ():
        # a NumPy scalar prints as np.float64(...) (NumPy 2), which {glue:text} cannot format
        shown = value.item()
    if _myst_glue is not None:
        _myst_glue(name, shown, display=display)
    elif display:
        from IPython.display import display as show
        show(value)


def html_table(header: Sequence[object], rows: Iterable[Sequence[object]]) -> HTML:
    """A small table as HTML: ``header`` a list of column titles, ``rows`` a list of lists.

    Chapters display tables this way because the book renders HTML outputs, while a Markdown
    table printed by a cell would stay raw text. Cells are inserted as they are, so they may hold
    markup such as ``<b>``.
    """
    from IPython.display import HTML

    head = "".join(f"<th>{h}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return HTML(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
