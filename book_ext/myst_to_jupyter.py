"""MyST markdown cells rewritten as the Markdown Jupyter (JupyterLab, Colab) renders.

The chapters' text uses MyST: glued numbers (``{glue:text}``), cross-references (``{doc}``,
``{ref}``, ``{numref}``, ``{eq}``, ``{prf:ref}``), citations (``{cite}``) and directives
(admonitions, exercises and solutions, theorems, ``literalinclude``, ``math``, tables). Jupyter
shows all of that as raw text. :func:`to_jupyter_markdown` writes each construct as what the site
shows: the glued value of this build, a link to the site's page, "(Author, year)", a quoted
block, a folded ``<details>`` solution, the engine's real code, ``$$`` maths.

What the site knows (numbers of figures and equations, titles, glued values, the bibliography)
comes in through a :class:`Resolver`, filled from the Sphinx build by ``jupyter_notebooks``.
"""
from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from typing import Callable

ROLE = re.compile(r"\{([a-zA-Z][\w:-]*)\}`([^`]*)`")
INLINE = re.compile(r"\{(?P<name>[a-zA-Z][\w:-]*)\}`(?P<content>[^`]*)`|``[^`]+``|`[^`]+`")
DIRECTIVE_OPEN = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|:{3,})\{(?P<name>[\w:-]+)\}[ \t]*(?P<arg>.*)$")
OPTION = re.compile(r"^:(?P<key>[\w-]+):[ \t]*(?P<value>.*)$")
TARGET = re.compile(r"^\((?P<label>[\w.:-]+)\)=[ \t]*$", re.M)
LABELLED_MATH = re.compile(r"^\$\$[ \t]*\((?P<label>[\w.:-]+)\)[ \t]*$")
EXPLICIT = re.compile(r"^(?P<text>.*?)\s*<(?P<target>[^<>]+)>$", re.S)
ADMONITIONS = ("note", "tip", "hint", "important", "warning", "caution", "attention", "danger",
               "error", "seealso")


class UnresolvedMyST(ValueError):
    """A construct the converter does not know, or a reference the build does not resolve."""


@dataclass
class Resolver:
    """What the built site knows, for one page (``docname``)."""

    docname: str
    site_url: str                                   # ends in "/"
    glue: dict[str, dict[str, str]]                 # name -> {mime type: glued value}
    titles: dict[str, str]                          # docname -> title
    labels: dict[str, tuple[str, str, str]]         # label -> (docname, anchor, section title)
    numbers: dict[str, tuple[str, str, str]]        # label -> (docname, anchor, "Fig. 3")
    equations: dict[str, tuple[str, str]]           # label -> (docname, number)
    toctree: list[str]                              # the pages a {tableofcontents} lists
    cite: Callable[[list[str], str], str]           # (keys, role) -> "(Author, year)"
    read_literal: Callable[[str, dict], str]        # (path, options) -> code
    macros: dict[str, str] = field(default_factory=dict)   # \R -> \mathbb{R}
    format_glue: Callable[[str, str], str] = lambda text, fmt: text

    def page_url(self, docname: str, anchor: str = "") -> str:
        return f"{self.site_url}{docname}.html" + (f"#{anchor}" if anchor else "")

    def docname_of(self, target: str) -> str:
        target = target.removesuffix(".md").removesuffix(".ipynb")
        if target.startswith("/"):
            return target.lstrip("/")
        return posixpath.normpath(posixpath.join(posixpath.dirname(self.docname), target))


def _explicit(content: str) -> tuple[str | None, str]:
    match = EXPLICIT.match(content)
    return (match["text"], match["target"].strip()) if match else (None, content.strip())


