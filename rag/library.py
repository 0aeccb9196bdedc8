"""The article library (the seeds folder): add files to it and remove articles from it, safely.

Every write goes to a temporary file in the library and is then renamed into place, so a
killed ingest never leaves half a file. Nothing already in the library is changed by an add:
a name clash gets a new name, an exact duplicate is refused with a message.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from .ingest import (IngestError, REMOVED_FILE, check_inside, decode, load_metadata, load_seeds,
                     parse_file, seed_files)
from .ingest.formats import HTML_SUFFIXES, JSONL_SUFFIXES, SUFFIXES, Incoming, from_html, from_jsonl
from .records import Article
from .text import content_hash, normalize

MAX_INPUT_BYTES = 5_000_000


@dataclass(frozen=True)
class Report:
    """What happened to one input: `added` files written, or why it was refused."""

    source: str
    added: tuple[str, ...] = ()
    message: str = ""

    @property
    def ok(self) -> bool:
        return bool(self.added)


def text_key(text: str) -> str:
    """Identity of an article's words, whatever its outlet or file: for exact duplicates."""
    return content_hash(normalize(text))


def add(paths: list[Path], seeds_dir: Path, progress: bool = False) -> list[Report]:
    """Copy or convert each input into the library; one report per input (or per bad line).

    `progress` shows a bar on stderr when there are many files."""
    import sys

    from tqdm import tqdm

    seeds_dir = Path(seeds_dir)
    if not seeds_dir.is_dir():
        raise IngestError(f"library folder not found: {seeds_dir}")
    metadata = load_metadata(seeds_dir)
    existing, _ = load_seeds(seeds_dir, metadata)
    known = {_body_key(a): a for a in existing}
    reports: list[Report] = []
    files = _expand(paths)
    for path in tqdm(files, desc="adding", unit="file", file=sys.stderr, disable=not progress or len(files) < 50):
        try:
            reports.extend(_add_one(path, seeds_dir, metadata, known))
        except (IngestError, OSError) as exc:
            reports.append(Report(str(path), message=str(exc) if isinstance(exc, IngestError) else
                                  f"{path.name}: cannot read ({exc.strerror})"))
    return reports


def _expand(paths: list[Path]) -> list[Path]:
    """Files named, and the article files inside folders named, in a stable order."""
    out = []
    for path in map(Path, paths):
        if path.is_dir():
            out.extend(sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES))
        else:
            out.append(path)
    return out


def _add_one(path: Path, seeds_dir: Path, metadata, known: dict[str, Article]) -> list[Report]:
    if not path.exists():
        raise IngestError(f"{path}: no such file")
    if path.suffix.lower() not in SUFFIXES:
        raise IngestError(f"{path.name}: unsupported type {path.suffix or '(none)'}; use {', '.join(SUFFIXES)}")
    size = path.stat().st_size
    if size > MAX_INPUT_BYTES:
        raise IngestError(f"{path.name}: {size:,} bytes is over the {MAX_INPUT_BYTES:,}-byte limit for one file")
    text, encoding = decode(path.read_bytes(), path.name, detect=True)
    note = "" if encoding == "utf-8" else f" (decoded from {encoding})"
    suffix = path.suffix.lower()
    if suffix in HTML_SUFFIXES:
        return [_write_incoming(from_html(text, path.name), path, seeds_dir, metadata, known, note)]
    if suffix in JSONL_SUFFIXES:
        incoming, problems = from_jsonl(text, path.name)
        reports = [Report(f"{path} line", message=p) for p in problems]
        for item in incoming:
            reports.append(_write_incoming(item, path, seeds_dir, metadata, known, note))
        return reports
    articles = parse_file(text, path.name, metadata)  # refuses files with no article text
    duplicate = _first_duplicate(articles, known)
    if duplicate:
        raise IngestError(f"{path.name}: already in the library as {duplicate.id} ({duplicate.source}); not added")
    name = _free_name(seeds_dir, _slug(path.stem) + suffix, text)
    _write_atomic(seeds_dir / name, text)
    for article in parse_file(text, name, metadata):
        known[_body_key(article)] = article
    return [Report(str(path), (name,), f"added {len(articles)} article(s) as {name}{note}")]


