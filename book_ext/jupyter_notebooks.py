"""The notebooks the site gives away read like the site, and run on the engine of their build.

After the HTML is written (``build-finished``) this extension

* rewrites each MyST chapter's ``.ipynb`` twin (``_sources/<page>.ipynb``: the download button's
  file, the one Colab opens; see ``colab_twins``) for Jupyter: every Markdown cell through
  :mod:`book_ext.myst_to_jupyter` (glued values of this build, links to the site's pages,
  "(Author, year)" citations with a reference list at the end, plain-Markdown admonitions and
  exercises, folded solutions, the engine's real code, ``$$`` maths), and its set-up cell through
  :func:`book_ext.engine_wheel.setup_cell_source` for this build's engine wheel;
* serves the engine's wheels in ``_static/engine/`` (this build's, and the ones released
  exercises pin, from ``chapters/exercises/engine/``) with a ``SHA256SUMS`` file;
* writes one archive per exercise, ``_static/exercises/<id>.zip`` (the notebook, the engine wheel
  it pins, which holds the engine's data, and a README), offered by the page's download menu.

The course home (site and repository) comes from ``_config.yml`` (:mod:`book_ext.course_home`),
which is also where the README's badges are refreshed from (``builder-inited``).
"""
from __future__ import annotations

import functools
import json
import re
import shutil
from pathlib import Path

import nbformat
from sphinx.application import Sphinx
from sphinx.util import logging

from book_ext.course_home import sphinx_course_home, write_badges
from book_ext.engine_wheel import (
    ENGINE_FOLDER,
    EngineWheel,
    build_wheel,
    engine_version,
    is_setup_cell,
    setup_cell_source,
    sha256_of,
    version_of,
    wheel_filename,
    write_zip,
)
from book_ext.exercise_release import ENGINE_DIR
from book_ext.myst_to_jupyter import Resolver, UnresolvedMyST, to_jupyter_markdown

LOGGER = logging.getLogger(__name__)
ARCHIVES = "_static/exercises"


# -- what the build knows -------------------------------------------------------------------------

def _numbered(app: Sphinx, env) -> dict[str, tuple[str, str, str]]:
    """label -> (docname, anchor, "Fig. 3"), for every numbered figure, exercise, theorem, table."""
    formats = app.config.numfig_format
    numbers = {}
    for docname, kinds in env.toc_fignumbers.items():
        for kind, ids in kinds.items():
            if kind in ("displaymath", "section"):
                continue
            for anchor, number in ids.items():
                template = formats.get(kind, kind + " %s")
                shown = template % ".".join(map(str, number))
                numbers[anchor] = (docname, anchor, shown[0].upper() + shown[1:])
    return numbers


def _equations(env) -> dict[str, tuple[str, str]]:
    """label -> (docname, number as the site shows it: numbered across the book when numfig)."""
    equations = {}
    for label, (docname, number) in env.domaindata["math"]["objects"].items():
        across = env.toc_fignumbers.get(docname, {}).get("displaymath", {}).get(f"equation-{label}")
        equations[label] = (docname, ".".join(map(str, across)) if across else str(number))
    return equations


def glued_values(glue_file: Path) -> dict[str, dict[str, str]]:
    """name -> {mime type: text} of each value the page glued (MyST-NB's ``<page>.glue.json``)."""
    if not glue_file.is_file():
        return {}
    outputs = json.loads(glue_file.read_text(encoding="utf-8"))
    return {name: output.get("data", {}) for name, output in outputs.items()}


@functools.lru_cache(maxsize=4)
def _bib_entries(bibfiles: tuple[tuple[str, int], ...]) -> dict:
    """The entries of the .bib files (path, mtime), parsed once while they are unchanged (every
    chapter cites from them)."""
    from pybtex.database import parse_file

    entries = {}
    for bibfile, _ in bibfiles:
        entries.update(parse_file(bibfile).entries)
    return entries


@functools.cache
def _pybtex_plugin(group: str, name: str):
    """A pybtex plugin, made once per build: each look-up scans the entry points of every
    installed package (seconds per chapter when done per reference)."""
    from pybtex.plugin import find_plugin

    return find_plugin(group, name)()


