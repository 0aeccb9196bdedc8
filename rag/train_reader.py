"""Train the span reader on SQuAD v1.1 train: `python -m rag.train_reader`.

Stages, each cached under `.cache/reader/`: parse paragraphs with spaCy (build-time work in the
product), featurise every question's candidate spans, fit the ranker, write `rag/models/reader.npz`.
"""
from __future__ import annotations

import gzip
import json
import pickle
import random
import time
import zlib
from collections import Counter
from pathlib import Path

import numpy as np

EXTERNAL = Path(__file__).resolve().parents[1].parent / "shared" / "eval" / "external"
TRAIN_FILE = EXTERNAL / "squad_v1.1_train_paragraphs.jsonl.gz"
DEV_FILE = EXTERNAL / "squad_v1.1_dev.json"
CACHE = Path(__file__).resolve().parents[1] / ".cache" / "reader"


def load_train(path: Path = TRAIN_FILE) -> list[dict]:
    """Train paragraphs: {title, context, qas: [{id, question, answers, answer_starts}]}."""
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


def load_dev(path: Path = DEV_FILE) -> list[dict]:
    """Dev paragraphs in the same flat shape as train (every reference answer kept)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    out = []
    for article in data["data"]:
        for paragraph in article["paragraphs"]:
            qas = [{"id": qa["id"], "question": qa["question"],
                    "answers": [a["text"] for a in qa["answers"]]} for qa in paragraph["qas"]]
            out.append({"title": article["title"], "context": paragraph["context"], "qas": qas})
    return out


def parsed(name: str, paragraphs: list[dict]) -> list[dict]:
    """Token tables of each paragraph (spaCy, build-time work in the product), cached."""
    from . import reader
    from .annotate import pipeline

    path = CACHE / f"{name}.tokens.pkl"
    if path.exists():
        return pickle.loads(path.read_bytes())
    nlp = pipeline()
    out = [reader.token_table(doc) for doc in nlp.pipe((p["context"] for p in paragraphs), batch_size=64)]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pickle.dumps(out))
    return out


def idf_table(paragraphs: list[dict]) -> np.ndarray:
    """Hashed idf of word stems over the train paragraphs (one document per paragraph)."""
    from . import reader

    stemmer = reader._shared_stemmer()
    df = np.zeros(1 << reader.HASH_BITS, dtype=np.float64)
    for paragraph in paragraphs:
        words = {w.lower() for w in reader._WORD.findall(paragraph["context"])}
        for stem in set(stemmer.stemWords(list(words))):
            df[reader._hash(stem)] += 1
    return np.log((len(paragraphs) + 1) / (df + 1)).astype(np.float32)


def is_tuning(title: str) -> bool:
    """A fixed twelfth of the train articles, held out for choosing settings."""
    return zlib.crc32(title.encode("utf-8")) % 12 == 0


def _f1_tokens(pred: list[str], gold: list[str]) -> float:
    overlap = sum((Counter(pred) & Counter(gold)).values())
    if not overlap:
        return 0.0
    p, r = overlap / len(pred), overlap / len(gold)
    return 2 * p * r / (p + r)


def featurise_set(paragraphs: list[dict], tables: list[dict], idf_array: np.ndarray, limit: int | None,
                  seed: int = 0) -> dict:
    """Features and per-candidate best F1 for up to `limit` questions (sampled by a fixed seed)."""
    from . import reader
    from .metrics import normalize_answer

    idf = reader.Idf(idf_array)
    pairs = [(i, j) for i, p in enumerate(paragraphs) for j in range(len(p["qas"]))]
    if limit is not None and limit < len(pairs):
        pairs = sorted(random.Random(seed).sample(pairs, limit))
    by_paragraph: dict[int, list[int]] = {}
    for i, j in pairs:
        by_paragraph.setdefault(i, []).append(j)
    dense, hashed, f1, offsets, qids, spans = [], [], [], [0], [], []
    for i, js in by_paragraph.items():
        paragraph = paragraphs[i]
        cands = reader.candidates_from_table(tables[i])
        if not cands:
            continue
        passage = reader.prepare(paragraph["context"], cands)
        tokens = [normalize_answer(paragraph["context"][c.start:c.end]).split() for c in cands]
        for j in js:
            qa = paragraph["qas"][j]
            q = reader.analyse_question(qa["question"], idf)
            d, h = reader.featurise(q, passage, idf)
            golds = [normalize_answer(a).split() for a in qa["answers"]]
            f1.append(np.array([max(_f1_tokens(t, g) for g in golds) for t in tokens], dtype=np.float32))
            dense.append(d)
            hashed.append(h)
            offsets.append(offsets[-1] + len(cands))
            qids.append(qa["id"])
            spans.append(i)
    return {"dense": np.concatenate(dense), "hashed": np.concatenate(hashed), "f1": np.concatenate(f1),
            "offsets": np.array(offsets, dtype=np.int64), "qids": qids, "paragraph": spans}


def _batches(offsets: np.ndarray, order: np.ndarray, size: int):
    """Padded (question, candidate) row indices for each batch of questions; -1 pads."""
    for lo in range(0, len(order), size):
        qs = order[lo:lo + size]
        counts = offsets[qs + 1] - offsets[qs]
        index = np.full((len(qs), counts.max()), -1, dtype=np.int64)
        for r, (q, c) in enumerate(zip(qs, counts)):
            index[r, :c] = np.arange(offsets[q], offsets[q] + c)
        yield index


class Ranker:
    """Linear hashed features plus a small MLP over the dense features and a hashed embedding."""

    def __init__(self, n_dense: int, embed: int = 8, hidden: int = 64, seed: int = 0) -> None:
        import torch

        torch.manual_seed(seed)
        buckets = 1 << __import__("rag.reader", fromlist=["HASH_BITS"]).HASH_BITS
        # Column 0 is the linear weight of a hashed feature, the rest its embedding. Updated
        # lazily (only the rows a batch uses): a dense optimiser step over 2^18 rows costs more
        # than the rest of the step on these shared CPUs.
        self.table = torch.zeros(buckets, 1 + embed)
        self.moments = (torch.zeros(buckets, 1 + embed), torch.zeros(buckets, 1 + embed))
        self.mlp = torch.nn.Sequential(torch.nn.Linear(n_dense + embed, hidden), torch.nn.ReLU(),
                                       torch.nn.Linear(hidden, 1))

    def scores(self, dense, hashed, rows=None, drop: float = 0.0):
        """Scores of candidate rows; `rows` stands in for the table (gathered for a batch).

        `drop` hides that share of the hashed features (training only), so that no single
        lexical feature can carry a question on its own.
        """
        import torch

        gathered = (self.table if rows is None else rows)[hashed]
        if drop:
            gathered = gathered * (torch.rand(hashed.shape) >= drop).unsqueeze(-1) / (1.0 - drop)
        summed = gathered.sum(1)
        return summed[:, 0] + self.mlp(torch.cat([dense, summed[:, 1:]], dim=1)).squeeze(1)

    def step_table(self, used, grad, lr: float, betas=(0.9, 0.999), eps: float = 1e-8) -> None:
        """Lazy Adam on the used rows of the hashed table."""
        m, v = self.moments
        m[used] = betas[0] * m[used] + (1 - betas[0]) * grad
        v[used] = betas[1] * v[used] + (1 - betas[1]) * grad * grad
        self.table[used] -= lr * m[used] / (v[used].sqrt() + eps)


def picked_f1(model, data: dict, mean: np.ndarray, std: np.ndarray) -> float:
    """Mean F1 (percent, against one reference) of the top-scored candidate of each question."""
    import torch

    with torch.no_grad():
        scores = model.scores(torch.from_numpy((data["dense"] - mean) / std),
                              torch.from_numpy(data["hashed"].astype(np.int64))).numpy()
    offsets = data["offsets"]
    best = [data["f1"][lo + int(np.argmax(scores[lo:hi]))] for lo, hi in zip(offsets[:-1], offsets[1:])]
    return 100.0 * float(np.mean(best))


def fit(data: dict, epochs: int, lr: float = 2e-3, batch: int = 64, seed: int = 0, log=print,
        tuning: dict | None = None, drop: float = 0.2, credit: float = 0.0, hidden: int = 64,
        embed: int = 8) -> tuple:
    """Train the ranker: per question, softmax over candidates; target the best-F1 candidates.

    `credit` > 0 adds that weight of -log(expected F1), so that near misses (a span one word
    too long) outrank unrelated spans. With `tuning`, the best epoch's weights are kept.
    """
    import copy

    import torch

    torch.set_num_threads(2)
    mean = data["dense"].mean(0)
    std = data["dense"].std(0) + 1e-6
    dense = torch.from_numpy((data["dense"] - mean) / std)
    hashed = torch.from_numpy(data["hashed"].astype(np.int64))
    f1 = torch.from_numpy(data["f1"])
    offsets = data["offsets"]
    n_q = len(offsets) - 1
    best = np.array([data["f1"][offsets[i]:offsets[i + 1]].max() for i in range(n_q)])
    usable = np.flatnonzero(best > 0)
    model = Ranker(dense.shape[1], embed=embed, hidden=hidden, seed=seed)
    optimiser = torch.optim.Adam(model.mlp.parameters(), lr=lr)
    rng = np.random.default_rng(seed)
    kept = (-1.0, model)
    for epoch in range(epochs):
        total, count = 0.0, 0
        for index in _batches(offsets, rng.permutation(usable), batch):
            idx = torch.from_numpy(index)
            mask = idx >= 0
            flat = idx[mask]
            s = torch.full(idx.shape, -1e9)
            used, inverse = torch.unique(hashed[flat], return_inverse=True)
            rows = model.table[used].clone().requires_grad_()
            s[mask] = model.scores(dense[flat], inverse, rows, drop=drop)
            g = torch.zeros(idx.shape)
            g[mask] = f1[flat]
            target = g >= g.max(1, keepdim=True).values - 1e-6
            log_z = torch.logsumexp(s, 1)
            loss = (log_z - torch.logsumexp(s.masked_fill(~target, -1e9), 1)).mean()
            if credit:
                expected = (torch.softmax(s, 1) * g).sum(1) / g.max(1).values
                loss = loss - credit * torch.log(expected + 1e-6).mean()
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            model.step_table(used, rows.grad, optimiser.param_groups[0]["lr"])
            total += loss.item() * len(index)
            count += len(index)
        for group in optimiser.param_groups:
            group["lr"] *= 0.5
        message = f"epoch {epoch + 1}: loss {total / count:.4f}"
        if tuning is not None:
            score = picked_f1(model, tuning, mean, std)
            message += f", held-out F1 {score:.2f}"
            if score > kept[0]:
                kept = (score, copy.deepcopy(model))
        log(message)
    return (kept[1] if tuning is not None else model), mean, std


def export(members: list[tuple], idf_array: np.ndarray, path: Path) -> None:
    """Write the weights the numpy `rag.reader.SpanRanker` loads: one "mK." group per (model, mean, std)."""
    from . import reader

    out = {"idf": idf_array.astype(np.float16), "features": np.array(reader.DENSE_FEATURES),
           "templates": np.array(["+".join(t) for t in reader.TEMPLATES])}
    for k, (model, mean, std) in enumerate(members):
        mlp = model.mlp
        out.update({
            # float16 tables keep the file small; the scores move by about 1e-3.
            f"m{k}.linear": model.table.numpy()[:, 0].astype(np.float16),
            f"m{k}.embed": model.table.numpy()[:, 1:].astype(np.float16),
            f"m{k}.w1": mlp[0].weight.detach().numpy(), f"m{k}.b1": mlp[0].bias.detach().numpy(),
            f"m{k}.w2": mlp[2].weight.detach().numpy(), f"m{k}.b2": mlp[2].bias.detach().numpy(),
            f"m{k}.mean": mean.astype(np.float32), f"m{k}.std": std.astype(np.float32)})
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, **out)


def read_set(rd, paragraphs: list[dict], tables: list[dict]) -> tuple[dict, float]:
    """Predicted answer text per question id with the numpy reader, and mean ms per question."""
    from . import reader

    predictions, elapsed, count = {}, 0.0, 0
    for paragraph, table in zip(paragraphs, tables):
        cands = reader.candidates_from_table(table)
        for qa in paragraph["qas"]:
            t0 = time.perf_counter()
            spans = rd.extract(qa["question"], paragraph["context"], cands, top=1)
            elapsed += time.perf_counter() - t0
            count += 1
            predictions[qa["id"]] = paragraph["context"][spans[0][0]:spans[0][1]] if spans else ""
    return predictions, 1000.0 * elapsed / max(count, 1)


def latency(rd, paragraphs: list[dict], tables: list[dict], per_paragraph: int = 2) -> dict:
    """Median and p90 ms per question: whole paragraphs, their first 3 sentences, and the
    3 sentences with the passage already prepared (as a per-chunk cache would hold it)."""
    from . import reader
    from .text import sentence_spans

    times: dict[str, list[float]] = {"paragraph": [], "3 sentences": [], "3 sentences, prepared": []}
    sizes = []
    for paragraph, table in zip(paragraphs, tables):
        context, cands = paragraph["context"], reader.candidates_from_table(table)
        end = sentence_spans(context)[:3][-1][1]
        small = [c for c in cands if c.end <= end]
        prepared = reader.prepare(context[:end], small)
        sizes.append(len(small))
        for qa in paragraph["qas"][:per_paragraph]:
            for name, run in (("paragraph", lambda: rd.extract(qa["question"], context, cands, top=1)),
                              ("3 sentences", lambda: rd.extract(qa["question"], context[:end], small, top=1)),
                              ("3 sentences, prepared",
                               lambda: rd.scores(reader.analyse_question(qa["question"], rd.idf), prepared))):
                t0 = time.perf_counter()
                run()
                times[name].append(1000.0 * (time.perf_counter() - t0))
    out = {name: {"median_ms": round(float(np.median(v)), 2), "p90_ms": round(float(np.percentile(v, 90)), 2)}
           for name, v in times.items()}
    out["3 sentences"]["candidates"] = round(float(np.mean(sizes)), 1)
    return out


def _cached(name: str, build):
    from . import reader

    version = zlib.crc32(Path(reader.__file__).read_bytes()) & 0xFFFFFF
    path = CACHE / f"{name}.{version:06x}.pkl"
    if path.exists():
        return pickle.loads(path.read_bytes())
    value = build()
    path.write_bytes(pickle.dumps(value, protocol=4))
    return value


def main(argv: list[str] | None = None) -> int:
    """Train on SQuAD v1.1 train (a twelfth of its articles held out), or score dev."""
    import argparse

    from . import reader
    from .metrics import squad_v1_score

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--questions", type=int, default=100000,
                        help="train questions sampled (more than there are: all of them)")
    parser.add_argument("--tuning", type=int, default=4000, help="held-out train questions scored")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--drop", type=float, default=0.4, help="dropout of hashed features")
    parser.add_argument("--credit", type=float, default=1.0, help="weight of the expected-F1 loss")
    parser.add_argument("--members", default="64x8,128x16",
                        help="ensemble members as HIDDENxEMBED (MLP units x hashed embedding size)")
    parser.add_argument("--out", type=Path, default=reader.MODEL_PATH)
    parser.add_argument("--evaluate-dev", action="store_true",
                        help="only score the weights in --out on SQuAD v1.1 dev (reader mode)")
    args = parser.parse_args(argv)
    if args.evaluate_dev:
        paragraphs = load_dev()
        predictions, ms = read_set(reader.SpanRanker.load(args.out), paragraphs, parsed("dev", paragraphs))
        golds = {qa["id"]: qa["answers"] for p in paragraphs for qa in p["qas"]}
        score = squad_v1_score(golds, predictions)
        print(json.dumps({"dataset": "squad_v1.1_dev", "mode": "reader", **score.as_dict(),
                          "ms_per_question": round(ms, 2)}))
        print(json.dumps({"latency (300 dev paragraphs)": latency(
            reader.SpanRanker.load(args.out), paragraphs[:300], parsed("dev", paragraphs)[:300])}))
        return 0
    started = time.time()
    paragraphs = load_train()
    tables = parsed("train", paragraphs)
    idf_array = _cached("idf", lambda: idf_table(paragraphs))
    fit_ids = [i for i, p in enumerate(paragraphs) if not is_tuning(p["title"])]
    tune_ids = [i for i, p in enumerate(paragraphs) if is_tuning(p["title"])]
    fit_set = _cached(f"fit{args.questions}", lambda: featurise_set(
        [paragraphs[i] for i in fit_ids], [tables[i] for i in fit_ids], idf_array, args.questions))
    print(f"featurised {len(fit_set['qids'])} questions, {len(fit_set['f1'])} candidates "
          f"({time.time() - started:.0f} s)", flush=True)
    tune_p = [paragraphs[i] for i in tune_ids]
    tune_t = [tables[i] for i in tune_ids]
    rng = random.Random(1)
    keep = set(rng.sample([qa["id"] for p in tune_p for qa in p["qas"]], args.tuning))
    tune_p = [{**p, "qas": [qa for qa in p["qas"] if qa["id"] in keep]} for p in tune_p]
    tune_set = _cached(f"tune{args.tuning}", lambda: featurise_set(tune_p, tune_t, idf_array, None))
    members = []
    for shape in args.members.split(","):
        hidden, embed = (int(x) for x in shape.split("x"))
        print(f"member {len(members)}: {hidden} hidden units, {embed}-d hashed embeddings", flush=True)
        members.append(fit(fit_set, args.epochs, lr=args.lr, log=lambda m: print(m, flush=True),
                           tuning=tune_set, drop=args.drop, credit=args.credit, hidden=hidden, embed=embed))
    export(members, idf_array, args.out)
    predictions, ms = read_set(reader.SpanRanker.load(args.out), tune_p, tune_t)
    golds = {qa["id"]: qa["answers"] for p in tune_p for qa in p["qas"]}
    score = squad_v1_score(golds, predictions)
    print(json.dumps({"dataset": "train held-out articles", **score.as_dict(), "ms_per_question": round(ms, 2),
                      "seconds": round(time.time() - started)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
