"""Incoming article formats turned into library files: `.txt`/`.md` as they are, `.html` and
`.jsonl` into Markdown with front matter (title, outlet, byline, date, url).

HTML boilerplate (navigation, footers, scripts) is stripped by trafilatura, which also reads
the page's title, author, date and site name from its metadata.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

from . import IngestError

FIELDS = ("title", "outlet", "byline", "date", "url")
TEXT_SUFFIXES = (".txt", ".md")
HTML_SUFFIXES = (".html", ".htm")
JSONL_SUFFIXES = (".jsonl",)
SUFFIXES = TEXT_SUFFIXES + HTML_SUFFIXES + JSONL_SUFFIXES


@dataclass(frozen=True)
class Incoming:
    """One article ready to be written to the library as a Markdown file."""

    title: str
    text: str
    outlet: str = ""
    byline: str = ""
    date: str = ""
    url: str = ""

    def to_markdown(self) -> str:
        """Front matter, then the text with paragraphs separated by blank lines."""
        lines = ["---"]
        for name in FIELDS:
            value = " ".join(str(getattr(self, name)).split())  # one line per field
            if value:
                lines.append(f"{name}: {value}")
        lines.append("---")
        return "\n".join(lines) + "\n" + self.text.strip() + "\n"


def from_html(html: str, name: str) -> Incoming:
    """The article of an HTML page, boilerplate stripped, metadata from the page's head."""
    import trafilatura

    document = trafilatura.bare_extraction(html, with_metadata=True, include_comments=False,
                                           include_tables=False, favor_precision=True)
    if document is None or not (document.text or "").strip():
        raise IngestError(f"{name}: no article text found in the HTML")
    title = (document.title or "").strip()
    paragraphs = [p.strip() for p in document.text.split("\n") if p.strip()]
    if paragraphs and title and paragraphs[0] == title:
        paragraphs = paragraphs[1:]
    if not paragraphs:
        raise IngestError(f"{name}: the HTML holds a title but no article text")
    return Incoming(title=title or paragraphs[0][:120], text="\n\n".join(paragraphs),
                    outlet=(document.sitename or "").strip(), byline=(document.author or "").strip(),
                    date=(document.date or "").strip(), url=(document.url or "").strip())


def from_jsonl(text: str, name: str) -> tuple[list[Incoming], list[str]]:
    """Articles of a JSON-lines file (text, title, outlet, byline, date, url per line) and
    one message per line that could not be read."""
    found, problems = [], []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"{name} line {number}: not JSON ({exc.msg})")
            continue
        if not isinstance(row, dict) or not isinstance(row.get("text"), str) or not row["text"].strip():
            problems.append(f"{name} line {number}: needs a non-empty \"text\" field")
            continue
        body = row["text"].replace("\r\n", "\n")
        title = str(row.get("title") or "").strip() or body.strip().split("\n")[0][:120]
        found.append(Incoming(title=title, text=body, **{k: str(row.get(k) or "") for k in FIELDS[1:]}))
    return found, problems