def _role(resolver: Resolver, name: str, content: str) -> str:
    if name in ("glue:text", "glue", "glue:"):
        key, _, fmt = content.strip().partition(":")
        if "text/plain" not in resolver.glue.get(key, {}):
            raise UnresolvedMyST(f"{{glue:text}}`{content}`: nothing glued under {key!r}")
        return resolver.format_glue(resolver.glue[key]["text/plain"], fmt)
    if name == "doc":
        text, target = _explicit(content)
        doc = resolver.docname_of(target)
        if doc not in resolver.titles:
            raise UnresolvedMyST(f"{{doc}}`{content}`: no page {doc}")
        return f"[{text or resolver.titles[doc]}]({resolver.page_url(doc)})"
    if name in ("ref", "numref", "prf:ref"):
        text, label = _explicit(content)
        if name == "ref" and label in resolver.labels:
            doc, anchor, title = resolver.labels[label]
            return f"[{text or title}]({resolver.page_url(doc, anchor)})"
        if label in resolver.numbers:
            doc, anchor, numbered = resolver.numbers[label]
            number = numbered.split(" ", 1)[-1]
            shown = text.replace("%s", number).replace("{number}", number) if text else numbered
            return f"[{shown}]({resolver.page_url(doc, anchor)})"
        raise UnresolvedMyST(f"{{{name}}}`{content}`: no such label in the build")
    if name == "eq":
        label = content.strip()
        if label not in resolver.equations:
            raise UnresolvedMyST(f"{{eq}}`{content}`: no such equation")
        doc, number = resolver.equations[label]
        return f"[({number})]({resolver.page_url(doc, 'equation-' + label)})"
    if name.startswith("cite"):
        keys = [k.strip() for k in content.split(",") if k.strip()]
        return resolver.cite(keys, name)
    if name == "math":
        return f"${content}$"
    raise UnresolvedMyST(f"{{{name}}}`{content}`: no Jupyter form for this role")


def _roles(resolver: Resolver, text: str) -> str:
    # one left-to-right scan: a role, or an inline code span (left as it is: it may show a role)
    def replace(match):
        return _role(resolver, match["name"], match["content"]) if match["name"] else match[0]
    return INLINE.sub(replace, text)


def _quote(text: str) -> str:
    return "\n".join(f"> {line}" if line.strip() else ">" for line in text.strip("\n").splitlines())


def _math_block(resolver: Resolver, body: str, label: str | None) -> str:
    body = body.strip("\n")
    # a top-level amsmath environment becomes its inline-able form inside $$ (MathJax and KaTeX)
    body = re.sub(r"\\(begin|end)\{(align|gather)\*?\}", lambda m: f"\\{m[1]}{{{m[2]}ed}}", body)
    body = re.sub(r"\\(begin|end)\{equation\*?\}", "", body)
    if label:
        if label not in resolver.equations:
            raise UnresolvedMyST(f"equation ({label}) has no number in the build")
        body += f" \\tag{{{resolver.equations[label][1]}}}"
    return f"$$\n{body.strip()}\n$$"


def _directive(resolver: Resolver, name: str, arg: str, options: dict, body: str) -> str:
    def inner() -> str:                  # the body, converted only by directives that show it
        return to_jupyter_markdown(resolver, body)

    if name == "literalinclude":
        code = resolver.read_literal(arg.strip(), options).rstrip("\n")
        return f"```{options.get('language', '')}\n{code}\n```"
    if name == "math":
        return _math_block(resolver, body, options.get("label"))
    if name == "admonition":
        return _quote(f"**{_roles(resolver, arg)}**\n\n{inner()}")
    if name in ADMONITIONS:
        title = "See also" if name == "seealso" else name.capitalize()
        return _quote(f"**{title}**\n\n{inner()}")
    if name == "exercise" or name.startswith("prf:"):
        kind = "exercise" if name == "exercise" else name.split(":", 1)[1]
        label = options.get("label")
        numbered = resolver.numbers.get(label, ("", "", kind.capitalize()))[2] if label else kind.capitalize()
        head = f"**{numbered}**" + (f" ({_roles(resolver, arg)})" if arg else "")
        anchor = f'<a id="{label}"></a>' if label else ""
        return _quote(f"{anchor}{head}\n\n{inner()}")
    if name == "solution":
        label = arg.strip()
        numbered = resolver.numbers.get(label, ("", "", "the exercise"))[2]
        return f"<details>\n<summary>Solution to {numbered}</summary>\n\n{inner()}\n\n</details>"
    if name == "table":
        return (f"**{_roles(resolver, arg)}**\n\n" if arg else "") + inner()
    if name == "glue:md":
        key = arg.strip()
        if "text/markdown" not in resolver.glue.get(key, {}):
            raise UnresolvedMyST(f"{{glue:md}} {key}: no Markdown glued under that name")
        return to_jupyter_markdown(resolver, resolver.glue[key]["text/markdown"])
    if name == "tableofcontents":
        return "\n".join(f"* [{resolver.titles[doc]}]({resolver.page_url(doc)})" for doc in resolver.toctree)
    raise UnresolvedMyST(f"{{{name}}} directive: no Jupyter form for it")


