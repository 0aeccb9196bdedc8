"""`python -m rag.train_query`: fine-tune MiniLM's query tower; fit the late-interaction projection.

The index keeps the bundled MiniLM for passages (chunk, sentence and word-piece vectors); only
questions go through a copy whose transformer layers are fine-tuned here, so retraining never
re-embeds a corpus. Passage vectors are fixed, so each step is a softmax of a batch of
questions over *every* training passage (in-corpus negatives, hard ones included), at the cost
of encoding the questions alone: about 12 minutes on two AVX2-only CPU cores in float32 (bf16
only where the CPU has it: emulated, it is 16 times slower).

Training data never overlaps what EVAL.md reports:
- SQuAD v1.1 *train*: every question of 100 articles, drawn apart from the 40 articles the
  reranker is fitted on (rag.train_fusion) and disjoint from dev by construction;
- the news tuning half (`evalsets.news_split`, whole quizzes), repeated 3 times: quiz questions
  are worded unlike SQuAD's, and they are what moves news retrieval.

`--leave-out-fold k --out FILE` trains the same tower without fold k of the tuning half
(`evalsets.tuning_fold`) and writes only the tower: two such towers let rag.train_fusion
cross-fit the reranker (each tuning question scored by a tower that never saw it).

The word-piece embeddings stay frozen (and are not shipped: rag/models/query_encoder.npz holds
the six transformer layers in float16, about 21 MB). The same run fits rag/models/late_projection.npy
(rag/late.py) on the word pieces of 600 SQuAD train paragraphs.
"""
from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
SCALE = 20.0  # inverse temperature of the softmax (MiniLM was trained with the same)


def squad_pairs(path: Path, articles: int, seed: int = 11) -> tuple[list[str], list[tuple[str, int]]]:
    """Paragraphs and (question, paragraph index) of `articles` SQuAD train articles outside the
    reranker's tuning sample (`evalsets.squad_train_sample`)."""
    from .evalsets import read_jsonl, squad_train_titles

    rows = read_jsonl(path)
    reserved = squad_train_titles(rows)
    titles = sorted({r["title"] for r in rows} - reserved)
    random.Random(seed).shuffle(titles)
    chosen = set(titles[:articles])
    paragraphs, pairs = [], []
    for row in rows:
        if row["title"] in chosen:
            paragraphs.append(row["context"])
            pairs.extend((qa["question"], len(paragraphs) - 1) for qa in row["qas"])
    return paragraphs, pairs


def news_pairs(path: Path, offset: int, leave_out: int | None = None) -> tuple[list[str], list[tuple[str, int]]]:
    """Evidence passages and (question, passage index + offset) of the news tuning half, less
    the questions of tuning fold `leave_out` (`evalsets.tuning_fold`) when one is given."""
    from .evalsets import news_corpus, news_split, tuning_fold

    passages, questions = news_corpus(path)
    tune, _ = news_split(questions)
    tune = [q for q in tune if leave_out is None or tuning_fold(q) != leave_out]
    golds = sorted({q.gold for q in tune})
    where = {g: offset + i for i, g in enumerate(golds)}
    return [passages.texts[g] for g in golds], [(q.question, where[q.gold]) for q in tune]


