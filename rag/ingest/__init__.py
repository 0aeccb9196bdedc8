"""Ingestion: seed files -> Articles, page furniture dropped, captions marked, outlets credited.

A seed file is either one article (optionally with `---` front matter: title, outlet, byline,
date, url) or a compiled page of several articles joined by `CONTINUED:` lines. Which outlet a
byline belongs to comes from `outlets.toml` in the seeds folder, never from code.
"""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from datetime import date as Date
from pathlib import Path

from ..records import Article, Block
from ..text import content_hash, normalize

METADATA_FILE = "outlets.toml"
REMOVED_FILE = "removed.txt"  # ids of articles taken out of multi-article files, one per line
ARTICLE_SUFFIXES = (".txt", ".md")
MAX_FILE_BYTES = 5_000_000

_CONTINUED = re.compile(r"^\s*CONTINUED:\s*$", re.MULTILINE)
_SIGN_OFF = re.compile(r"^By\s+(?P<names>[^.!?]{2,80})$")
_AGENCY_CREDIT = re.compile(r"^(?:Additional\s+)?[Rr]eporting by\s+(?P<outlet>[^.]{2,40})\.?$")
_CONTRIBUTOR = re.compile(r"^(?P<outlet>[A-Z][\w.&-]*(?: [A-Z][\w.&-]*)?)[’']s .{2,80} contributed to this report\.?$")
_DATELINE_AGENCY = re.compile(r"/(?P<outlet>[A-Z][A-Za-z]{1,10})/")
_MONTHS = {m: i for i, m in enumerate(
    "jan feb mar apr may jun jul aug sep oct nov dec".split(), start=1)}
_DATE = re.compile(r"\b(?P<month>[A-Z][a-z]{2})[a-z]*\.? (?P<day>\d{1,2}),? (?P<year>(?:19|20)\d\d)\b")
_SENTENCE_END = ("." , "!", "?", "”", '"', "’", "'", ")", ":")


class IngestError(ValueError):
    """A seed file or folder that cannot be read as articles; the message names it."""


@dataclass(frozen=True)
class AgencySection:
    headline: str
    start_text: str
    outlet: str


@dataclass(frozen=True)
class SeedMetadata:
    """Editable publishing metadata read from `outlets.toml`."""

    bylines: dict[str, str] = field(default_factory=dict)
    outlet_names: dict[str, str] = field(default_factory=dict)
    furniture: frozenset[str] = frozenset()
    pages: dict[str, dict] = field(default_factory=dict)

    def outlet_of_byline(self, names: str) -> str | None:
        """The outlet of the first name in a sign-off that the metadata knows."""
        for name in re.split(r"\s*(?:&|,|\band\b)\s*", names):
            if name.strip() in self.bylines:
                return self.bylines[name.strip()]
        return None

    def outlet_name(self, written: str) -> str:
        return self.outlet_names.get(written, written)

    def agency_sections(self, source: str) -> list[AgencySection]:
        page = self.pages.get(source, {})
        return [AgencySection(s["headline"], s["from"], s["outlet"]) for s in page.get("agency_sections", [])]


def load_metadata(seeds_dir: Path) -> SeedMetadata:
    """Read `outlets.toml`; a missing file means no bylines are known."""
    path = Path(seeds_dir) / METADATA_FILE
    if not path.exists():
        return SeedMetadata()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise IngestError(f"{path}: not valid TOML ({exc})") from exc
    return SeedMetadata(
        bylines=dict(data.get("bylines", {})),
        outlet_names=dict(data.get("outlet_names", {})),
        furniture=frozenset(normalize(x) for x in data.get("furniture", {}).get("lines", [])),
        pages=dict(data.get("pages", {})),
    )


def seed_files(seeds_dir: Path) -> list[Path]:
    """The article files of a seeds folder, in a stable order (reserved files excluded)."""
    seeds_dir = Path(seeds_dir)
    if not seeds_dir.is_dir():
        raise IngestError(f"seeds folder not found: {seeds_dir}")
    return sorted(p for p in seeds_dir.iterdir()
                  if p.suffix.lower() in ARTICLE_SUFFIXES and p.name != REMOVED_FILE and (p.is_file() or p.is_symlink()))


def check_inside(path: Path, folder: Path) -> Path:
    """`path` resolved; IngestError when it (or the link it is) leads outside `folder`."""
    resolved = Path(path).resolve()
    if not resolved.is_relative_to(Path(folder).resolve()):
        kind = "a symlink out of" if Path(path).is_symlink() else "outside"
        raise IngestError(f"{Path(path).name}: {kind} the library {folder}; refused")
    return resolved


