"""`python -m rag.tune_answers`: choose an answer-stage weight on tuning data.

    python -m rag.tune_answers [--setting ranker_backed --values 0,0.2,0.3,0.5]

By default `AnswerSettings.ranker_backed`: a span the answer stage's type rules leave out (a
parse subtree, a noun phrase for "who") is a candidate when the span ranker gives it at least
that probability. `--setting` names another AnswerSettings field (e.g. `patient`). This
command prints, per value, the figures it was chosen from, on data EVAL.md never reports:
- SQuAD v1.1 *train* questions from the articles the span ranker never fitted on (its held-out
  twelfth, `evalsets.squad_train_heldout`), reader mode (gold paragraph given, never abstaining);
- the first 600 questions of the news tuning half (`evalsets.news_split`), open mode;
- the seed dev set end to end (answer F1, citation accuracy, unanswerable declined, false
  abstention), which must not get worse.
The corpora are indexed as `python -m rag.eval` indexes them (and share its cache).
"""
from __future__ import annotations

import argparse
import sys

DEFAULT_SETTING, DEFAULT_VALUES = "ranker_backed", "0,0.2,0.3,0.5"


def variants(setting: str, values: str) -> list[tuple[str, dict]]:
    """(name, AnswerSettings changes) per comma-separated value of `setting`; the shipped value
    is named so. ValueError for a name that is no answer setting."""
    from dataclasses import fields

    from .answer import AnswerSettings

    if setting not in {f.name for f in fields(AnswerSettings)}:
        raise ValueError(f"no answer setting {setting!r}")
    shipped = getattr(AnswerSettings(), setting)
    kind = type(shipped)
    out = []
    for text in values.split(","):
        value = text.strip().lower() in ("1", "true") if kind is bool else kind(float(text))
        out.append((f"{value} (shipped)" if value == shipped else str(value), {setting: value}))
    return out
NEWS_QUESTIONS = 600


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rag.tune_answers", description=__doc__.splitlines()[0])
    parser.add_argument("--setting", default=DEFAULT_SETTING, help="an AnswerSettings field")
    parser.add_argument("--values", default=DEFAULT_VALUES, help="comma-separated values to compare")
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)
    try:
        tried = variants(args.setting, args.values)
    except ValueError as error:
        parser.error(str(error))

    from . import evalrun
    from .eval import parse_args
    from .evalsections import EvalContext
    from .evalsets import news_corpus, news_split, seed_dev, squad_train_heldout
    from .pipeline import Assistant, Settings

    ctx = EvalContext(parse_args(["--no-progress"] if args.no_progress else []))
    passages, squad = squad_train_heldout(ctx.args.external / "squad_v1.1_train_paragraphs.jsonl.gz")
    squad_corpus = ctx.corpus("squad-train-heldout", passages)
    news_passages, news_questions = news_corpus(ctx.args.external / "realtimeqa_news_evidence.jsonl")
    news = news_split(news_questions)[0][:NEWS_QUESTIONS]
    news_index = ctx.corpus("news", news_passages)
    seed = [q for path in ctx.args.seed_dev for q in seed_dev(path)]
    assistant = Assistant.load(Settings(seeds_dir=ctx.args.seeds, index_dir=ctx.args.index),
                               embedder=ctx.embedder, progress=not args.no_progress)
    print(f"| {args.setting} | SQuAD train held-out F1 ({len(squad)}) | news tuning F1 ({len(news)}) "
          f"| seed F1 | seed citation % | seed declined % | seed false abstention % |")
    print("|---|---|---|---|---|---|---|")
    for name, answering in tried:
        reader = evalrun.squad_v1_summary(
            squad, evalrun.read_given(squad_corpus, squad, ctx.vectors(squad), abstain=False, answering=answering))
        opened = evalrun.squad_v1_summary(news, evalrun.ask_all(news_index, news, answering=answering))
        seeded = evalrun.seed_summary(seed, evalrun.ask_all(assistant, seed, answering=answering))["overall"]
        print(f"| {name} | {reader['f1']:.2f} | {opened['f1']:.2f} | {seeded['f1']:.2f} | "
              f"{seeded['citation_accuracy']:.2f} | {seeded['abstention_accuracy']:.2f} | "
              f"{seeded['false_abstention']:.2f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
