"""Find the numbers a chapter's prose types by hand instead of quoting from the build.

The book's rule: a number on a page is computed when the book is built and quoted with
``{glue:text}`name```. ``typed_numbers(path)`` reads a MyST markdown chapter and returns the digits
left in its prose once everything that legitimately holds digits is removed:

* the front matter, code cells and other non-prose blocks (code fences, ``{literalinclude}``,
  ``{math}``, ``{bibliography}``) and indented code (four spaces) inside solutions;
* display math (``$$ ... $$``) and inline math (``$...$``); roles such as ``{glue:text}`...```,
  ``{math}``, ``{eq}``, ``{cite}``, ``{doc}``, ``{ref}``, ``{numref}`` and inline code;
* directive options (``:label: ex-3``), target labels (``(name)=``), link targets ``](...)``,
  HTML comments, list enumerators (``1.`` at the start of an item);
* words that merely contain a digit (``float64``, ``x1``, ``SHA-256``, ``2-D``... are names).

What remains is checked against ``ALLOWED_PATTERNS``: a short list of (regular expression,
reason) pairs for numbers that are part of a definition or a name (labels 0 and 1, a chapter
called by its number, the size of a published data set), not something the build measures.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

# Directives whose body is prose (their body is checked); every other fenced block is skipped.
PROSE_DIRECTIVES = {"admonition", "exercise", "solution", "note", "tip", "warning", "important",
                    "hint", "caution", "attention", "seealso", "epigraph", "margin", "sidebar",
                    "dropdown", "topic"}

@dataclass(frozen=True)
class TypedNumber:
    line: int
    number: str
    context: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.number!r} in '{self.context}'"


_FENCE = re.compile(r"^(\s*)(`{3,}|~{3,})\s*(\{([\w:-]+)\}|\w*)?(.*)$")
_ROLE = re.compile(r"\{[\w:-]+\}`[^`]*`")                 # {glue:text}`x:.2f`, {cite}`a, b`
_INLINE_CODE = re.compile(r"``.+?``|`[^`]*`")
_INLINE_DISPLAY_MATH = re.compile(r"\$\$.+?\$\$", re.S)
_INLINE_MATH = re.compile(r"(?<![\\$])\$(?!\$)(?:\\.|[^$\\])+?(?<!\\)\$(?!\$)")
_LINK_TARGET = re.compile(r"\]\([^)]*\)")
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.S)
_LABEL = re.compile(r"^\s*\([\w:-]+\)=\s*$")
_OPTION = re.compile(r"^\s*:[\w-]+:")
_ENUMERATOR = re.compile(r"(?m)^([ \t]*)\d+[.)]\s")
_HEADING_NUMBER = re.compile(r"(?m)^(#+\s+)(?:[Cc]hapter\s+)?\d+(?:\.\d+)*[.:]?\s")
# a number: digits with optional thousands separators and a decimal part, not glued to a letter
_NUMBER = re.compile(r"(?<![\w.\-])\d+(?:,\d{3})*(?:\.\d+)?(?![\w\-]|\.\d)")
# years of the works cited: "Fukushima (1969, 1975)", "Rumelhart et al. (1986)"
_YEAR_IN_CITATION = re.compile(r"\((?:[A-Z][^()]*?\s)?(?:1[89]\d\d|20\d\d)[a-z]?"
                               r"(?:,\s*(?:1[89]\d\d|20\d\d)[a-z]?)*\)")


def _prose_lines(text: str) -> list[tuple[int, str]]:
    """The lines of ``text`` that are prose, as (line number, line), blocks and math removed."""
    lines = text.split("\n")
    out: list[tuple[int, str]] = []
    i = 0
    if lines and lines[0].strip() == "---":                 # front matter
        i = 1
        while i < len(lines) and lines[i].strip() != "---":
            i += 1
        i += 1
    stack: list[tuple[str, bool]] = []                       # (fence, is prose)
    in_display_math = False
    while i < len(lines):
        line = lines[i]
        number = i + 1
        i += 1
        fence = _FENCE.match(line)
        if fence and not in_display_math:
            marks, directive, rest = fence.group(2), fence.group(4), fence.group(5)
            if stack and marks == stack[-1][0] and not fence.group(3) and not rest.strip():
                stack.pop()                                  # the closing fence
                continue
            if not stack or stack[-1][1]:                    # an opening fence
                prose = directive in PROSE_DIRECTIVES
                stack.append((marks, prose))
                if prose and rest.strip():                   # a directive's title is prose
                    out.append((number, rest))
                continue
        if stack and not stack[-1][1]:
            continue
        stripped = line.strip()
        if in_display_math:
            if stripped.endswith("$$") or "$$" in stripped:
                in_display_math = False
            continue
        if stripped.startswith("$$"):
            body = stripped[2:]
            if "$$" not in body:
                in_display_math = True
            continue
        if _LABEL.match(line) or _OPTION.match(line):
            continue
        if line.startswith("    ") and not re.match(r"^\s*[*\-+]\s|^\s*\d+[.)]\s", line):
            # indented code (four spaces) in a solution; list continuations use two
            continue
        out.append((number, line))
    return out


def _paragraphs(lines: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """Join consecutive prose lines into paragraphs (inline math may wrap over a line end)."""
    paragraphs: list[tuple[int, str]] = []
    previous = None
    for number, line in lines:
        if paragraphs and previous == number - 1 and line.strip() and paragraphs[-1][1].strip():
            paragraphs[-1] = (paragraphs[-1][0], paragraphs[-1][1] + "\n" + line)
        else:
            paragraphs.append((number, line))
        previous = number
    return paragraphs


def _clean(text: str) -> str:
    """Blank out (same length, newlines kept) everything that may hold digits legitimately."""
    def blank(match: re.Match) -> str:
        return re.sub(r"[^\n]", " ", match.group(0))

    for pattern in (_ROLE, _INLINE_CODE, _INLINE_DISPLAY_MATH, _INLINE_MATH, _LINK_TARGET,
                    _YEAR_IN_CITATION):
        text = pattern.sub(blank, text)
    text = _HEADING_NUMBER.sub(lambda m: m.group(1) + " " * (len(m.group(0)) - len(m.group(1))),
                               text)
    return _ENUMERATOR.sub(lambda m: m.group(1) + " " * (len(m.group(0)) - len(m.group(1))), text)


def typed_numbers(path: Path, allowed: list[tuple[str, str]] | None = None) -> list[TypedNumber]:
    """Every number in the prose of the chapter at ``path`` that no glue produced and that no
    ``allowed`` pattern (default ``ALLOWED_PATTERNS``) accepts, in order of appearance."""
    allowed = ALLOWED_PATTERNS if allowed is None else allowed
    text = _HTML_COMMENT.sub(lambda m: "\n" * m.group(0).count("\n"),
                             path.read_text(encoding="utf-8"))
    found = []
    for first_line, paragraph in _paragraphs(_prose_lines(text)):
        cleaned = _clean(paragraph)
        flat = cleaned.replace("\n", " ")
        for match in _NUMBER.finditer(flat):
            line = first_line + cleaned.count("\n", 0, match.start())
            marked = (flat[max(0, match.start() - 60):match.start()] + "«" + match.group(0)
                      + "»" + flat[match.end():match.end() + 60])
            if any(re.search(pattern, marked) for pattern, _ in allowed):
                continue
            context = re.sub(r"\s+", " ", flat[max(0, match.start() - 40):match.end() + 40])
            found.append(TypedNumber(line, match.group(0), context.strip()))
    return found


# The allowlist: numbers that belong to a definition or a name, each with its reason. A pattern
# is searched in "<up to 60 characters before>" + "«number»" + "<up to 60 after>".
ALLOWED_PATTERNS: list[tuple[str, str]] = [
    (r"\b[Cc]hapters? (?:\d+(?:, | and | or | to |–|-))*«\d+»",
     "a chapter is named by its number in the table of contents"),
    (r"(?<![\d.,])«[01]»(?!\s*%)",
     "0 and 1 as constants of a definition: labels, probabilities, the two pieces and the "
     "derivatives of ReLU, the point where it kinks; not a measurement"),
    (r"full MNIST set \(«60,000» training and 10,000|training and «10,000» test digits",
     "the size of the published MNIST data set, a fact of the data set"),
    (r"Python «3\.11»", "the supported Python version, a requirement"),
    (r"^Part «\d+» of\s", "names a part of an exercise notebook by its heading"),
]
