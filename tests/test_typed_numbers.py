"""The chapters' prose quotes its numbers through glue: no digit is typed that the build computes.

``typed_numbers`` (tests/typed_numbers.py) strips code cells, math, roles (glue, cite, ref...),
link targets, labels, list enumerators, headings' numbers and years of cited works from a
MyST chapter and returns the digits left in its prose that its short allowlist (each entry with
its reason) does not accept. Every chapter must have none.
"""
from __future__ import annotations

import textwrap

import pytest
from notebook_runner import ROOT
from typed_numbers import ALLOWED_PATTERNS, typed_numbers

CHAPTERS = sorted((ROOT / "chapters").glob("*.md")) + [ROOT / "chapters/exercises/index.md"]

def test_every_chapter_is_checked():
    names = {p.name for p in CHAPTERS}
    assert {"intro.md", "notation.md", "bibliography.md", "index.md"} <= names
    assert sum(p.name[:2].isdigit() for p in CHAPTERS) == 9


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: str(p.relative_to(ROOT / "chapters")))
def test_no_typed_number_in_the_prose(path):
    found = typed_numbers(path)
    assert not found, (f"{path.name} types numbers in its prose; compute them in a cell and "
                       "quote them with {glue:text}, or, for a constant of a definition, add a "
                       "pattern with its reason to ALLOWED_PATTERNS:\n  "
                       + "\n  ".join(map(str, found)))


def test_every_allowance_gives_a_reason():
    assert len(ALLOWED_PATTERNS) <= 8
    for pattern, reason in ALLOWED_PATTERNS:
        assert "«" in pattern and len(reason) > 20, pattern


SAMPLE = textwrap.dedent("""\
    ---
    jupytext:
      formats: md:myst 2024
    ---

    # Chapter 3. Twelve things

    (sec-7)=
    ## 2.1 A section

    The net has 32 units and reaches {glue:text}`acc:.1%` after {glue:text}`epochs` epochs,
    with $\\alpha = 0.5$ and $$k = 9$$ in math, `lr=0.25` in code, and a learning rate of 0.1
    typed. Chapter 4 and chapters 5 and 6 are named; XOR labels are 0 and 1. Novikoff (1962)
    and Fukushima (1969, 1975) are cited {cite}`novikoff1962`; see [figure 8](#fig-8) and
    a float64 value, a 2-D plane, an
    inline formula $x = 3 +
    4$ wrapped over two lines. It took 12% longer.

    1. a first item with 7 apples
    2. a second item

    ```{code-cell} ipython3
    x = 123
    ```

    $$
    y = 456
    $$

    ```{exercise} Take 5 steps
    :label: ex-6
    Try 3 seeds.
    ```

    ```{solution} ex-6
    :class: dropdown
        for seed in range(99):
            pass

    The answer is 42.
    ```
    <!-- 77 comments -->
    """)


def test_the_finder_reports_exactly_the_typed_numbers(tmp_path):
    page = tmp_path / "sample.md"
    page.write_text(SAMPLE, encoding="utf-8")
    found = [(n.line, n.number) for n in typed_numbers(page)]
    # "figure 8" is the text of a link: prose (a figure is referred to with {numref})
    assert found == [(11, "32"), (12, "0.1"), (14, "8"), (17, "12"), (19, "7"), (30, "5"),
                     (32, "3"), (40, "42")]


def test_an_empty_allowlist_reports_the_constants_too(tmp_path):
    page = tmp_path / "sample.md"
    page.write_text("Chapter 4 says XOR labels are 0 and 1.\n", encoding="utf-8")
    assert typed_numbers(page) == []
    assert [n.number for n in typed_numbers(page, allowed=[])] == ["4", "0", "1"]