class Bibliography:
    """The book's references (``bibtex_bibfiles``): "(Author, year)" and a formatted list."""

    def __init__(self, app: Sphinx):
        paths = [Path(app.srcdir) / bibfile for bibfile in app.config.bibtex_bibfiles]
        self.entries = _bib_entries(tuple((str(p), p.stat().st_mtime_ns) for p in paths))
        self.used: list[str] = []

    def _author_year(self, key: str) -> tuple[str, str]:
        if key not in self.entries:
            raise UnresolvedMyST(f"{{cite}}`{key}`: not in the bibliography")
        if key not in self.used:
            self.used.append(key)
        entry = self.entries[key]
        people = entry.persons.get("author") or entry.persons.get("editor") or []
        last = [" ".join(p.last_names) for p in people]
        names = (last[0] if len(last) == 1 else " and ".join(last) if len(last) == 2
                 else f"{last[0]} et al.")
        return names.replace("{", "").replace("}", ""), entry.fields.get("year", "n.d.")

    def cite(self, keys: list[str], role: str) -> str:
        pairs = [self._author_year(key) for key in keys]
        if role == "cite:t":
            return "; ".join(f"{names} ({year})" for names, year in pairs)
        return "(" + "; ".join(f"{names}, {year}" for names, year in pairs) + ")"

    def reference_list(self) -> str:
        style = _pybtex_plugin("pybtex.style.formatting", "plain")
        markdown = _pybtex_plugin("pybtex.backends", "markdown")
        entries = [self.entries[key] for key in self.used]
        formatted = {e.key: e.text.render(markdown) for e in style.format_entries(entries)}
        lines = []
        for key in self.used:
            names, year = self._author_year(key)
            lines.append(f"* {names} ({year}). {formatted.get(key, key)}".replace("\\", ""))
        return "## References\n\n" + "\n".join(lines)


def _read_literal(app: Sphinx, docname: str):
    from sphinx.directives.code import LiteralIncludeReader

    def read(path: str, options: dict) -> str:
        known = {"pyobject", "lines", "start-after", "end-before", "language", "dedent"}
        if set(options) - known:
            raise UnresolvedMyST(
                f"literalinclude {path}: options {set(options) - known} not supported"
            )
        filename = (Path(app.srcdir) / docname).parent / path
        text, _ = LiteralIncludeReader(str(filename), dict(options), app.config).read()
        return text
    return read


# -- the Jupyter twins ----------------------------------------------------------------------------

def jupyter_notebook(app: Sphinx, env, docname: str, notebook, wheel: EngineWheel,
                     glued: dict[str, dict[str, str]]):
    """``notebook`` (the executed twin of ``docname``, whose glued values are ``glued``) rewritten
    to read in Jupyter as on the site."""
    from myst_nb.core.variables import format_plain_text

    home = sphinx_course_home(app)
    std = env.domaindata["std"]
    bibliography = Bibliography(app)
    resolver = Resolver(
        docname=docname, site_url=home.site_url, glue=glued,
        titles={doc: title.astext() for doc, title in env.titles.items()},
        labels={label: value for label, value in std["labels"].items() if value[1]},
        numbers=_numbered(app, env),
        equations=_equations(env),
        toctree=env.toctree_includes.get(docname, []),
        cite=bibliography.cite, read_literal=_read_literal(app, docname),
        macros={f"\\{name}": value for name, value in
                app.config.mathjax3_config.get("tex", {}).get("macros", {}).items()},
        format_glue=format_plain_text)
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            cell.source = to_jupyter_markdown(resolver, cell.source)
    if bibliography.used:
        # a fixed cell id: the same twin, byte for byte, from the same build inputs
        notebook.cells.append(nbformat.v4.new_markdown_cell(bibliography.reference_list(),
                                                            id="references"))
    for cell in notebook.cells:
        if is_setup_cell(cell):
            cell.source = setup_cell_source(wheel, home.site_url)
            cell.outputs = []
            break
    return notebook


def _myst_pages(app: Sphinx, env) -> list[str]:
    return sorted(doc for doc in env.found_docs
                  if Path(env.doc2path(doc)).suffix == ".md"
                  and (Path(app.outdir) / "_sources" / f"{doc}.ipynb").is_file())


def write_jupyter_twins(app: Sphinx, env, wheel: EngineWheel) -> None:
    executed = Path(app.outdir).parent / "jupyter_execute"   # MyST-NB's executed notebooks
    for docname in _myst_pages(app, env):
        twin = Path(app.outdir) / "_sources" / f"{docname}.ipynb"
        # always from the executed notebook, never from a twin an earlier build rewrote
        notebook = nbformat.read(executed / f"{docname}.ipynb", as_version=4)
        try:
            jupyter_notebook(app, env, docname, notebook, wheel,
                             glued_values(executed / f"{docname}.glue.json"))
        except (UnresolvedMyST, OSError) as error:
            LOGGER.warning(f"jupyter_notebooks: {docname}: {error}", location=docname)
            continue
        nbformat.write(notebook, twin)


