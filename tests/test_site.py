"""The published site, checked as a student sees it: built with `make book`, served on
127.0.0.1, opened page by page in headless Chromium (Debian's /usr/bin/chromium, driven by
Playwright) with every other host blocked.

Every page listed in _toc.yml (plus the search and index pages) is covered by existing: nothing to
register when a chapter or exercise page is added. A screenshot of each chapter is saved under
test-artifacts/screenshots/ (kept out of git).
"""
from __future__ import annotations

import functools
import html
import http.server
import json
import re
import socketserver
import threading
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlparse

import pytest
import yaml
from book_build import HTML, build_book
from notebook_runner import ROOT

pytestmark = [pytest.mark.book, pytest.mark.slow]

CHROMIUM = Path("/usr/bin/chromium")
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
SEARCH_TERMS = ["neuron", "network"]           # words the introduction itself uses
# pages that extensions generate beside the ones in _toc.yml
EXTENSION_PAGES = {"sphinx_proof": "prf-prf.html"}


def toc_pages() -> list[str]:
    """Every page of the book, as paths of .html files relative to the site root."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    docs = [toc["root"]]

    def walk(node):
        if isinstance(node, dict):
            if "file" in node:
                docs.append(node["file"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)
    walk({k: v for k, v in toc.items() if k != "root"})
    pages = [str(Path(d).with_suffix("")) + ".html" for d in docs]
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    extensions = (config.get("sphinx") or {}).get("extra_extensions") or []
    generated = ["genindex.html", "search.html", "index.html"]
    generated += [page for ext, page in EXTENSION_PAGES.items() if ext in extensions]
    return sorted(set(pages)) + generated


PAGES = toc_pages()


# --- the build ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def built():
    return build_book()


@pytest.fixture(scope="module")
def site(built):
    if not (HTML / "chapters" / "intro.html").exists():
        pytest.fail("make book produced no site; see test_book_builds_with_warnings_as_errors\n"
                    + "\n".join(built.log.splitlines()[-40:]))
    return HTML


def test_book_builds_with_warnings_as_errors(built):
    """`make book` (all notebooks executed, -W --nitpick) succeeds: no warning anywhere."""
    assert built.returncode == 0, ("make book failed; warnings and errors:\n"
                                   + "\n".join(built.warnings or built.log.splitlines()[-60:]))


def test_sphinx_executes_no_notebook(built):
    """`make book` runs the chapters first, in parallel (book_ext/chapter_execution.py), into the
    cache MyST-NB reads: Sphinx must find every one there (same cache keys), none executed.
    (tests/test_chapter_execution.py shows it on a small book, counting runs.)"""
    assert built.returncode == 0
    sphinx = built.log.split("jupyter-book build", 1)[-1]
    executed = [line for line in sphinx.splitlines() if "Executing notebook" in line]
    assert not executed, "Sphinx executed notebooks itself:\n" + "\n".join(executed)


def test_every_built_page_is_checked(site):
    """No page reaches the site without being opened in the browser below."""
    built_pages = {str(p.relative_to(site)) for p in site.rglob("*.html")
                   if not p.relative_to(site).parts[0].startswith("_")}
    assert built_pages - set(PAGES) == set(), (
        "pages the browser tests do not open: add them to _toc.yml (or EXTENSION_PAGES); "
        "a page left over from an older build goes with `make clean-book`")


# --- static checks of the HTML -----------------------------------------------------------------

class _Anchors(HTMLParser):
    """Collects the ids and the links of a page."""

    def __init__(self):
        super().__init__()
        self.ids, self.links = set(), []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            self.ids.add(attrs["id"])
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])


@functools.cache
def _anchors(path: Path) -> _Anchors:
    parser = _Anchors()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def test_internal_links_and_cross_references_resolve(site):
    """Every link inside the site (chapter cross-references, citations to the bibliography,
    figure and equation references) points at an existing page and an existing anchor."""
    broken = []
    for page in PAGES:
        path = site / page
        for href in _anchors(path).links:
            url = urlparse(href)
            if url.scheme or href.startswith(("mailto:", "javascript:")):
                continue
            target = (path.parent / unquote(url.path)).resolve() if url.path else path
            if target.is_dir():
                target = target / "index.html"
            if not target.exists():
                broken.append(f"{page}: {href} (no such file)")
            elif url.fragment and target.suffix == ".html" \
                    and unquote(url.fragment) not in _anchors(target).ids:
                broken.append(f"{page}: {href} (no anchor #{url.fragment})")
    assert not broken, "broken links:\n" + "\n".join(broken)


def test_citations_reach_the_bibliography(site):
    """Each {cite} in a chapter links to an entry that the bibliography page lists."""
    bib = site / "chapters" / "bibliography.html"
    assert bib.exists(), "chapters/bibliography.html is missing"
    cited = []
    for page in PAGES:
        for href in _anchors(site / page).links:
            if "bibliography.html#" in href:
                cited.append((page, href.split("#", 1)[1]))
    missing = [f"{page} cites #{key}" for page, key in cited if key not in _anchors(bib).ids]
    assert not missing, "\n".join(missing)


def test_figures_and_labelled_equations_are_numbered(site):
    """Captioned figures carry a number ('Fig. 3'); labelled display equations an '(n)'."""
    problems = []
    for page in PAGES:
        text = (site / page).read_text(encoding="utf-8")
        for caption in re.findall(r"<figcaption>(.*?)</figcaption>", text, re.S):
            if "caption-number" not in caption:
                problems.append(f"{page}: figure without number: {_strip(caption)[:80]}")
        for div in re.findall(r'<div class="math[^"]*" id="[^"]+">(.*?)</div>', text, re.S):
            if 'class="eqno"' not in div:
                problems.append(f"{page}: labelled equation without number: {_strip(div)[:80]}")
    assert not problems, "\n".join(problems)


class _Fetched(HTMLParser):
    """URLs a browser fetches by itself when it renders the page (not the links one clicks)."""
    FETCHING_LINKS = {"stylesheet", "preload", "modulepreload", "icon", "shortcut", "manifest",
                      "prefetch", "dns-prefetch", "preconnect"}

    def __init__(self):
        super().__init__()
        self.urls = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in {"script", "img", "iframe", "source", "video", "audio", "embed"} and attrs.get(
            "src"
        ):
            self.urls.append((tag, attrs["src"]))
        if tag == "link" and attrs.get("href") and \
                set((attrs.get("rel") or "").lower().split()) & self.FETCHING_LINKS:
            self.urls.append((tag, attrs["href"]))


def test_no_page_loads_anything_from_another_host(site):
    """Scripts, styles, images, fonts and frames come from the site itself (no CDN)."""
    found = []
    for page in PAGES:
        parser = _Fetched()
        parser.feed((site / page).read_text(encoding="utf-8"))
        found += [f"{page}: <{tag}> {url}" for tag, url in parser.urls if urlparse(url).netloc]
    assert not found, "\n".join(found)


def _notebook_widget_views(site: Path, page: str) -> int:
    """Widget views among the outputs of the page's executed notebook (0 if not a notebook)."""
    executed = site / "_sources" / Path(page).with_suffix(".ipynb")
    if not executed.exists():
        return 0
    nb = json.loads(executed.read_text(encoding="utf-8"))
    return sum(WIDGET_VIEW in out.get("data", {})
               for cell in nb["cells"] for out in cell.get("outputs", []))


