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
"""
from __future__ import annotations

from sphinx.application import Sphinx


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


def setup(app: Sphinx) -> dict:
    app.add_config_value("colab_notebooks_branch", "gh-pages", "html")
    # after sphinx-book-theme builds the launch buttons (priority 501)
    app.connect("html-page-context", point_colab_at_twin, priority=600)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
