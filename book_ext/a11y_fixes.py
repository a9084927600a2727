"""Accessibility fixes for the theme's markup (sphinx-book-theme / pydata-sphinx-theme).

tests/test_site.py runs axe-core on every page and fails on serious or critical violations; the
ones the theme itself causes are fixed here, by ``static/a11y_fixes.js`` (names for the search
fields, the sidebar toggles, the colour-mode switch, list roles in the bibliography) and
``static/a11y_fixes.css`` (link colours with enough contrast on tinted boxes).
"""
from __future__ import annotations

from book_ext.offline_assets import add_static_path  # the same book_ext/static folder


def setup(app):
    app.connect("config-inited", add_static_path)
    app.add_js_file("a11y_fixes.js")
    app.add_css_file("a11y_fixes.css")
    return {"parallel_read_safe": True, "parallel_write_safe": True}