def decode(data: bytes, name: str, detect: bool = False) -> tuple[str, str]:
    """Text of a file's bytes and the encoding used; refuses empty, oversized and binary
    data by name. UTF-8 is expected; with `detect`, other encodings are recognised."""
    if not data:
        raise IngestError(f"{name}: empty file")
    if len(data) > MAX_FILE_BYTES:
        raise IngestError(f"{name}: {len(data):,} bytes is over the {MAX_FILE_BYTES:,}-byte limit for one file")
    if b"\x00" in data[:8192]:
        raise IngestError(f"{name}: binary file (NUL bytes), not text")
    try:
        text, encoding = data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError as exc:
        guess = _detect(data) if detect else None
        if guess is None:
            raise IngestError(f"{name}: not UTF-8 text (byte {exc.start}); save it as UTF-8") from exc
        text, encoding = guess
    if not text.strip():
        raise IngestError(f"{name}: no text")
    return text.replace("\r\n", "\n").replace("\r", "\n"), encoding


def _detect(data: bytes) -> tuple[str, str] | None:
    """Text and encoding when charset detection is confident, else None."""
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None or best.chaos > 0.3 or not best.encoding:
        return None
    return str(best), best.encoding


def read_text_file(path: Path) -> str:
    """A library file's text; refuses empty, oversized, binary and non-UTF-8 files by name."""
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:  # checked before reading: a 50 MB file is never loaded
        raise IngestError(f"{path.name}: {size:,} bytes is over the {MAX_FILE_BYTES:,}-byte limit for one file")
    return decode(path.read_bytes(), path.name)[0]


def removed_ids(seeds_dir: Path) -> set[str]:
    """Ids of articles removed from files that hold several."""
    path = Path(seeds_dir) / REMOVED_FILE
    if not path.exists():
        return set()
    return {line.split("#")[0].strip() for line in path.read_text().splitlines() if line.split("#")[0].strip()}


def load_seeds(seeds_dir: Path, metadata: SeedMetadata | None = None) -> tuple[list[Article], list[str]]:
    """All articles of a seeds folder, and one message per file that could not be read."""
    seeds_dir = Path(seeds_dir)
    files = seed_files(seeds_dir)
    metadata = metadata if metadata is not None else load_metadata(seeds_dir)
    removed = removed_ids(seeds_dir)
    articles: list[Article] = []
    problems: list[str] = []
    for path in files:
        try:
            check_inside(path, seeds_dir)
            articles.extend(a for a in parse_file(read_text_file(path), path.name, metadata) if a.id not in removed)
        except IngestError as exc:
            problems.append(str(exc))
    return articles, problems


def parse_file(text: str, source: str, metadata: SeedMetadata) -> list[Article]:
    """The articles of one file: a compiled page splits at its CONTINUED: lines."""
    front, body = _front_matter(text)
    page = metadata.pages.get(source, {})
    defaults = {"date": page.get("date", ""), "url": page.get("url", ""), **front}
    parts = [p for p in _CONTINUED.split(body) if p.strip()]
    if not parts:
        raise IngestError(f"{source}: no article text")
    articles = [_parse_article(part, source, metadata, defaults) for part in parts]
    return [a for a in articles if a.text.strip()]


def _front_matter(text: str) -> tuple[dict[str, str], str]:
    if not text.startswith("---\n"):
        return {}, text
    end = text.find("\n---", 4)
    if end < 0:
        return {}, text
    fields = {}
    for line in text[4:end].splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip():
            fields[key.strip().lower()] = value.strip().strip('"').strip("'")
    if "title" in fields:
        fields["headline"] = fields.pop("title")
    return fields, text[end + 4:].lstrip("\n")


@dataclass
class _Draft:
    """An article being assembled from its lines."""

    paragraphs: list[tuple[str, str]] = field(default_factory=list)  # (text, kind)
    byline: str = ""
    byline_outlet: str | None = None
    credit_outlet: str | None = None
    dateline_outlet: str | None = None
    agency: str | None = None
    date: str = ""


def _parse_article(part: str, source: str, metadata: SeedMetadata, defaults: dict[str, str]) -> Article:
    blocks = _line_blocks(part)
    draft = _Draft()
    headline = defaults.get("headline", "")
    if not headline and blocks:
        headline = blocks[0].pop(0)
        blocks = [b for b in blocks if b]
    if headline:
        draft.paragraphs.append((headline, "headline"))
    _read_header(blocks, draft)
    _read_body(blocks, draft, metadata)
    return _assemble(draft, headline, source, metadata, defaults)