# -- wheels and archives --------------------------------------------------------------------------

def _pinned_wheel_name(notebook_path: Path) -> str | None:
    match = re.search(r'ENGINE_WHEEL = \\"([^"\\]+)\\"', notebook_path.read_text(encoding="utf-8"))
    return match[1] if match else None


def _exercises(app: Sphinx, env) -> list[str]:
    return sorted(
        doc
        for doc in env.found_docs
        if doc.startswith("chapters/exercises/") and Path(env.doc2path(doc)).suffix == ".ipynb"
    )


README = """{title}

Offline copy of a course exercise: the notebook and the course engine it was released with
(nn-course {version}; the wheel also holds the engine's data).

1. In a Python 3.11+ environment with Jupyter:   pip install {wheel}
   (or just open the notebook: its first cell installs the wheel next to it when `lib` is missing)
2. jupyter lab {notebook}

Course site: {site}
"""


def write_engine_and_archives(app: Sphinx, env) -> EngineWheel:
    static = Path(app.outdir) / ENGINE_FOLDER
    static.mkdir(parents=True, exist_ok=True)
    released = Path(app.srcdir) / ENGINE_DIR
    for pinned in sorted(released.glob("*.whl")):
        shutil.copyfile(pinned, static / pinned.name)
    # this build's engine: the released file when the engine has not changed since (its SHA-256
    # is the one the exercises name; another zlib could compress the same files differently)
    current = static / wheel_filename(engine_version(Path(app.srcdir)))
    wheel = (
        EngineWheel(current, version_of(current.name), sha256_of(current))
        if current.is_file()
        else build_wheel(Path(app.srcdir), static)
    )
    (static / "SHA256SUMS").write_text("".join(f"{sha256_of(p)}  {p.name}\n"
                                               for p in sorted(static.glob("*.whl"))))
    home = sphinx_course_home(app)
    for docname in _exercises(app, env):
        source = Path(env.doc2path(docname))
        name = _pinned_wheel_name(source)
        if name is None or not (released / name).is_file():
            LOGGER.warning(f"jupyter_notebooks: {docname} pins no engine wheel in {ENGINE_DIR}: "
                           "run `make release`", location=docname)
            continue
        if home.site_url not in source.read_text(encoding="utf-8"):
            LOGGER.warning(
                f"jupyter_notebooks: {docname} was released for another course home than "
                f"{home.site_url} (_config.yml): run `make release`",
                location=docname,
            )
        stem = Path(docname).name
        write_zip(Path(app.outdir) / ARCHIVES / f"{stem}.zip", sorted({
            f"{stem}/{stem}.ipynb": source.read_bytes(),
            f"{stem}/{name}": (released / name).read_bytes(),
            f"{stem}/README.txt": README.format(
                title=env.titles[docname].astext(), version=version_of(name), wheel=name,
                notebook=f"{stem}.ipynb", site=home.site_url).encode()}.items()))
    return wheel


def add_archive_button(app: Sphinx, pagename, templatename, context, doctree) -> None:
    source = str(context.get("sourcename", ""))
    if not pagename.startswith("chapters/exercises/") or not source.endswith(".ipynb"):
        return
    for group in context.get("header_buttons", []):
        if group.get("label") == "download-buttons":
            group["buttons"].insert(1, {
                "type": "link", "text": ".zip", "icon": "fas fa-file-zipper",
                "url": context["pathto"](f"{ARCHIVES}/{Path(pagename).name}.zip", 1),
                "tooltip": "Download the notebook with its engine, for offline use",
                "label": "download-archive-button"})


def on_build_finished(app: Sphinx, exception) -> None:
    if exception is not None or app.builder.format != "html":
        return
    wheel = write_engine_and_archives(app, app.env)
    write_jupyter_twins(app, app.env, wheel)


def refresh_badges(app: Sphinx) -> None:
    readme = Path(app.srcdir) / "README.md"
    if readme.is_file() and write_badges(readme, sphinx_course_home(app)):
        LOGGER.info("jupyter_notebooks: README badges rewritten for the course home of _config.yml")


def setup(app: Sphinx) -> dict:
    app.connect("builder-inited", refresh_badges)
    # after sphinx-book-theme adds its buttons (priority 501)
    app.connect("html-page-context", add_archive_button, priority=600)
    app.connect("build-finished", on_build_finished)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