def _write_incoming(item: Incoming, path: Path, seeds_dir: Path, metadata, known: dict[str, Article],
                    note: str) -> Report:
    markdown = item.to_markdown()
    name = _free_name(seeds_dir, _slug(item.title or path.stem)[:60] + ".md", markdown)
    articles = parse_file(markdown, name, metadata)
    duplicate = _first_duplicate(articles, known)
    if duplicate:
        return Report(str(path), message=f"{path.name}: “{item.title}” already in the library as "
                                         f"{duplicate.id} ({duplicate.source}); not added")
    _write_atomic(seeds_dir / name, markdown)
    for article in articles:
        known[_body_key(article)] = article
    return Report(str(path), (name,), f"added “{item.title}” as {name}{note}")


def _body_key(article: Article) -> str:
    """The article's words without its headline: the same story under another title is a duplicate."""
    body = article.text[article.blocks[1].start:] if len(article.blocks) > 1 else article.text
    return text_key(body)


def _first_duplicate(articles: list[Article], known: dict[str, Article]) -> Article | None:
    for article in articles:
        if _body_key(article) in known:
            return known[_body_key(article)]
    return None


def _slug(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug or "article"


def _free_name(seeds_dir: Path, name: str, content: str) -> str:
    """`name`, or `name` with a content hash when another file already has that name."""
    if not (seeds_dir / name).exists():
        return name
    stem, suffix = os.path.splitext(name)
    return f"{stem}-{content_hash(content, length=8)}{suffix}"


def _write_atomic(path: Path, text: str) -> None:
    """Write to a temporary file beside `path`, flush it to disk, then rename it into place."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def remove(target: str, seeds_dir: Path) -> str:
    """Take an article out of the library by id (or id prefix) or by file path; returns what was done."""
    seeds_dir = Path(seeds_dir)
    candidate = Path(target)
    if candidate.suffix.lower() in SUFFIXES or os.sep in target or candidate.exists():
        return _remove_file(candidate if candidate.is_absolute() or candidate.exists() else seeds_dir / candidate,
                            seeds_dir)
    articles, _ = load_seeds(seeds_dir)
    matches = [a for a in articles if a.id.startswith(target.lower())] if len(target) >= 6 else []
    if not matches:
        raise IngestError(f"no article with id {target!r} in the library (ids have 16 hex digits; see --list)")
    if len(matches) > 1:
        raise IngestError(f"id prefix {target!r} matches {len(matches)} articles; give more digits")
    article = matches[0]
    siblings = [a for a in articles if a.source == article.source]
    if len(siblings) == 1:
        return _remove_file(seeds_dir / article.source, seeds_dir, article)
    # the file holds other articles too: record the removal instead of rewriting the file
    removed = seeds_dir / REMOVED_FILE
    previous = removed.read_text() if removed.exists() else "# articles removed from multi-article files\n"
    _write_atomic(removed, previous + f"{article.id}  # {article.outlet}: {article.headline}\n")
    return f"removed {article.id} ({article.outlet}: {article.headline}) from {article.source}"


def _remove_file(path: Path, seeds_dir: Path, article: Article | None = None) -> str:
    if path.is_symlink() and path.parent.resolve() == seeds_dir.resolve():
        path.unlink()  # a link in the library is removed itself; its target is never touched
        return f"removed link {path.name}"
    resolved = check_inside(path, seeds_dir)
    if not resolved.is_file() or resolved not in {p.resolve() for p in seed_files(seeds_dir)}:
        raise IngestError(f"{path}: not an article file of the library {seeds_dir}")
    resolved.unlink()
    what = f" ({article.outlet}: {article.headline})" if article else ""
    return f"removed {resolved.name}{what}"
