"""Point the Colab launch button of MyST-markdown chapters at their published ``.ipynb`` twin.

Colab opens only ``.ipynb`` files from GitHub, and the chapters are MyST markdown. The theme
already writes each chapter's executed notebook next to the page (``_sources/<page>.ipynb``, the
file the download button gives), and the deploy job publishes the built site to the branch named
by ``colab_notebooks_branch`` (``gh-pages``). So the twin of ``chapters/03_x.md`` is
``<repo>/blob/gh-pages/_sources/chapters/03_x.ipynb``: generated at build time from the same
source, never edited, never out of date, with its outputs, its widgets and the hidden set-up cell
that installs ``lib`` on Colab. Pages whose source already is an ``.ipynb`` keep the theme's link
to the repository file. Trade-off (see README): Colab opens what main last deployed, not a pull
request's version; Binder opens the markdown file itself through jupytext.

MyST-NB 1.4 writes the executed notebook (``jupyter_execute/<page>.ipynb``, the twin's source)
without outputs when it takes them from jupyter-cache (it saves the notebook it read, not the
merged one), so ``restore_cached_outputs`` puts the cached outputs back before pages are written.
"""
from __future__ import annotations

from pathlib import Path

import nbformat
from sphinx.application import Sphinx
from sphinx.util import logging

LOGGER = logging.getLogger(__name__)


def _launch_group(context: dict):
    for button in context.get("header_buttons", []):
        if button.get("label") == "launch-buttons":
            return button
    return None


def point_colab_at_twin(app: Sphinx, pagename, templatename, context, doctree) -> None:
    group = _launch_group(context)
    if group is None or not str(context.get("sourcename", "")).endswith((".md", ".md.txt")):
        return
    branch = app.config.colab_notebooks_branch
    for button in group["buttons"]:
        if button.get("text") == "Colab":
            # .../blob/<branch>/<path>.md  ->  .../blob/<pages branch>/_sources/<page>.ipynb
            prefix = button["url"].split("/blob/")[0]
            button["url"] = f"{prefix}/blob/{branch}/_sources/{pagename}.ipynb"


def restore_cached_outputs(app: Sphinx, env) -> None:
    """Give the executed notebooks written from the cache their outputs (and widget state)."""
    cache_path = getattr(getattr(env, "mystnb_config", None), "execution_cache_path", "")
    executed = Path(app.outdir).parent / "jupyter_execute"
    if not cache_path or not Path(cache_path).exists() or not executed.exists():
        return
    from jupyter_cache import get_cache

    cache = get_cache(cache_path)
    restored = 0
    for path in sorted(executed.rglob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        if any(cell.get("outputs") for cell in nb.cells if cell.cell_type == "code"):
            continue
        try:
            _, merged = cache.merge_match_into_notebook(nb)
        except KeyError:                      # never executed (e.g. released exercises)
            continue
        nbformat.write(merged, path)
        # the theme copies it to _sources/ when it writes the page; pages not rewritten now keep
        # their old copy, so refresh that too
        twin = Path(app.outdir) / "_sources" / path.relative_to(executed)
        if twin.exists():
            nbformat.write(merged, twin)
        restored += 1
    if restored:
        LOGGER.info(f"colab_twins: outputs restored from the cache into {restored} notebook(s)")


def setup(app: Sphinx) -> dict:
    # after reading (MyST-NB has written jupyter_execute/), before pages and _sources are written
    app.connect("env-updated", restore_cached_outputs)
    app.add_config_value("colab_notebooks_branch", "gh-pages", "html")
    # after sphinx-book-theme builds the launch buttons (priority 501)
    app.connect("html-page-context", point_colab_at_twin, priority=600)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
