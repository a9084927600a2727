"""references.bib: every journal article carries its DOI, and every citation in a chapter has an
entry. Checked on the source (tests/test_site.py checks the links of the built site)."""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# journals that assign no DOI to these articles: an arXiv preprint, and JMLR (which has none)
NO_DOI_JOURNALS = ("arXiv preprint", "Journal of Machine Learning Research")
# articles whose DOI could not be verified from two sources when they were added: listed, not
# guessed (a wrong DOI is worse than none); add the DOI and remove the key once verified
DOI_NOT_VERIFIED = {"hamey1998", "sprinkhuizen1998", "sprinkhuizen1999", "sprinkhuizen1999local"}


def bib_entries():
    text = (ROOT / "references.bib").read_text(encoding="utf-8")
    entries = {}
    for match in re.finditer(r"@(\w+)\{([^,]+),(.*?)\n\}", text, flags=re.S):
        kind, key, body = match.groups()
        fields = dict(re.findall(r"(\w+)\s*=\s*\{(.*?)\},?\s*$", body, flags=re.M))
        assert key not in entries, f"duplicate bibliography key {key}"
        entries[key] = (kind.lower(), fields)
    return entries


def test_every_article_has_a_doi_unless_its_journal_assigns_none():
    entries = bib_entries()
    assert len(entries) >= 20
    for key, (kind, fields) in entries.items():
        if kind != "article":
            continue
        if fields.get("journal", "").startswith(NO_DOI_JOURNALS):
            assert "doi" not in fields
            continue
        if key in DOI_NOT_VERIFIED:
            continue
        assert "doi" in fields, f"{key}: an article without its DOI"
        doi = fields["doi"]
        assert re.fullmatch(r"10\.\d{4,5}/\S+", doi), f"{key}: malformed DOI {doi}"
    dois = [f["doi"] for _, f in entries.values() if "doi" in f]
    assert len(dois) == len(set(dois))


def test_every_citation_in_the_chapters_has_an_entry():
    keys = set(bib_entries())
    cited = set()
    for chapter in (ROOT / "chapters").glob("*.md"):
        for group in re.findall(r"\{cite(?::\w+)?\}`([^`]+)`", chapter.read_text(encoding="utf-8")):
            cited.update(k.strip() for k in group.split(","))
    assert cited, "no citations found"
    assert cited <= keys, f"cited but not in references.bib: {sorted(cited - keys)}"
    # the entries this course added for the correctness pass are cited somewhere
    assert {"leshno1993", "barron1993", "nielsen2015ch4", "hanin2019complexity"} <= cited
