"""Loaders for the evaluation sets: the seed dev set and the public sets in ../shared/eval/external/.

Each open-mode set becomes a `Passages` corpus (deduplicated texts with a title) plus
`Question`s that point at the passage they were written from, so retrieval can be scored both
by the gold passage and by DrQA's `has_answer` rule.
"""
from __future__ import annotations

import gzip
import json
import random
import zlib
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Question:
    """One evaluation question with its reference answers ([] when unanswerable)."""

    id: str
    question: str
    answers: tuple[str, ...]
    gold: int | None = None  # index of the passage it was written from, when known
    context: str = ""  # the gold passage text (reader mode)
    kind: str = ""  # seed set: factoid / paraphrase / number / date / list / conflict / unanswerable
    outlets: tuple[str, ...] = ()  # seed set: outlets a first citation may name

    @property
    def answerable(self) -> bool:
        return bool(self.answers)


@dataclass
class Passages:
    """A corpus of distinct passages with the headline, outlet and date of each."""

    texts: list[str] = field(default_factory=list)
    titles: list[str] = field(default_factory=list)
    outlets: list[str] = field(default_factory=list)
    dates: list[str] = field(default_factory=list)
    _index: dict[str, int] = field(default_factory=dict)

    def add(self, text: str, title: str = "", outlet: str = "", date: str = "") -> int:
        """Index of `text`, adding it once (duplicates share one passage, as SOURCES.md asks)."""
        if text not in self._index:
            self._index[text] = len(self.texts)
            self.texts.append(text)
            self.titles.append(title)
            self.outlets.append(outlet)
            self.dates.append(date)
        return self._index[text]

    def __len__(self) -> int:
        return len(self.texts)


def read_jsonl(path: Path) -> list[dict]:
    """Rows of a JSON-lines file (gzip when the name ends in .gz)."""
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def squad_title(title: str) -> str:
    """SQuAD article titles use underscores for spaces ("Super_Bowl_50")."""
    return title.replace("_", " ")


def squad_dev_corpus(path: Path) -> tuple[Passages, dict[tuple[str, int], int]]:
    """All paragraphs of the nested SQuAD v1.1 dev file, and (title, paragraph index) -> passage."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))["data"]
    passages, where = Passages(), {}
    for article in data:
        for number, paragraph in enumerate(article["paragraphs"]):
            where[(article["title"], number)] = passages.add(paragraph["context"], squad_title(article["title"]), "Wikipedia")
    return passages, where


def squad_questions(path: Path, where: dict[tuple[str, int], int] | None = None,
                    limit: int | None = None) -> list[Question]:
    """Questions of a flat SQuAD sample file (v1.1 or v2.0), linked to their passage when `where` is given."""
    out = []
    for row in read_jsonl(path)[:limit]:
        gold = where.get((row["title"], row["paragraph_index"])) if where else None
        out.append(Question(row["id"], row["question"], tuple(row["answers"]), gold, row["context"]))
    return out


def news_corpus(path: Path, limit: int | None = None) -> tuple[Passages, list[Question]]:
    """RealTime QA evidence as a deduplicated corpus, and its questions (gold = their evidence)."""
    passages, questions = Passages(), []
    for row in read_jsonl(path):
        gold = passages.add(row["context"], "", row.get("source", ""), row.get("date", "").replace("/", "-"))
        questions.append(Question(row["id"], row["question"], tuple(row["answers"]), gold, row["context"]))
    return passages, questions[:limit]


def news_split(questions: list[Question]) -> tuple[list[Question], list[Question]]:
    """(tuning half, held-out half) of the news questions, whole weekly quizzes kept together.

    Retrieval weights may be fitted on the tuning half only; EVAL.md reports the held-out half.
    """
    tune, held_out = [], []
    for q in questions:
        (tune if zlib.crc32(_quiz(q)) % 2 == 0 else held_out).append(q)
    return tune, held_out


def _quiz(question: Question) -> bytes:
    """The weekly quiz a news question belongs to: "rtqa-20200103_8" -> b"rtqa-20200103"."""
    return question.id.rsplit("_", 1)[0].encode()


def tuning_fold(question: Question, folds: int = 2) -> int:
    """Which of `folds` parts of the tuning half a question falls in, whole quizzes kept together
    (independent of `news_split`'s hash). Cross-fitting: the reranker's news rows come from a
    query tower that never saw their fold (rag.train_query --leave-out-fold, rag.train_fusion)."""
    return zlib.crc32(_quiz(question) + b"cv") % folds


def squad_train_titles(rows: list[dict], articles: int = 40, seed: int = 7) -> set[str]:
    """The SQuAD train articles of the reranker's tuning sample (`squad_train_sample`)."""
    return _sample_titles(rows, articles, random.Random(seed))


def _sample_titles(rows: list[dict], articles: int, rng: random.Random) -> set[str]:
    return set(rng.sample(sorted({r["title"] for r in rows}), articles))


def squad_train_sample(path: Path, articles: int = 40, questions: int = 1000,
                       seed: int = 7) -> tuple[Passages, list[Question]]:
    """A tuning set from SQuAD train (articles disjoint from dev): whole articles, sampled questions."""
    rows = read_jsonl(path)
    rng = random.Random(seed)
    chosen = _sample_titles(rows, articles, rng)  # rng goes on to sample the questions
    return _squad_set([r for r in rows if r["title"] in chosen], questions, rng)


def squad_train_heldout(path: Path, questions: int = 1500, seed: int = 11,
                        rest: bool = False) -> tuple[Passages, list[Question]]:
    """SQuAD train articles the span ranker never fitted on (its held-out twelfth,
    `train_reader.is_tuning`): all their paragraphs, sampled questions (with `rest`: every
    question of theirs that the sample leaves out, which the arbiter is fitted on)."""
    from .train_reader import is_tuning

    return _squad_set([r for r in read_jsonl(path) if is_tuning(r["title"])], questions, random.Random(seed), rest)


def _squad_set(rows: list[dict], questions: int, rng: random.Random,
               rest: bool = False) -> tuple[Passages, list[Question]]:
    """The paragraphs of `rows` as passages and `questions` of their questions, drawn by `rng`
    (or, with `rest`, the questions not drawn)."""
    passages, pool = Passages(), []
    for row in rows:
        gold = passages.add(row["context"], squad_title(row["title"]), "Wikipedia")
        for qa in row["qas"]:
            pool.append(Question(qa["id"], qa["question"], tuple(qa["answers"]), gold, row["context"]))
    picked = set(rng.sample(range(len(pool)), min(questions, len(pool))))
    return passages, [q for i, q in enumerate(pool) if (i in picked) != rest]


def seed_dev(path: Path) -> list[Question]:
    """The hand-written seed questions (tests/data/seed_dev.jsonl)."""
    out = []
    for row in read_jsonl(path):
        answers = tuple(row.get("answers") or ()) if row.get("answerable", True) else ()
        out.append(Question(row["id"], row["question"], answers, kind=row.get("type", ""),
                            outlets=tuple(row.get("outlets") or ())))
    return out
