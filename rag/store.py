"""The persisted corpus index: articles, chunks, sentences, FAISS and BM25, and a manifest.

Layout under the index folder:

    CURRENT               name of the build folder in use (replaced atomically)
    <build>/manifest.json model, dimension, chunker settings, corpus hash, file sizes
    <build>/articles.jsonl, chunks.jsonl, sentences.npz, dense.faiss, bm25/
    <build>/acronyms.txt  initials of the articles' multi-word names ("gdp"), one a line
    <build>/late_codes.bin, late_offsets.npy   word-piece codes (rag/late.py), when the
                                               embedder makes them

A build writes a new folder and only then points CURRENT at it, so a build that is killed
midway leaves the previous index in use.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sys
import tempfile
import time
import uuid
import weakref
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterable

import numpy as np

from .chunk import ChunkSettings, chunk_articles
from .embed import Embedder, embed_with_tokens, makes_codes
from .late import CODES_FILE, OFFSETS_FILE, CodeWriter, TokenCodes, fingerprint as late_fingerprint
from .index import BM25Index, DenseIndex
from .ingest import MAX_FILE_BYTES, METADATA_FILE, REMOVED_FILE, IngestError, check_inside, load_seeds, seed_files
from .records import Article, Block, Chunk, Entity, Occurrence
from .spans import name_initials
from .text import ascii_fold, sentence_spans, without_possessive

FORMAT = 1
# Bump when ingestion or annotation rules change, so existing indexes are rebuilt.
PIPELINE_VERSION = "2026-11-30.1"
CURRENT = "CURRENT"
_LETTER_WORD = re.compile(r"\b[^\W\d_][\w'’-]*")  # a word starting with a letter, any script
# "-3": spans.name_initials' rules of 2026-12-01 (a name's tails); an index built without the
# file works them out at first use
ACRONYMS_FILE = "acronyms-3.txt"
NAMES_FILE = "names.txt"  # see CorpusIndex.name_forms
VERIFY_LIMIT = 256 * 1024 * 1024  # indexes up to this size are checksummed on every load


class IndexUnavailable(RuntimeError):
    """An index folder that is missing, stale or unreadable; the message says which file."""


@dataclass(frozen=True)
class Sentences:
    """Every sentence of every chunk, once, with its unit vector (float16 to halve memory)."""

    chunk: np.ndarray  # int32: the first chunk that holds the sentence
    start: np.ndarray  # int32: offsets into the article text
    end: np.ndarray
    vectors: np.ndarray  # float16 (n, dim)
    by_chunk: dict[int, list[int]] = field(default_factory=dict)


@dataclass
class CorpusIndex:
    """Everything a query needs, loaded in memory."""

    manifest: dict
    articles: dict[str, Article]
    chunks: list[Chunk]
    sentences: Sentences
    dense: DenseIndex
    bm25: BM25Index
    folder: Path | None = None
    late: TokenCodes | None = None  # word-piece codes per chunk; None: the embedder made none
    acronyms: frozenset[str] | None = None  # see `initials`; None until first asked for
    names: frozenset[str] | None = None  # see `name_forms`; None until first asked for

    def initials(self) -> frozenset[str]:
        """The initials of every multi-word name in the articles ("gdp" where one says "Gross
        Domestic Product"), so that a question's acronym counts as mentioned. Worked out at
        build time and read at first use; an index built before the file existed works them
        out from its articles then."""
        if self.acronyms is None:
            self.acronyms = self._saved_words(ACRONYMS_FILE, acronyms_of)
        return self.acronyms

    def name_forms(self) -> frozenset[str]:
        """The articles' names, folded (`names_of`): what a question's name is compared with
        when it is spelt without diacritics or one letter differently. Worked out at build time
        (0.4 s for 3,000 news passages) and read at first use; an index built before the file
        existed works them out from its articles then."""
        if self.names is None:
            self.names = self._saved_words(NAMES_FILE, names_of)
        return self.names

    def _saved_words(self, name: str, derive: Callable[[Iterable[Article]], frozenset[str]]) -> frozenset[str]:
        """The words a build saved in the index folder's file `name`, or, for an index built
        before that file existed (or one in memory), `derive` of its articles."""
        path = self.folder / name if self.folder is not None else None
        if path is not None and path.is_file():
            return frozenset(path.read_text(encoding="utf-8").split())
        return derive(self.articles.values())


def names_of(articles: Iterable[Article]) -> frozenset[str]:
    """The names of the articles' headlines and texts: words they only ever capitalise
    ("Galápagos", not a sentence's first "While"), lower-cased without diacritics
    ("galapagos"), hyphenated words whole and in parts."""
    capitalised: set[str] = set()
    lower: set[str] = set()
    for article in articles:
        for text in (article.headline, article.text):
            for word in _LETTER_WORD.findall(text):
                for form in {word, *word.split("-")}:  # "anti-Russian": "Russian" is still a name
                    (capitalised if form[:1].isupper() else lower).add(ascii_fold(without_possessive(form)))
    return frozenset(capitalised - lower - {""})


def acronyms_of(articles: Iterable[Article]) -> frozenset[str]:
    """The initials of the multi-word names in the articles' headlines and texts."""
    found: set[str] = set()
    for article in articles:
        found |= name_initials(article.headline)
        found |= name_initials(article.text)
    return frozenset(found)


def corpus_fingerprint(seeds_dir: Path) -> str:
    """Hash of every seed file's name and bytes, the metadata file and the pipeline version."""
    digest = hashlib.sha256(PIPELINE_VERSION.encode())
    extra = [Path(seeds_dir) / name for name in (METADATA_FILE, REMOVED_FILE)]
    for path in seed_files(seeds_dir) + [p for p in extra if p.exists()]:
        digest.update(path.name.encode() + b"\x00")
        try:
            check_inside(path, seeds_dir)
            stat = path.stat()
        except (IngestError, OSError):
            continue  # a refused file is skipped by the build too
        if stat.st_size > MAX_FILE_BYTES:  # refused by the build; never read it whole
            digest.update(f"{stat.st_size}:{stat.st_mtime_ns}".encode())
        else:
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def settings_of(embedder: Embedder, chunking: ChunkSettings) -> dict:
    """The settings an index is built with; a difference from the manifest means rebuild."""
    return {"format": FORMAT, "model": embedder.name, "dimension": embedder.dimension,
            "chunking": asdict(chunking),
            "late": late_fingerprint() if makes_codes(embedder) else None}


def staleness(index_dir: Path, seeds_dir: Path, settings: dict) -> str | None:
    """Why the index must be (re)built, or None when it matches the seeds and settings."""
    manifest_path = current_folder(index_dir)
    if manifest_path is None:
        return "no index built yet"
    try:
        manifest = json.loads((manifest_path / "manifest.json").read_text())
    except (OSError, ValueError):
        return f"unreadable manifest in {manifest_path}"
    if manifest.get("settings") != settings:
        return "settings changed"
    if manifest.get("corpus") != corpus_fingerprint(seeds_dir):
        return "seed articles changed"
    return None


BUILD_BATCH = 512  # chunks annotated and embedded at a time (a progress step)


def build_corpus(articles: list[Article], embedder: Embedder, chunking: ChunkSettings,
                 progress: bool = True, known_entities: dict[str, tuple[Entity, ...]] | None = None,
                 batch: int = BUILD_BATCH, spool_dir: Path | None = None) -> CorpusIndex:
    """Chunk, annotate, embed and index `articles` in memory (`known_entities`: see annotate).

    Streams: chunks are annotated and embedded `batch` at a time and their vectors go straight
    into the FAISS index and a preallocated float16 sentence table, so memory grows with the
    index itself, not with copies of every text and vector. The result does not depend on
    `batch`. One progress bar (with an ETA) covers the whole build on stderr.
    """
    from tqdm import tqdm

    from .ann import FaissBuilder
    from .annotate import annotate_chunks
    from .tokens import count_tokens

    if batch <= 0:
        raise ValueError(f"batch must be > 0, got {batch}")
    chunks = chunk_articles(articles, chunking, lambda t: count_tokens(t, chunking.encoding))
    by_id = {a.id: a for a in articles}
    spans = _sentence_table(chunks, by_id)
    # An ONNX embedder exports its model here, at build time, not at the first question.
    warm_up = getattr(embedder, "warm_up", None)
    if warm_up is not None:
        warm_up()
    dense = FaissBuilder(len(chunks), embedder.dimension, spool_dir=spool_dir)
    # Word-piece codes go to a file as they come (about 15 KB a chunk), not into memory.
    # ".tmp": a killed build's leftover is swept like a half-written build folder.
    late = late_dir = None
    if makes_codes(embedder) and chunks:
        late_dir = Path(tempfile.mkdtemp(prefix=".late-", suffix=".tmp", dir=spool_dir))
        late = CodeWriter(late_dir / CODES_FILE)
    sentence_vectors = np.zeros((len(spans), embedder.dimension), dtype=np.float16)
    # Rows of the sentence table are in chunk order, so a batch of chunks owns one run of rows.
    owner = spans[:, 0]
    with tqdm(total=len(chunks), desc="indexing", unit="chunk", disable=not progress, file=sys.stderr,
              dynamic_ncols=True) as bar:
        for first in range(0, len(chunks), batch):
            part = annotate_chunks(chunks[first:first + batch], known_entities)
            chunks[first:first + len(part)] = part
            vectors, codes = embed_with_tokens(embedder, [c.text for c in part], batch_size=64)
            dense.add(np.asarray(vectors, dtype=np.float32))
            if late is not None:
                late.add(codes)
            low, high = np.searchsorted(owner, [first, first + len(part)])
            texts = [by_id[chunks[c].article_id].text[s:e] for c, s, e in spans[low:high].tolist()]
            sentence_vectors[low:high] = _encode(embedder, texts)
            bar.update(len(part))
    manifest = {
        "settings": settings_of(embedder, chunking),
        "pipeline_version": PIPELINE_VERSION,
        "built_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "counts": {"articles": len(articles), "chunks": len(chunks), "sentences": len(spans)},
        "outlets": sorted({a.outlet for a in articles} | {c.outlet for c in chunks}),
    }
    codes = None
    if late is not None:
        codes = late.finish(late_dir)
        # The folder goes with the in-memory index (a mapped file stays readable once unlinked).
        weakref.finalize(codes, shutil.rmtree, late_dir, True)
    return CorpusIndex(manifest, by_id, chunks, _sentences(spans, sentence_vectors, chunks),
                       DenseIndex(dense.finish()), BM25Index.build([c.text for c in chunks]), late=codes,
                       acronyms=acronyms_of(articles))


def build(seeds_dir: Path, index_dir: Path, embedder: Embedder, chunking: ChunkSettings,
          progress: bool = True, log: Callable[[str], None] | None = None, batch: int = BUILD_BATCH) -> Path:
    """Build the index for a seeds folder, save it and make it current; returns its folder."""
    log = log or (lambda message: print(message, file=sys.stderr))
    started = time.perf_counter()
    fingerprint = corpus_fingerprint(seeds_dir)
    articles, problems = load_seeds(seeds_dir)
    for problem in problems:
        log(f"skipped {problem}")
    # Vectors are cached by text under the index folder: a rebuild embeds only new or changed
    # text, and a build that was killed resumes where its last finished batch left off.
    from .embedcache import CachingEmbedder

    Path(index_dir).mkdir(parents=True, exist_ok=True)
    corpus = build_corpus(articles, CachingEmbedder(embedder, Path(index_dir) / "cache"), chunking, progress,
                          known_entities=_previous_entities(index_dir), batch=batch, spool_dir=index_dir)
    corpus.manifest.update(corpus=fingerprint, skipped=problems,
                           build_seconds=round(time.perf_counter() - started, 2))
    return save(corpus, index_dir)


def save(corpus: CorpusIndex, index_dir: Path) -> Path:
    """Write `corpus` as a new build folder, then point CURRENT at it (atomic switch)."""
    index_dir = Path(index_dir)
    index_dir.mkdir(parents=True, exist_ok=True)
    tag = str(corpus.manifest.get("corpus", "adhoc"))[:8]
    name = f"build-{datetime.now(timezone.utc):%Y%m%dT%H%M%S}-{tag}-{uuid.uuid4().hex[:8]}"
    staging = index_dir / f".{name}.tmp"
    staging.mkdir()
    _write_jsonl(staging / "articles.jsonl", (asdict(a) for a in corpus.articles.values()))
    _write_jsonl(staging / "chunks.jsonl", (asdict(c) for c in corpus.chunks))
    s = corpus.sentences
    np.savez(staging / "sentences.npz", spans=np.stack([s.chunk, s.start, s.end], axis=1).astype(np.int32),
             vectors=s.vectors)
    corpus.dense.save(staging / "dense.faiss")
    corpus.bm25.save(staging / "bm25")
    (staging / ACRONYMS_FILE).write_text("\n".join(sorted(corpus.initials())) + "\n", encoding="utf-8")
    (staging / NAMES_FILE).write_text("\n".join(sorted(corpus.name_forms())) + "\n", encoding="utf-8")
    if corpus.late is not None:
        np.save(staging / OFFSETS_FILE, corpus.late.offsets)
        with open(staging / CODES_FILE, "wb") as handle:
            for first in range(0, len(corpus.late.codes), 1 << 16):  # a memory map, copied in slices
                handle.write(np.ascontiguousarray(corpus.late.codes[first:first + (1 << 16)]).tobytes())
    manifest = dict(corpus.manifest)
    files = sorted(p.relative_to(staging).as_posix() for p in staging.rglob("*") if p.is_file())
    manifest["files"] = {f: (staging / f).stat().st_size for f in files}
    manifest["sha256"] = {f: _sha256(staging / f) for f in files}
    (staging / "manifest.json").write_text(json.dumps(manifest, indent=2))
    _fsync_tree(staging)
    final = index_dir / name
    os.replace(staging, final)
    _point_current(index_dir, name)
    _remove_old_builds(index_dir, keep=name)
    return final


def load(index_dir: Path) -> CorpusIndex:
    """Load the current index; a missing or damaged file raises IndexUnavailable naming it."""
    folder = current_folder(index_dir)
    if folder is None:
        raise IndexUnavailable(f"no index in {index_dir}")
    try:
        manifest = json.loads((folder / "manifest.json").read_text())
        sizes = manifest.get("files", {})
        for name, size in sizes.items():
            actual = (folder / name).stat().st_size
            if actual != size:
                raise IndexUnavailable(f"{folder / name} is {actual} bytes, the manifest says {size}: damaged")
        if sum(sizes.values()) <= VERIFY_LIMIT:  # full checksums while that stays cheap
            for name, digest in manifest.get("sha256", {}).items():
                if _sha256(folder / name) != digest:
                    raise IndexUnavailable(f"{folder / name} does not match its checksum: damaged")
        articles = [_article(d) for d in _read_jsonl(folder / "articles.jsonl")]
        chunks = [_chunk(d) for d in _read_jsonl(folder / "chunks.jsonl")]
        with np.load(folder / "sentences.npz") as data:
            spans, sentence_vectors = data["spans"], data["vectors"]
        dense = DenseIndex.load(folder / "dense.faiss")
        bm25 = BM25Index.load(folder / "bm25")
        late = TokenCodes.load(folder) if (folder / OFFSETS_FILE).exists() else None
    except IndexUnavailable:
        raise
    except Exception as exc:  # any parse failure means a damaged index, never a wrong answer
        raise IndexUnavailable(f"index in {folder} is unreadable ({type(exc).__name__}: {exc})") from exc
    if dense.size != len(chunks) or bm25.size != len(chunks) or len(spans) != len(sentence_vectors) \
            or (late is not None and len(late) != len(chunks)):
        raise IndexUnavailable(f"index in {folder} is inconsistent: {len(chunks)} chunks, "
                          f"{dense.size} vectors, {bm25.size} BM25 documents")
    return CorpusIndex(manifest, {a.id: a for a in articles}, chunks, _sentences(spans, sentence_vectors, chunks),
                       dense, bm25, folder, late)


def _sentences(spans: np.ndarray, vectors: np.ndarray, chunks: list[Chunk]) -> Sentences:
    """The sentence table with, for each chunk, the rows of the sentences it contains."""
    rows_by_article: dict[str, list[int]] = {}
    for row, chunk_id in enumerate(spans[:, 0].tolist()):
        rows_by_article.setdefault(chunks[chunk_id].article_id, []).append(row)
    by_chunk: dict[int, list[int]] = {}
    starts, ends = spans[:, 1], spans[:, 2]
    for chunk in chunks:
        rows = rows_by_article.get(chunk.article_id, [])
        by_chunk[chunk.id] = [r for r in rows if starts[r] >= chunk.start and ends[r] <= chunk.end]
    return Sentences(spans[:, 0], starts, ends, vectors, by_chunk)


def _previous_entities(index_dir: Path) -> dict[str, tuple[Entity, ...]]:
    """Chunk text -> entities of the current build, when the same pipeline made it."""
    folder = current_folder(index_dir)
    try:
        manifest = json.loads((folder / "manifest.json").read_text()) if folder else {}
        if manifest.get("pipeline_version") != PIPELINE_VERSION:
            return {}
        return {c.text: c.entities for c in map(_chunk, _read_jsonl(folder / "chunks.jsonl"))}
    except (OSError, ValueError, KeyError, TypeError):
        return {}  # an unreadable earlier build only costs re-annotation


def _sentence_table(chunks: list[Chunk], articles: dict[str, Article]) -> np.ndarray:
    """(chunk id, start, end) of each distinct sentence, int32 rows in chunk order; overlapping
    chunks share rows (the first chunk that holds a sentence owns it)."""
    from array import array

    rows = array("i")
    seen: set[tuple[int, int]] = set()
    article = None
    for chunk in chunks:
        if chunk.article_id != article:  # chunks of one article are consecutive
            article, seen = chunk.article_id, set()
        for start, end in sentence_spans(articles[chunk.article_id].text, chunk.start, chunk.end):
            if (start, end) not in seen:
                seen.add((start, end))
                rows.extend((chunk.id, start, end))
    return np.frombuffer(rows, dtype=np.int32).reshape(-1, 3).copy()


def _encode(embedder: Embedder, texts: list[str], batch: int = 64) -> np.ndarray:
    """Unit vectors of `texts`, in order (the caching embedder sorts new texts by length)."""
    if not texts:
        return np.zeros((0, embedder.dimension), dtype=np.float32)
    return embedder.encode(texts, batch_size=batch)


def current_folder(index_dir: Path) -> Path | None:
    """The build folder CURRENT points at, or None when there is none."""
    pointer = Path(index_dir) / CURRENT
    try:
        name = pointer.read_text().strip()
    except OSError:
        return None
    folder = Path(index_dir) / name
    return folder if name and folder.is_dir() else None


def _point_current(index_dir: Path, name: str) -> None:
    tmp = index_dir / f".{CURRENT}.{os.getpid()}.tmp"
    with open(tmp, "w") as handle:
        handle.write(name + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, index_dir / CURRENT)


def _remove_old_builds(index_dir: Path, keep: str) -> None:
    for path in index_dir.iterdir():
        if path.is_dir() and path.name != keep and (path.name.startswith("build-") or path.name.endswith(".tmp")):
            if path.name.endswith(".tmp") and path.stat().st_mtime > time.time() - 3600:
                continue  # another build may still be writing it
            shutil.rmtree(path, ignore_errors=True)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _fsync_tree(folder: Path) -> None:
    for path in folder.rglob("*"):
        if path.is_file():
            with open(path, "rb") as handle:
                os.fsync(handle.fileno())


def _write_jsonl(path: Path, rows) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")


def _read_jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def _article(d: dict) -> Article:
    return Article(**{**d, "blocks": tuple(Block(**b) for b in d["blocks"])})


def _chunk(d: dict) -> Chunk:
    return Chunk(**{**d, "also": tuple(Occurrence(**o) for o in d["also"]),
                    "entities": tuple(Entity(**e) for e in d["entities"])})