def to_jupyter_markdown(resolver: Resolver, text: str) -> str:
    """``text`` (one MyST markdown cell, or a directive's body) as Jupyter Markdown."""
    lines = text.split("\n")
    out: list[str] = []
    plain: list[str] = []

    def flush():
        if plain:
            chunk = "\n".join(plain)
            chunk = TARGET.sub(lambda m: f'<a id="{m["label"]}"></a>', chunk)
            chunk = "\n".join(line for line in chunk.split("\n") if not re.match(r"^%( |$)", line))
            # fenced code blocks are copied as they are; roles are read in the text around them
            parts = re.split(r"(^(?P<f>`{3,}|~{3,})[^\n]*\n.*?^(?P=f)[ \t]*$)", chunk, flags=re.M | re.S)
            out.append("".join(part if i % 3 == 1 else _roles(resolver, part)
                               for i, part in enumerate(parts) if i % 3 != 2))
            plain.clear()

    i = 0
    while i < len(lines):
        line = lines[i]
        opening = DIRECTIVE_OPEN.match(line)
        if opening:
            flush()
            fence = opening["fence"]
            closing = re.compile(rf"^[ \t]*{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$")
            j = i + 1
            options = {}
            while j < len(lines) and (option := OPTION.match(lines[j].strip())):
                options[option["key"]] = option["value"].strip()
                j += 1
            start = j
            while j < len(lines) and not closing.match(lines[j]):
                j += 1
            if j == len(lines):
                raise UnresolvedMyST(f"{{{opening['name']}}} directive is never closed")
            out.append(_directive(resolver, opening["name"], opening["arg"], options,
                                  "\n".join(lines[start:j])))
            i = j + 1
        elif line.strip() == "$$":
            flush()
            j = i + 1
            while j < len(lines) and not (lines[j].strip() == "$$" or LABELLED_MATH.match(lines[j].strip())):
                j += 1
            if j == len(lines):
                raise UnresolvedMyST("a $$ block is never closed")
            end = LABELLED_MATH.match(lines[j].strip())
            out.append(_math_block(resolver, "\n".join(lines[i + 1:j]), end["label"] if end else None))
            i = j + 1
        elif re.match(r"^\\begin\{(align|gather|equation)\*?\}", line.strip()):
            flush()
            env = re.match(r"^\\begin\{(\w+\*?)\}", line.strip())[1]
            j = i
            while j < len(lines) and f"\\end{{{env}}}" not in lines[j]:
                j += 1
            out.append(_math_block(resolver, "\n".join(lines[i:j + 1]), None))
            i = j + 1
        else:
            plain.append(line)
            i += 1
    flush()
    result = "\n".join(out)
    for macro, expansion in resolver.macros.items():
        result = re.sub(re.escape(macro) + r"(?![A-Za-z])", lambda _: expansion, result)
    return result


def myst_left(text: str) -> list[str]:
    """MyST roles, directives and targets still in ``text`` (what Jupyter would show raw)."""
    found = [m[0] for m in ROLE.finditer(text)]
    found += [m.group(0) for line in text.split("\n") if (m := DIRECTIVE_OPEN.match(line))]
    found += [m.group(0) for m in TARGET.finditer(text)]
    found += [line for line in text.split("\n") if LABELLED_MATH.match(line.strip())]
    return found
