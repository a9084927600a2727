"""Serve MathJax, RequireJS and the ipywidgets HTML manager from the site itself.

The published book must not ask a CDN for anything (privacy rules, offline classrooms, exams).
The three JavaScript packages are installed from the npm registry by ``npm ci`` (pinned in
``package.json`` / ``package-lock.json``; ``make book`` runs it) and this Sphinx extension
copies them into ``_static/vendor/`` of the built site. ``_config.yml`` points Sphinx
(``mathjax_path``) and MyST-NB (``nb_ipywidgets_js``) at those copies; the extension refuses to
build when either setting names another host or a file that is not vendored. It also loads
``static/widgets_offline.js`` between RequireJS and the widget manager (fonts from the vendored
copy, MathJax 3 for widget labels, names for sliders), and drops sphinx-thebe's scripts, which
name a CDN (unpkg) and are dead weight unless Thebe is switched on.
"""
from __future__ import annotations

import shutil
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.errors import ConfigError, ExtensionError
from sphinx.util import logging

LOGGER = logging.getLogger(__name__)

# destination under <site>/_static/vendor/  ->  source under node_modules/
VENDORED = {
    "mathjax": "mathjax/es5",
    "requirejs": "requirejs",
    "html-manager": "@jupyter-widgets/html-manager/dist",
}
# source maps, the non-AMD bundles and npm's own files are not needed by the pages
IGNORE = shutil.ignore_patterns("*.map", "embed.js", "libembed-amd.js", "bin", "package.json",
                                "README.md", "node-main.js")
STATIC_PREFIX = "vendor/"
OWN_STATIC = Path(__file__).parent / "static"     # this folder's scripts, served from _static/


def node_modules(app: Sphinx) -> Path:
    return Path(app.srcdir) / "node_modules"


def _is_remote(url: str) -> bool:
    return "//" in url or url.startswith(("http:", "https:", "data:"))


def check_config(app: Sphinx, config) -> None:
    """Fail early, naming the setting, if a page would load a script from another host."""
    missing = [src for src in VENDORED.values() if not (node_modules(app) / src).exists()]
    if missing:
        raise ExtensionError(
            f"offline_assets: {', '.join('node_modules/' + m for m in missing)} missing; "
            "run `npm ci` in the repository root (`make book` does it)")
    scripts = {"mathjax_path": [config.mathjax_path],
               "nb_ipywidgets_js": list(getattr(config, "nb_ipywidgets_js", {}) or {})}
    for key, urls in scripts.items():
        for url in urls:
            if _is_remote(url):
                raise ConfigError(
                    f"{key} = {url!r} loads a script from another host; point it "
                    f"at the copy in _static/{STATIC_PREFIX} (see book_ext/offline_assets.py)"
                )
            if (OWN_STATIC / url).is_file():
                continue
            if not url.startswith(STATIC_PREFIX) or _source_of(app, url) is None:
                raise ConfigError(f"{key} = {url!r} is not a vendored file; expected a path "
                                  f"under {STATIC_PREFIX} among {sorted(VENDORED)}")


def add_static_path(app: Sphinx, config) -> None:
    if str(OWN_STATIC) not in config.html_static_path:
        config.html_static_path.append(str(OWN_STATIC))


def drop_unused_thebe(app: Sphinx, pagename, templatename, context, doctree) -> None:
    """Remove sphinx-thebe's scripts (they name unpkg.com) when Thebe is not switched on."""
    launch = app.config.html_theme_options.get("launch_buttons", {}) or {}
    if launch.get("thebe") or "script_files" not in context:
        return

    def is_thebe(js) -> bool:
        body = (getattr(js, "attributes", {}) or {}).get("body", "") or ""
        filename = str(getattr(js, "filename", js) or "")
        return "THEBE_JS_URL" in body or filename.endswith("sphinx-thebe.js")

    context["script_files"] = [js for js in context["script_files"] if not is_thebe(js)]


def _source_of(app: Sphinx, static_url: str) -> Path | None:
    """node_modules file served at _static/<static_url>, or None if it is not vendored."""
    head, _, rest = static_url[len(STATIC_PREFIX):].partition("/")
    if head not in VENDORED:
        return None
    path = node_modules(app) / VENDORED[head] / rest
    return path if path.is_file() else None


def copy_vendored(app: Sphinx, exception) -> None:
    """Copy the vendored packages into the built site (html builders only)."""
    if exception is not None or app.builder.format != "html":
        return
    target = Path(app.outdir) / "_static" / STATIC_PREFIX
    for dest, src in VENDORED.items():
        shutil.copytree(node_modules(app) / src, target / dest, ignore=IGNORE, dirs_exist_ok=True)
    LOGGER.info(f"offline_assets: served MathJax, RequireJS and the widget manager from {target}")


def setup(app: Sphinx) -> dict:
    app.connect("config-inited", add_static_path)
    app.connect("config-inited", check_config)
    app.connect("html-page-context", drop_unused_thebe, priority=900)
    app.connect("build-finished", copy_vendored)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