def test_widget_state_is_saved_in_the_pages(site):
    """A page whose notebook shows widgets carries every shown widget's saved state, so sliders
    render without a kernel, and shows at least one static figure beside them."""
    problems = []
    for page in PAGES:
        text = (site / page).read_text(encoding="utf-8")
        views = [json.loads(html.unescape(v)) for v in re.findall(
            rf'<script type="{re.escape(WIDGET_VIEW)}">(.*?)</script>', text, re.S)]
        expected = _notebook_widget_views(site, page)
        if not views and not expected:
            continue
        if len(views) < expected:
            problems.append(
                f"{page}: {expected} widget view(s) in the notebook, {len(views)} in the page"
            )
        states = re.findall(rf'<script type="{re.escape(WIDGET_STATE)}">(.*?)</script>', text, re.S)
        models = set()
        for state in states:
            models |= set(json.loads(html.unescape(state)).get("state", {}))
        missing = [v["model_id"] for v in views if v["model_id"] not in models]
        if missing:
            problems.append(f"{page}: no saved state for widget model(s) {missing}")
        if "<figure" not in text:
            problems.append(f"{page}: widgets but no static figure beside them")
    assert not problems, "\n".join(problems)


def _strip(fragment: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", fragment)).strip()


# --- the browser -------------------------------------------------------------------------------

class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server(site):
    handler = functools.partial(_QuietHandler, directory=str(site))
    httpd = socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


class Browser:
    """One headless Chromium with a fresh profile; records requests to other hosts."""

    def __init__(self, context, base_url):
        self.context, self.base_url = context, base_url
        self.foreign: list[str] = []
        host = urlparse(base_url).netloc
        context.route("**/*", lambda route: self._route(route, host))

    def _route(self, route, host):
        if urlparse(route.request.url).netloc == host:
            route.continue_()
        else:
            self.foreign.append(route.request.url)
            route.abort("blockedbyclient")

    def open(self, page_path: str):
        """Open a page; returns (page, problems) where problems lists console errors,
        uncaught exceptions, failed requests and requests to other hosts."""
        self.foreign.clear()
        problems: list[str] = []
        page = self.context.new_page()
        page.on("console", lambda m: m.type == "error" and problems.append(f"console: {m.text}"))
        page.on("pageerror", lambda e: problems.append(f"exception: {e}"))
        page.on(
            "requestfailed", lambda r: problems.append(f"failed request: {r.url} ({r.failure})")
        )
        page.on(
            "response", lambda r: r.status >= 400 and problems.append(f"HTTP {r.status}: {r.url}")
        )
        page.goto(urljoin(self.base_url, page_path), wait_until="load")
        page.wait_for_load_state("networkidle")
        return page, problems


@pytest.fixture(scope="module")
def browser(server, tmp_path_factory):
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium package")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")), executable_path=str(CHROMIUM),
            headless=True, args=CHROMIUM_FLAGS, viewport={"width": 1280, "height": 900})
        try:
            yield Browser(context, server)
        finally:
            context.close()


