"""MyST constructs as Jupyter Markdown (book_ext/myst_to_jupyter.py), on small hand-written cells
whose expected Markdown is written out here; the whole book is checked on a built fork in
tests/test_jupyter_notebooks.py."""
from __future__ import annotations

import pytest

from book_ext.myst_to_jupyter import Resolver, UnresolvedMyST, myst_left, to_jupyter_markdown

SITE = "https://t.github.io/c/"


def resolver(**overrides) -> Resolver:
    values = dict(
        docname="chapters/02_b", site_url=SITE,
        glue={"acc": {"text/plain": "0.91234"}, "n": {"text/plain": "7"},
              "table": {"text/plain": "x", "text/markdown": "| a |\n| - |\n| {glue:text}`n` |"}},
        titles={"chapters/01_a": "Neurons", "chapters/02_b": "Layers"},
        labels={"sec-x": ("chapters/01_a", "sec-x", "A section")},
        numbers={"fig-f": ("chapters/01_a", "fig-f", "Fig. 3"), "ex-e": ("chapters/02_b", "ex-e", "Exercise 4")},
        equations={"eq-z": ("chapters/02_b", "5")}, toctree=["chapters/01_a"],
        cite=lambda keys, role: "(Rosenblatt, 1958)", read_literal=lambda path, options: "def f():\n    return 1\n",
        macros={"\\R": "\\mathbb{R}"}, format_glue=lambda text, fmt: format(float(text), fmt) if fmt else text)
    values.update(overrides)
    return Resolver(**values)


@pytest.mark.parametrize("myst, jupyter", [
    ("Accuracy {glue:text}`acc:.1%`, {glue:text}`n` runs.", "Accuracy 91.2%, 7 runs."),
    ("See {doc}`01_a` and {doc}`the first <01_a>`.",
     f"See [Neurons]({SITE}chapters/01_a.html) and [the first]({SITE}chapters/01_a.html)."),
    ("{numref}`fig-f` and {ref}`sec-x`, {ref}`ex-e`.",
     f"[Fig. 3]({SITE}chapters/01_a.html#fig-f) and [A section]({SITE}chapters/01_a.html#sec-x), "
     f"[Exercise 4]({SITE}chapters/02_b.html#ex-e)."),
    ("by {cite}`rosenblatt1958`, in {eq}`eq-z`", f"by (Rosenblatt, 1958), in [(5)]({SITE}chapters/02_b.html#equation-eq-z)"),
    ("$$\nz = Wx \\in \\R^m\n$$ (eq-z)", "$$\nz = Wx \\in \\mathbb{R}^m \\tag{5}\n$$"),
    ("\\begin{align}\na &= b\n\\end{align}", "$$\n\\begin{aligned}\na &= b\n\\end{aligned}\n$$"),
    ("```{admonition} Learning objectives\n:class: tip\n* one {glue:text}`n`\n```",
     "> **Learning objectives**\n>\n> * one 7"),
    ("````{solution} ex-e\n:class: dropdown\nIt is {glue:text}`n`.\n````",
     "<details>\n<summary>Solution to Exercise 4</summary>\n\nIt is 7.\n\n</details>"),
    ("```{literalinclude} ../lib/x.py\n:pyobject: f\n:language: python\n```", "```python\ndef f():\n    return 1\n```"),
    ("(sec-y)=\n## Title", '<a id="sec-y"></a>\n## Title'),
    ("Write `{glue:text}` in code, and\n```python\nx = {doc}`not a role in code`\n```\nthen {glue:text}`n`.",
     "Write `{glue:text}` in code, and\n```python\nx = {doc}`not a role in code`\n```\nthen 7."),
    ("```{glue:md} table\n:format: myst\n```", "| a |\n| - |\n| 7 |"),
])
def test_myst_becomes_jupyter_markdown(myst, jupyter):
    assert to_jupyter_markdown(resolver(), myst) == jupyter


@pytest.mark.parametrize("myst", ["{glue:text}`missing`", "{numref}`fig-none`", "```{mermaid}\nA-->B\n```",
                                  "{unknownrole}`x`", "```{note}\nnever closed"])
def test_what_cannot_be_written_for_jupyter_is_an_error_not_raw_text(myst):
    with pytest.raises(UnresolvedMyST):
        to_jupyter_markdown(resolver(), myst)


def test_myst_left_finds_what_jupyter_would_show_raw():
    assert myst_left("a {doc}`x` b\n```{note}\nc\n```\n(lab)=\n$$ (eq)") == ["{doc}`x`", "```{note}", "(lab)=", "$$ (eq)"]
    assert myst_left("plain $x$ and `code` and [link](u)") == []
