"""The course's home, set once: ``repository.url`` in ``_config.yml`` (and, optionally, the site's
address in ``html.baseurl``; without it the GitHub Pages address of that repository).

Everything a student follows to the course is derived from it at build or release time: the
theme's launch, issue and edit buttons (Jupyter Book reads ``repository.url`` itself), the Colab
twins (``colab_twins``), the set-up cells of the downloadable chapters (``jupyter_notebooks``) and
of the released exercises (``exercise_release``), and the README's badges (:func:`write_badges`).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import yaml

# the upstream repository's home: its released exercises and its site are public, so they show
# the default variant of each exercise (grading.variants); a course's own copy has its own home
UPSTREAM_HOME = "https://github.com/nn-course/shallow-to-deep"
BADGES_BEGIN = "<!-- badges: written by book_ext/course_home.py from _config.yml; do not edit -->"
BADGES_END = "<!-- /badges -->"


@dataclass(frozen=True)
class CourseHome:
    repository_url: str      # https://github.com/<owner>/<name>
    site_url: str            # where the built site is served, ending in "/"

    @property
    def repository_path(self) -> str:
        """``<owner>/<name>``."""
        return urlparse(self.repository_url).path.strip("/")


def course_home(repository_url: str, baseurl: str = "") -> CourseHome:
    """The home named by the setting; the site defaults to GitHub Pages of the repository."""
    repository_url = repository_url.rstrip("/").removesuffix(".git")
    url = urlparse(repository_url)
    parts = url.path.strip("/").split("/")
    if url.scheme != "https" or len(parts) != 2 or not all(parts):
        raise ValueError(f"repository.url in _config.yml must be https://<host>/<owner>/<name>, "
                         f"got {repository_url!r}")
    if not baseurl:
        if url.netloc != "github.com":
            raise ValueError(f"repository.url {repository_url} is not on GitHub: set html.baseurl "
                             "in _config.yml to the address the site is published at")
        owner, name = parts
        baseurl = f"https://{owner.lower()}.github.io/{name}/"
    return CourseHome(repository_url, baseurl.rstrip("/") + "/")


def read_course_home(root: Path) -> CourseHome:
    """The home set in ``<root>/_config.yml`` (for tools that run outside the book build)."""
    config = yaml.safe_load((Path(root) / "_config.yml").read_text(encoding="utf-8"))
    return course_home(config["repository"]["url"], (config.get("html") or {}).get("baseurl") or "")


def sphinx_course_home(app) -> CourseHome:
    """The home as the book build sees it (Jupyter Book passes _config.yml on to Sphinx)."""
    url = app.config.html_theme_options.get("repository_url", "")
    return course_home(url, app.config.html_baseurl or "")


def badges(home: CourseHome, branch: str = "main") -> str:
    """The README's badges: the published site, Binder, and the build of the site."""
    return "\n".join([
        BADGES_BEGIN,
        f"[![course site](https://img.shields.io/badge/course-site-blue)]({home.site_url})",
        f"[![Binder](https://mybinder.org/badge_logo.svg)](https://mybinder.org/v2/gh/"
        f"{home.repository_path}/{branch})",
        f"[![book](https://github.com/{home.repository_path}/actions/workflows/book.yml/badge.svg)]"
        f"({home.repository_url}/actions/workflows/book.yml)",
        BADGES_END])


def write_badges(readme: Path, home: CourseHome, branch: str = "main") -> bool:
    """Rewrite the badge block of ``readme`` for ``home``; True if the file changed."""
    text = readme.read_text(encoding="utf-8")
    block = re.compile(re.escape(BADGES_BEGIN) + r".*?" + re.escape(BADGES_END), re.S)
    if not block.search(text):
        raise ValueError(f"{readme} has no badge block ({BADGES_BEGIN} ... {BADGES_END})")
    new = block.sub(lambda _: badges(home, branch), text)
    if new != text:
        readme.write_text(new, encoding="utf-8")
    return new != text


def set_course_home(root: Path, repository_url: str) -> CourseHome:
    """Write ``repository_url`` as ``repository.url`` of ``<root>/_config.yml`` (only that line)
    and the README's badges for it."""
    root = Path(root)
    home = course_home(repository_url)          # refuse a malformed URL before writing anything
    config = root / "_config.yml"
    text = config.read_text(encoding="utf-8")
    new, count = re.subn(r"(?m)^(repository:\n(?:[ \t]*#.*\n)*[ \t]+url:[ \t]*).*$",
                         lambda m: m[1] + home.repository_url, text)
    if count != 1:
        raise ValueError(f"{config}: no `repository: url:` entry to set")
    config.write_text(new, encoding="utf-8")
    home = read_course_home(root)                # html.baseurl, if set, still applies
    write_badges(root / "README.md", home)
    return home


if __name__ == "__main__":
    import sys

    if len(sys.argv) != 2:
        sys.exit("usage: python -m book_ext.course_home https://github.com/<owner>/<name>")
    done = set_course_home(Path.cwd(), sys.argv[1])
    print(
        f"course home: {done.repository_url} (site {done.site_url}); now `make release` and publish"
    )