_WAIT_FOR_MATH = """async () => {
    if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
        await MathJax.startup.promise;
        if (MathJax.typesetPromise) await MathJax.typesetPromise();
    }
}"""

_MATH_REPORT = """() => {
    const math = [...document.querySelectorAll('.math')];
    return {
        math: math.length,
        unrendered: math.filter(m => !m.querySelector('mjx-container'))
                        .map(m => m.textContent.slice(0, 60)),
        errors: [...document.querySelectorAll('mjx-merror')].map(e => e.textContent.slice(0, 80)),
        mathjax: !!window.MathJax,
    };
}"""

_BROKEN_IMAGES = """async () => {
    const images = [...document.images];
    images.forEach(img => { img.loading = 'eager'; });
    await Promise.all(images.map(img => img.complete ? null :
        new Promise(done => {
            img.addEventListener('load', done);
            img.addEventListener('error', done);
        })));
    return images.filter(img => !(img.complete && img.naturalWidth > 0)).map(img => img.src);
}"""

_RUN_AXE = """async (source) => {
    // require.js (on widget pages) would capture axe as an AMD module: hide `define` while loading
    const define = window.define;
    window.define = undefined;
    try { (0, eval)(source); } finally { window.define = define; }
    const result = await axe.run(document, {resultTypes: ['violations']});
    return result.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
        .map(v => `${v.impact} ${v.id}: ${v.help} -- ${v.nodes.length} element(s), e.g. ` +
                  v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | '));
}"""


@pytest.mark.browser
@pytest.mark.parametrize("page_path", PAGES)
def test_page_renders_offline(browser, site, page_path):
    """No console error, no failed or foreign request, math typeset, images loaded, widgets drawn,
    and no serious or critical accessibility violation (axe-core)."""
    page, problems = browser.open(page_path)
    try:
        page.evaluate(_WAIT_FOR_MATH)
        math = page.evaluate(_MATH_REPORT)
        if math["math"] and not math["mathjax"]:
            problems.append("page has math but MathJax did not load")
        problems += [f"math not typeset: {m!r}" for m in math["unrendered"]]
        problems += [f"MathJax error: {m!r}" for m in math["errors"]]

        problems += [f"image not loaded: {src}" for src in page.evaluate(_BROKEN_IMAGES)]

        views = (site / page_path).read_text(encoding="utf-8").count(WIDGET_VIEW)
        if views:
            try:
                page.wait_for_function(
                    "n => [...document.querySelectorAll('.widget-subarea')]"
                    "       .filter(area => area.querySelector('.jupyter-widgets')).length >= n",
                    arg=views, timeout=20_000)
            except Exception:
                drawn = page.evaluate(
                    "[...document.querySelectorAll('.widget-subarea')]"
                    ".filter(area => area.querySelector('.jupyter-widgets')).length"
                )
                problems.append(f"{views} widget view(s) in the page, {drawn} drawn")
            if page.get_by_text("Error displaying widget").count():
                problems.append("a widget failed to display")

        if page_path.startswith("chapters/"):
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            name = page_path.removeprefix("chapters/").replace("/", "__").removesuffix(".html")
            page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)

        problems += [f"axe: {v}" for v in page.evaluate(_RUN_AXE, AXE.read_text(encoding="utf-8"))]
        problems += [f"request to another host: {url}" for url in browser.foreign]
    finally:
        page.close()
    assert not problems, f"{page_path}:\n" + "\n".join(problems)


@pytest.mark.browser
@pytest.mark.parametrize("term", SEARCH_TERMS)
def test_search_returns_results(browser, site, term):
    page, problems = browser.open(f"search.html?q={term}")
    try:
        page.wait_for_function(
            "() => document.querySelectorAll('#search-results ul.search li').length > 0",
            timeout=20_000)
        hits = page.eval_on_selector_all(
            "#search-results ul.search li a", "as => as.map(a => a.href)"
        )
    finally:
        page.close()
    assert hits, f"searching {term!r} found nothing"
    assert not problems, "\n".join(problems)


@pytest.mark.browser
def test_the_browser_blocks_and_reports_other_hosts(browser, site):
    """The harness itself: a request to another host is blocked, recorded and fails the page."""
    page, problems = browser.open("genindex.html")
    try:
        page.evaluate("""() => new Promise(done => {
            const img = document.createElement('img');
            img.onload = img.onerror = done;
            img.src = 'https://cdn.example.org/tracker.png';
            document.body.appendChild(img);
        })""")
        broken = page.evaluate(_BROKEN_IMAGES)
    finally:
        page.close()
    assert browser.foreign == ["https://cdn.example.org/tracker.png"]
    assert any("cdn.example.org" in p for p in problems), problems
    assert broken == ["https://cdn.example.org/tracker.png"]