def train(model, passages: np.ndarray, pairs: list[tuple[str, int]], epochs: int = 1, batch: int = 64,
          lr: float = 2e-5, warmup: int = 50, seed: int = 0, bf16: bool | None = None, log=print) -> None:
    """Fine-tune `model` (a SentenceTransformer) in place: softmax of each question over all
    `passages` (unit vectors), its own passage the target; word-piece embeddings frozen.

    `bf16` (default: where the CPU multiplies bf16 in hardware) runs the forward pass in bf16.
    Without AMX or AVX512-BF16 torch emulates it, and a step of 64 questions takes about 17 s
    instead of 1.1 s in float32 (measured on an AVX2-only EPYC)."""
    import torch

    from .embed import native_bf16

    bf16 = native_bf16() if bf16 is None else bf16

    torch.manual_seed(seed)
    bert = model[0].auto_model
    for p in bert.embeddings.parameters():
        p.requires_grad = False
    targets = torch.from_numpy(np.asarray(passages, dtype=np.float32))
    params = [p for p in model.parameters() if p.requires_grad]
    optimiser = torch.optim.AdamW(params, lr=lr, weight_decay=0.01)
    steps = epochs * (len(pairs) // batch)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: min(1.0, (s + 1) / warmup) * max(0.0, 1 - s / max(steps, 1)))
    model.train()
    started, step = time.perf_counter(), 0
    for epoch in range(epochs):
        order = list(pairs)
        random.Random(seed + epoch).shuffle(order)
        for first in range(0, len(order) - batch + 1, batch):
            part = order[first:first + batch]
            features = model.preprocess([q for q, _ in part])
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
                out = model(features)["sentence_embedding"]
            q = torch.nn.functional.normalize(out.float(), dim=-1)
            loss = torch.nn.functional.cross_entropy(SCALE * q @ targets.T, torch.tensor([i for _, i in part]))
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
            step += 1
            if step % 50 == 0 or step == steps:
                log(f"step {step}/{steps}  loss {loss.item():.3f}  {time.perf_counter() - started:.0f} s")
    model.eval()


def save_tower(model, path: Path) -> None:
    """The transformer layers (not the embeddings or the unused pooler) as float16."""
    state = model[0].auto_model.state_dict()
    np.savez(path, **{k: v.detach().numpy().astype(np.float16) for k, v in state.items()
                      if k.startswith("encoder.")})


def dense_recall(query_vectors: np.ndarray, passage_vectors: np.ndarray, texts: list[str],
                 answers: list[tuple[str, ...]], ks=(1, 5, 20)) -> list[float]:
    """Has-answer recall@k (%) of dense search alone."""
    from .metrics import has_answer, recall_at_k

    scores = query_vectors @ passage_vectors.T
    rankings = [[has_answer(texts[i], gold) for i in np.argsort(-row)[:max(ks)]] for row, gold in zip(scores, answers)]
    return [round(recall_at_k(rankings, k), 1) for k in ks]


def fit_late_projection(model, paragraphs: list[str], out: Path) -> None:
    """Fit rag/late.py's projection on the word pieces of `paragraphs` (the bundled MiniLM) and save it."""
    from .embed import trim_tokens
    from .late import fit_projection

    sample = model.encode(paragraphs, output_value=None, convert_to_numpy=False, show_progress_bar=False)
    tokens = [trim_tokens(item["token_embeddings"].float().numpy(), item["attention_mask"].numpy()) for item in sample]
    tokens = np.vstack([t / np.maximum(np.linalg.norm(t, axis=1, keepdims=True), 1e-6) for t in tokens])
    np.save(out, fit_projection(tokens))
    print(f"late-interaction projection from {len(tokens):,} word pieces written to {out}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rag.train_query", description=__doc__.splitlines()[0])
    parser.add_argument("--external", type=Path, default=REPO.parent / "shared" / "eval" / "external")
    parser.add_argument("--cache", type=Path, default=REPO / ".cache")
    parser.add_argument("--articles", type=int, default=100, help="SQuAD train articles (all their questions)")
    parser.add_argument("--news-repeat", type=int, default=3, help="times each news tuning question is seen")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--lr", type=float, default=2e-5)
    parser.add_argument("--out", type=Path, default=None, help="query tower (default rag/models/query_encoder.npz)")
    parser.add_argument("--projection", type=Path, default=None,
                        help="late-interaction projection (default rag/models/late_projection.npy)")
    parser.add_argument("--leave-out-fold", type=int, choices=(0, 1), default=None,
                        help="train without that fold of the news tuning half (evalsets.tuning_fold) and "
                             "write only the tower, to --out: the towers rag.train_fusion --fold-towers reads")
    args = parser.parse_args(argv)
    if args.leave_out_fold is not None and args.out is None:
        parser.error("--leave-out-fold needs --out (the shipped tower sees the whole tuning half)")
    import torch
    from sentence_transformers import SentenceTransformer

    from .embed import QUERY_WEIGHTS, MiniLMEmbedder, model_path, native_bf16
    from .embedcache import CachingEmbedder
    from .evalsets import news_corpus, news_split
    from .late import PROJECTION_FILE

    torch.set_num_threads(max(1, torch.get_num_threads()))
    squad_path = args.external / "squad_v1.1_train_paragraphs.jsonl.gz"
    news_path = args.external / "realtimeqa_news_evidence.jsonl"
    squad_texts, squad_questions = squad_pairs(squad_path, args.articles)
    news_texts, news_questions = news_pairs(news_path, len(squad_texts), args.leave_out_fold)
    pairs = squad_questions + news_questions * args.news_repeat
    print(f"{args.articles} SQuAD train articles: {len(squad_texts)} paragraphs, {len(squad_questions)} questions; "
          f"news tuning half: {len(news_texts)} passages, {len(news_questions)} questions x {args.news_repeat}")
    passages = CachingEmbedder(MiniLMEmbedder(bf16=native_bf16()), args.cache / "embeddings")
    targets = passages.encode(squad_texts + news_texts)

    model = SentenceTransformer(model_path(), device="cpu")
    if args.leave_out_fold is None:
        fit_late_projection(model, squad_texts[:600], args.projection or PROJECTION_FILE)

    all_news, questions = news_corpus(news_path)
    _, held_out = news_split(questions)
    news_vectors = passages.encode(all_news.texts)
    answers = [q.answers for q in held_out]

    def held_out_recall() -> list[float]:
        vectors = model.encode([q.question for q in held_out], normalize_embeddings=True, batch_size=64,
                               show_progress_bar=False)
        return dense_recall(vectors, news_vectors, all_news.texts, answers)

    print(f"news held-out half, dense alone, R@1/5/20 before: {held_out_recall()}")
    train(model, targets, pairs, epochs=args.epochs, lr=args.lr)
    print(f"news held-out half, dense alone, R@1/5/20 after:  {held_out_recall()}")
    out = args.out or QUERY_WEIGHTS
    save_tower(model, out)
    print(f"query tower written to {out} ({out.stat().st_size / 2**20:.1f} MiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
