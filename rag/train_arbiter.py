"""`python -m rag.train_arbiter`: fit the arbiter (rag.arbiter) and write rag/models/arbiter.json.

Examples: the questions of the SQuAD train articles the span ranker never fitted on (its
held-out twelfth) that `rag.tune_answers` does not sample, read in reader mode (gold paragraph
given) with the arbiter off. For each, the heuristic answer and the ranker's best span are
scored against the references; the arbiter learns when the ranker's is the better one, each
example weighted by the F1 difference. Nothing EVAL.md reports is read. Check the result with
`python -m rag.tune_answers --setting arbiter --values 0,1` (the sample left out here, news
tuning questions, the seed set).
"""
from __future__ import annotations

import argparse
from dataclasses import replace


def examples(corpus, questions, vectors, reader) -> tuple[list[dict], list[bool], list[float], dict]:
    """Arbiter features, whether the ranker's span scored higher, by how much, and totals."""
    from . import evalrun
    from .arbiter import features
    from .metrics import best_score, f1_score
    from .question import spell_out_dates

    rows, better, weight = [], [], []
    heuristic = ranker = 0.0
    for q, vector in zip(questions, vectors):
        asked = spell_out_dates(q.question)  # as Assistant.ask reads it
        reading = reader.analyze(asked, vector, evalrun.gold_hits(corpus, q.gold))
        if reading is None:
            continue
        _, answer, clause = reader.heuristic_answer(asked, reading)
        alternative = reader.alternative(asked, reading, answer, clause)
        mine = best_score(f1_score, answer, q.answers)
        heuristic += mine
        if alternative is None:
            ranker += mine
            continue
        theirs = best_score(f1_score, alternative.text, q.answers)
        ranker += theirs
        if theirs != mine:
            rows.append(features(alternative.evidence))
            better.append(theirs > mine)
            weight.append(abs(theirs - mine))
    n = max(1, len(questions))
    return rows, better, weight, {"questions": len(questions), "examples": len(rows),
                                  "heuristic_f1": 100 * heuristic / n, "ranker_f1": 100 * ranker / n}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rag.train_arbiter", description=__doc__.splitlines()[0])
    parser.add_argument("--l2", type=float, default=30.0, help="L2 penalty on the standardised weights")
    parser.add_argument("--threshold", type=float, default=0.5, help="answer with the ranker's span above this")
    parser.add_argument("--out", default=None, help="where to write the model (default: rag/models/arbiter.json)")
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)

    from .answer import Reader
    from .arbiter import ARBITER_FILE, fit
    from .eval import parse_args
    from .evalsections import EvalContext
    from .evalsets import squad_train_heldout

    ctx = EvalContext(parse_args(["--no-progress"] if args.no_progress else []))
    passages, questions = squad_train_heldout(ctx.args.external / "squad_v1.1_train_paragraphs.jsonl.gz", rest=True)
    corpus = ctx.corpus("squad-train-heldout", passages)
    shipped = corpus.assistant.reader
    reader = Reader(shipped.index, replace(shipped.settings, arbiter=False), shipped.calibration, shipped.ranker)
    rows, better, weight, totals = examples(corpus, questions, ctx.vectors(questions), reader)
    print(f"{totals['questions']} questions: heuristic answer F1 {totals['heuristic_f1']:.2f}, the ranker's best "
          f"span {totals['ranker_f1']:.2f}; {totals['examples']} where they score differently "
          f"({sum(better)} in the ranker's favour)")
    fitted_on = (f"python -m rag.train_arbiter --l2 {args.l2:g} --threshold {args.threshold:g}: "
                 f"{totals['examples']} examples from {totals['questions']} SQuAD v1.1 train questions "
                 f"(the span ranker's held-out articles, minus rag.tune_answers' sample), reader mode")
    arbiter = fit(rows, better, weight, l2=args.l2, threshold=args.threshold, fitted_on=fitted_on)
    out = args.out or ARBITER_FILE
    arbiter.save(out)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