def _line_blocks(part: str) -> list[list[str]]:
    """Non-empty lines grouped by blank lines; leading/trailing spaces stripped."""
    blocks: list[list[str]] = [[]]
    for line in part.split("\n"):
        if line.strip():
            blocks[-1].append(line.strip())
        elif blocks[-1]:
            blocks.append([])
    return [b for b in blocks if b]


def _read_header(blocks: list[list[str]], draft: _Draft) -> None:
    """Dateline and standfirst: the short, unpunctuated lines right under the headline."""
    while blocks and len(blocks[0]) == 1:
        line = blocks[0][0]
        found = _DATE.search(line)
        if found and len(line.split()) <= 6:
            draft.date = _iso_date(found) or draft.date
        elif _is_unpunctuated(line) and not _SIGN_OFF.match(line) and not line.startswith("•"):
            draft.paragraphs.append((line, "standfirst"))
        else:
            return
        blocks.pop(0)


def _read_body(blocks: list[list[str]], draft: _Draft, metadata: SeedMetadata) -> None:
    seen_body = False
    for block in blocks:
        for line in block:
            kind = _classify(line, len(block) > 1, draft, metadata)
            if kind == "end":
                if seen_body:
                    return  # a sign-off closes the article: what follows is page furniture
                continue
            if kind is None:
                continue
            seen_body = seen_body or kind == "body"
            draft.paragraphs.append((line, kind))


def _classify(line: str, in_group: bool, draft: _Draft, metadata: SeedMetadata) -> str | None:
    """The paragraph kind of one line, None for furniture, "end" for a sign-off."""
    if normalize(line) in metadata.furniture or "©" in line:
        return None  # page furniture and photo credits are not article text
    if line.startswith("•"):
        return "summary"
    if sign_off := _SIGN_OFF.match(line):
        draft.byline = sign_off["names"].strip()
        draft.byline_outlet = metadata.outlet_of_byline(draft.byline)
        return "end"
    if agency := _AGENCY_CREDIT.match(line):
        draft.agency = metadata.outlet_name(agency["outlet"].strip())
        return None
    if credit := _CONTRIBUTOR.match(line):
        draft.credit_outlet = metadata.outlet_name(credit["outlet"])
        return None
    if dateline := _DATELINE_AGENCY.search(line[:80]):
        draft.dateline_outlet = draft.dateline_outlet or metadata.outlet_name(dateline["outlet"])
    if in_group or line.startswith("Pictured:") or line[:1].islower():
        return "caption"  # stacked lines and "Pictured:" lines are picture captions
    if _is_unpunctuated(line) and len(line.split()) <= 8:
        return "heading"
    return "body"


def _is_unpunctuated(line: str) -> bool:
    return not line.rstrip().endswith(_SENTENCE_END)


def _iso_date(match: re.Match) -> str:
    month = _MONTHS.get(match["month"].lower())
    if month is None:
        return ""
    try:
        return Date(int(match["year"]), month, int(match["day"])).isoformat()
    except ValueError:
        return ""


def _assemble(draft: _Draft, headline: str, source: str, metadata: SeedMetadata,
              defaults: dict[str, str]) -> Article:
    outlet = (defaults.get("outlet") or draft.byline_outlet or draft.credit_outlet
              or draft.dateline_outlet or (metadata.outlet_of_byline(defaults.get("byline", "")) or "")
              or "Unknown")
    agency_from = _agency_start(metadata.agency_sections(source), headline, draft)
    pieces, blocks, offset = [], [], 0
    for index, (para, kind) in enumerate(draft.paragraphs):
        if pieces:
            offset += 2
        block_outlet = draft.agency if agency_from is not None and index >= agency_from else None
        blocks.append(Block(offset, offset + len(para), kind, block_outlet))
        pieces.append(para)
        offset += len(para)
    text = "\n\n".join(pieces)
    return Article(
        id=content_hash(outlet, text),
        outlet=outlet,
        headline=headline,
        text=text,
        byline=defaults.get("byline") or draft.byline,
        date=draft.date or defaults.get("date", ""),
        url=defaults.get("url", ""),
        source=source,
        blocks=tuple(blocks),
    )


def _agency_start(sections: list[AgencySection], headline: str, draft: _Draft) -> int | None:
    """Index of the first paragraph of agency copy named in the metadata, if any."""
    if draft.agency is None:
        return None
    for section in sections:
        if normalize(section.headline) != normalize(headline):
            continue
        for index, (para, _) in enumerate(draft.paragraphs):
            if normalize(para).startswith(normalize(section.start_text)):
                return index
    return None
