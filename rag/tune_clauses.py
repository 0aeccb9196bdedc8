"""`python -m rag.tune_clauses`: choose the clause answer settings on tuning data.

"Why" and "how did ...?" questions are answered by the clause after a causal marker or a means
marker (rag/spans.py), "what did X say?" by what a sentence credits X with saying
(rag/attribution.py `claims`); `AnswerSettings.clauses` switches all three. This command
measures the choices on SQuAD v1.1
*train* questions of the reranker's 40-article sample (`evalsets.squad_train_sample`, articles
disjoint from dev), in reader mode (gold paragraph given, never abstaining), and prints EM/F1
per variant. EVAL.md reports the same rows on SQuAD dev; the settings come from this table.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
VARIANTS = (  # name, AnswerSettings changes: why and how questions
    ("without clauses", {"clauses": False}),
    ("from the answer's sentence alone", {"clause_sentences": 0}),
    ("and the best sentence (shipped)", {"clause_sentences": 1}),
    ("and the best 3 sentences", {"clause_sentences": 3}),
)
SPEECH_VARIANTS = (  # what did X say questions
    ("without clauses", {"clauses": False}),
    ("from the answer's sentence alone", {"speech_sentences": 0}),
    ("and the best 2 sentences", {"speech_sentences": 2}),
    ("and the best 5 sentences (shipped)", {"speech_sentences": 5}),
    ("and the best 10 sentences", {"speech_sentences": 10}),
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rag.tune_clauses", description=__doc__.splitlines()[0])
    parser.add_argument("--external", type=Path, default=REPO.parent / "shared" / "eval" / "external")
    parser.add_argument("--cache", type=Path, default=REPO / ".cache")
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)

    from . import evalrun
    from .embed import MiniLMEmbedder, embed_queries
    from .embedcache import CachingEmbedder
    from .evalsets import squad_train_sample
    from .pipeline import Settings
    from .question import CLAUSE_QUESTIONS

    embedder = CachingEmbedder(MiniLMEmbedder(), args.cache / "embeddings")
    passages, questions = squad_train_sample(args.external / "squad_v1.1_train_paragraphs.jsonl.gz",
                                             questions=10**9)
    corpus = evalrun.open_corpus("squad-train-sample", passages, embedder, args.cache, Settings(),
                                 progress=not args.no_progress)
    print("| questions | variant | count | EM | F1 |\n|---|---|---|---|---|")
    for kind, asks in CLAUSE_QUESTIONS:
        asked = [q for q in questions if asks(q.question)]
        vectors, _ = embed_queries(embedder, [q.question for q in asked])
        for name, answering in (SPEECH_VARIANTS if kind.startswith("what did") else VARIANTS):
            score = evalrun.squad_v1_summary(asked, evalrun.read_given(corpus, asked, vectors, abstain=False,
                                                                       answering=answering))
            print(f"| {kind} | {name} | {len(asked)} | {score['exact_match']:.1f} | {score['f1']:.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
