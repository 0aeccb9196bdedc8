"""Answer extraction: Hits -> the best sentence, the short span inside it, citations, conflicts.

No generation: the answer is always a slice of an article. Sentences are scored by their
stored MiniLM vector against the question's and by how much of the question's idf-weighted
vocabulary they contain; candidate spans (entities and noun phrases found at build time) are
scored by the answer type the question asks for and by their closeness to the question's
words. Different values that strong sentences of other articles give become conflicts.
"""
from __future__ import annotations

import math
import re
from collections import OrderedDict
import bisect
import json
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from . import identity, places, spans
from .arbiter import FLOOR, Arbiter, Evidence
from .attribution import attributed_source, claims
from .question import (ADVERB, ARTICLES, DATE_LIKE, MEANS_QUESTION, NOT_CURRENT, SUPERSEDED, QuestionType, classify,
                       speaker)
from .records import Answer, Article, Citation, Conflict, Hit
from .store import CorpusIndex
from .index import one_edit
from .text import ascii_fold, is_possessive, sentence_spans, without_possessive, words

CALIBRATION_FILE = Path(__file__).with_name("calibration.json")
PASSAGE_CACHE = 4096  # chunks whose span-ranker analysis is kept between questions
_ACRONYM = re.compile(r"\b[A-Z]{2,6}\b")  # "GDP", "CSTO"
_ACRONYM_FORM = re.compile(r"[A-Z][A-Za-z]{1,6}")  # ... "DDTs", "DoD" (two capitals or more)
MAX_SPELLING = 30  # longer words are not looked up by near spelling (a pasted blob is no name)
_DEMONYM = re.compile(r"(?:ese|ian|ean|an|ish|i)$")  # "Chinese", "Belarusian", "Afghan", "Israeli"
# Words that carry no content in a question.
_QUESTION_STOP = frozenset(
    "who whom whose what which when where why how many much is are was were be been being do does did "
    "the a an of in on at to for from by with about as and or that this these those it its their there "
    "has have had according report reported reports say said says tell told".split())



@dataclass(frozen=True)
class AnswerSettings:
    """Weights of the heuristic reader."""

    read_top: int = 10  # hits whose sentences are read, even when fewer are shown
    sentence_cosine: float = 0.5
    sentence_lexical: float = 0.35
    context_lexical: float = 0.15
    conflict_margin: float = 0.35  # candidates within this score of the best may report a rival value
    claim_similarity: float = 0.5  # a rival's sentence must be this close (cosine) to the best one
    rival_coverage: float = 0.7  # ... and hold this share of the question words the best one holds
    max_citations: int = 5
    attached_share: float = 0.2  # a figure followed by the question's rarest words ("three ... beheaded")
    listed: float = 0.25  # a whole list answering a plural question ("which countries")
    agentless: float = 0.3  # "who poisoned X?" read in "X, who was poisoned in 2020" (no agent named)
    # "what was set on fire?": "the mayor's office, which was set on fire" (the passive's subject).
    # Rare: `python -m rag.tune_answers --setting patient --values 0,0.3,0.6,1.0` finds the same
    # figures for each (SQuAD train 54.92, news tuning 43.54, seed unchanged); 0.6 is what it
    # takes for the mayor's office to beat "unrest" in its own sentence.
    patient: float = 0.6
    bracketed: float = 0.3  # a figure in brackets converts the one before it: "50 tenge ($0.11)"
    # The label prior of a noun phrase right after "in", "at", ... for a "where" question ("lined
    # up in a [morgue]"; lower-case, which a wanted name may not be). `python -m rag.tune_answers
    # --setting located --values=-1.0,-0.5,0.0,0.3` (-1.0: the rule off): SQuAD train held-out
    # F1 55.79 / 55.94 / 55.96 / 55.89; news tuning 43.93 and the seed figures the same for all.
    located: float = 0.0
    # A country (or US state) for a question asking for one: spaCy tags "Kyiv", "Ukraine" and
    # "Maricopa County" all GPE (rag.places; not a country or state the question names).
    # `python -m rag.tune_answers --setting place_kind --values 0,0.4`: SQuAD train held-out F1
    # 59.82 -> 59.83, news tuning 46.45 -> 48.84 (15 of 600 answers right that were wrong, one
    # worse), seed figures the same. The weight was chosen on a first version of the rule
    # (without past countries and the "state media" exceptions), 0 / 0.2 / 0.3 / 0.4 / 0.5 / 0.6:
    # news 46.45 / 48.01 / 48.51 / 48.67 / 48.67 / 48.84, SQuAD 59.82 for all but 0.6 (59.76),
    # seed the same for all; 0.4, the middle of the level stretch.
    place_kind: float = 0.4
    governed_by_head: float = 0.2  # an answer depending on the noun the question asks about ("the town of X")
    governed_by_term: float = 0.1  # ... or on a question word (idf share: "400 hospitalised")
    span_ranker: float = 0.05  # weight of the span ranker's log-probability among the chunks read
    span_ranker_untyped: float = 0.2  # ... for questions with no expected answer type ("what did ...")
    span_ranker_local: float = 0.0  # ... and among the spans of the candidate's own sentence
    ranker_floor: float = -12.0  # log-probabilities below this count as this
    # A span the span ranker gives at least `ranker_sure_at` probability is a candidate whatever
    # the type rules say (unless it holds an entity of the asked kind), and gains `ranker_sure`.
    # `python -m rag.tune_answers --setting ranker_sure --values 0,0.15,0.3,0.5`: SQuAD train
    # held-out F1 54.89 / 55.79 / 55.79 / 55.79, news tuning 43.46 / 43.76 / 43.93 / 43.76;
    # `--setting ranker_sure_at --values 0.6,0.7,0.8,0.9`: 56.20 / 55.79 / 55.47 / 55.19 and
    # 43.37 / 43.93 / 43.62 / 43.46, seed F1 87.50 at 0.6 (91.07 for every other value; seed
    # citation, declined and false abstention the same for all).
    ranker_sure: float = 0.3
    ranker_sure_at: float = 0.7
    ranker_chunks: int = 3  # the ranker reads the chunks of the best sentences, this many
    # A question with no expected answer type ("what did the protesters seize?") is answered
    # by the span the ranker likes best in the answer's sentence, when it gives that span this
    # many times the probability of the heuristic pick's value (0: never). `python -m
    # rag.tune_answers --setting ranker_picks_untyped --values 0,1.2,1.5,2,2.5`: SQuAD train
    # held-out F1 55.96 / 58.07 / 57.92 / 57.51 / 57.04, news tuning 44.60 / 45.51 / 45.70 /
    # 45.21 / 44.87, seed F1 91.07 at 0 and 2.5, else 89.29 (the launch pad: "vast Kazakh
    # steppe", the sentence's subject, for "Baikonur"); seed citation, declined and false
    # abstention the same for all.
    ranker_picks_untyped: float = 1.5
    # ... and a question that wants a name, place or date (not a figure: its unit, its rivals),
    # when the ranker is this much surer, the type rules having beaten a less sure ranker on
    # news for places and organisations. `--setting ranker_picks_typed --values 0,4,8,16`: SQuAD
    # train held-out 57.92 / 58.24 / 58.12 / 58.08, news tuning 45.70 / 46.24 / 46.34 / 46.01,
    # seed declined 90.91 / 100 / 100 / 90.91 (seed F1, citation, false abstention the same).
    ranker_picks_typed: float = 8.0
    # The arbiter (rag.arbiter; `python -m rag.train_arbiter`, fitted on held-out SQuAD train
    # questions) may replace the answer by the span ranker's best span of the chunks read.
    # `python -m rag.tune_answers --setting arbiter --values 0,1`: SQuAD train held-out F1
    # 58.37 / 59.79, news tuning 46.81 / 46.45 (a few of 600 answers change, as many better as
    # worse), seed figures the same. The fit's L2 penalty (`--l2`, standardised features) from 1, 10,
    # 30, 100, 300 at threshold 0.5 (an earlier set of guards): SQuAD 59.39 / 59.40 / 59.51 /
    # 59.62 / 59.39, news 46.09 / 46.09 / 46.26 / 46.21 / 46.22, seed F1 87.50 at 300; 30 is
    # kept, its neighbours in threshold (0.45) staying level where 100's lost the seed.
    arbiter: bool = True
    # A span the type rules leave out (a parse subtree: "reports predicting the earthquake"; a
    # noun phrase for "who": "Chinese prosecutors") is a candidate when the span ranker gives it
    # this probability, for questions that want no figure or date. `python -m rag.tune_answers`
    # (data EVAL.md does not report), 0.0 / 0.2 / 0.3 / 0.5, with `ranker_sure` as shipped: F1 on
    # 1,500 SQuAD *train* questions of the span ranker's held-out articles, reader mode, 53.48 /
    # 56.31 / 55.79 / 54.36; on 600 news tuning questions 43.48 / 43.62 / 43.93 / 43.76; seed
    # figures the same for all. 0.3 is kept for the news questions, the product's own kind, at
    # 0.52 F1 below 0.2 on SQuAD.
    ranker_backed: float = 0.3
    candidate_sentences: int = 25  # spans are looked for in this many of the best sentences
    retrieval: float = 0.3  # weight of the hit's retrieval score (exp(score - best), 1 for the best hit)
    # "why" and "how did ...?" questions: the reason (or means) clause of the answer's sentence,
    # or else of the best sentence(s). `python -m rag.tune_clauses` (SQuAD *train* sample, reader
    # mode), F1 without / answer's sentence alone / and the best one / and the best 3: why (91)
    # 26.7 / 31.2 / 32.1 / 29.8; how did/is (131) 26.1 / 31.0 / 30.2 / 28.3.
    clauses: bool = True
    clause_sentences: int = 1
    # "What did X say?": what the first sentence crediting X, among the answer's and this many
    # best ones, says. `python -m rag.tune_clauses` (11 such questions): F1 14.9 without, 26.6
    # from the answer's sentence alone, 34.5 with the best 2, 5 or 10 (a tie; 5 kept).
    speech_sentences: int = 5
    # "What title/nickname/slogan ...?": a quoted name of the sentence is a candidate, with this
    # added to its sentence's score (0: none). `python -m rag.tune_answers --setting
    # quoted_title --values 0,0.15,0.3,0.5`: SQuAD train held-out 59.83 / 59.84 / 59.84 / 59.84,
    # news tuning 48.84 for all, seed F1 91.07 / 92.86 / 92.86 / 92.86 (false abstention 1.79 -> 0).
    quoted_title: float = 0.3
    # Bridge questions (rag.bridge): a reading less confident than `bridge_below` has its
    # descriptions ("Kazakhstan's former leader") resolved by asking "Who is ...?"; a name found
    # with at least `bridge_sure` confidence replaces the description and the question is read
    # again, the more confident reading kept if its first quote names the name. 0 turns it off.
    # `python -m rag.tune_answers --setting bridge_below --values 0,0.35,0.5,0.7`: news tuning
    # F1 48.84 for all (600 questions; the description must end in a noun a name stands for,
    # which few of them hold), seed F1 89.29 / 91.07 / 91.07 / 91.07, seed citation 94.64 /
    # 98.21 / 98.21 / 98.21 (the CSTO's chairman, the passage on Nazarbayev's title), SQuAD
    # reader mode unaffected (the paragraph is given).
    bridge_below: float = 0.5
    bridge_sure: float = 0.5


@dataclass(frozen=True)
class _Sentence:
    hit: Hit
    row: int  # row in the index's sentence table
    start: int  # offsets in the article text
    end: int
    cosine: float
    lexical: float
    score: float
    support: float = 0.0  # the part of `score` that comes from the passage's retrieval score


@dataclass(frozen=True)
class _Candidate:
    sentence: _Sentence
    start: int  # offsets in the article text
    end: int
    text: str
    label: str
    score: float
    attached: bool = False  # a number directly followed by what the question counts
    named: bool = False  # it names the thing the question asks about ("the town of X")
    # the score without the span ranker (which reads only the best chunks) and without the
    # passage's retrieval support: what rival claims are compared on, since a rival report
    # usually comes from a weaker passage
    base: float = 0.0
    patient: bool = False  # the subject of the question's verb in the passive ("which was set on fire")


@dataclass(frozen=True)
class Reading:
    """What the reader found before deciding: scored sentences, candidates, value groups."""

    qtype: QuestionType
    sentences: list[_Sentence]
    candidates: list[_Candidate]
    groups: list[list[_Candidate]]  # best-supported value first, then rival values
    anchor: _Sentence  # the sentence the answer comes from
    features: dict[str, float]  # the evidence that confidence is computed from
    ranked: dict[tuple[int, int, int], float] = field(default_factory=dict)  # the span ranker's log-probabilities
    described: str = ""  # the name a "Who is <name>?" question asks about (rag.identity)


@dataclass(frozen=True)
class Alternative:
    """The span ranker's best span, offered to the arbiter instead of the heuristic answer."""

    sentence: _Sentence
    text: str
    evidence: Evidence


@dataclass(frozen=True)
class Calibration:
    """Logistic model from reading features to P(answer is right), and the abstention threshold."""

    bias: float
    weights: dict[str, float]
    threshold: float
    fitted_on: str = ""

    @classmethod
    def load(cls, path: Path = CALIBRATION_FILE) -> "Calibration":
        data = json.loads(Path(path).read_text())
        return cls(data["bias"], data["weights"], data["threshold"], data.get("fitted_on", ""))

    def probability(self, features: dict[str, float]) -> float:
        z = self.bias + sum(w * features.get(name, 0.0) for name, w in self.weights.items())
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


class Reader:
    """Reads the retrieved chunks of a CorpusIndex and extracts a cited answer."""

    def __init__(self, index: CorpusIndex, settings: AnswerSettings | None = None,
                 calibration: Calibration | None = None, ranker=None, arbiter: Arbiter | None = None) -> None:
        self.index = index
        self.settings = settings or AnswerSettings()
        self.calibration = calibration or Calibration.load()
        self._ranker = ranker
        self._arbiter = arbiter
        self._passages: OrderedDict[int, object] = OrderedDict()  # chunk id -> the ranker's analysis of it

    @property
    def ranker(self):
        """The trained span ranker (rag.reader), loaded at first use."""
        if self._ranker is None:
            from .reader import default_reader

            self._ranker = default_reader()
        return self._ranker

    @property
    def arbiter(self) -> Arbiter:
        """The trained arbiter between the heuristic answer and the ranker's (rag.arbiter)."""
        if self._arbiter is None:
            self._arbiter = Arbiter.load()
        return self._arbiter

    # -- public -------------------------------------------------------------------------
    def analyze(self, question: str, query_vector: np.ndarray, hits: list[Hit]) -> Reading | None:
        """Everything the reader found for `question` in `hits`; None when there is nothing to read."""
        qtype = classify(question)
        terms = self._question_terms(question)
        sentences = self._score_sentences(hits[: self.settings.read_top], query_vector, terms)
        if not sentences:
            return None
        if qtype.places:
            qtype = replace(qtype, places=_tagged_places(qtype.places, hits[: self.settings.read_top]))
        described = identity.asked_name(question) or ""
        if described:
            # "Who is Tokayev?": what the passages call him, never another name
            qtype, ranked = replace(qtype, labels=frozenset()), {}
            candidates = heuristic = self._descriptions(sentences, described)
            groups = self._description_groups(candidates)[:1]
        else:
            ranked = self._ranker_scores(question, sentences)
            candidates = heuristic = self._candidates(sentences, qtype, terms, question, ranked)
            ratio = self.settings.ranker_picks_typed if qtype.typed else self.settings.ranker_picks_untyped
            if candidates and ranked and ratio > 0 and not qtype.numeric:
                candidates = self._ranker_pick(candidates, ranked, ratio, qtype)
            groups = self._group_by_value(candidates, qtype)
        anchor = groups[0][0].sentence if groups else sentences[0]
        agreeing = self._independent_sources(groups[0]) if groups else 1
        top = groups[0][0] if groups else None
        features = {
            "cosine": anchor.cosine,
            "lexical": anchor.lexical,
            "best_cosine": max(x.cosine for x in sentences),
            "typed": float(qtype.typed),
            "typed_found": float(top is not None and qtype.typed and top.label in qtype.labels),
            "attached": float(top is not None and top.attached),
            "agreement": math.log(agreeing),
            "no_span": float(top is None),
            "named": float(top is not None and top.named),
            "unattached": float(qtype.numeric and (top is None or not top.attached)),
            "margin": _margin(heuristic),  # how sure the heuristics are of the sentence
            "unknown": self._unknown_share(terms, question),
            # a figure or date question answered without a figure or date ("hours", "third")
            "vague": float(top is not None and (qtype.numeric or qtype.labels <= DATE_LIKE) and qtype.typed
                           and not spans.specific(top.text)),
            "support": _support(anchor.hit.score, max(h.score for h in hits[: self.settings.read_top])),
            "retrieval_top": _top_share(hits[: self.settings.read_top]),
        }
        return Reading(qtype, sentences, candidates, groups, anchor, features, ranked, described)

    def read(self, question: str, query_vector: np.ndarray, hits: list[Hit], shown: int | None = None) -> Answer:
        """The answer to `question` from `hits`, or an abstention that shows the nearest passages.

        `shown` caps the citations of each value (default: `max_citations`).
        """
        limit = shown or self.settings.max_citations
        reading = self.analyze(question, query_vector, hits)
        if reading is None:
            return Answer(question, None, None, 0.0, ())
        confidence = round(self.calibration.probability(reading.features), 3)
        missing = self.unmentioned_names(question)
        if missing:
            # A name the question hinges on appears in no article: nothing here can answer it.
            note = f"The articles never mention {' or '.join(missing)}."
            return Answer(question, None, None, min(confidence, 0.01), self._nearest(reading.sentences, limit),
                          note=note)
        verb = reading.qtype.agent_verb
        if verb and self._agentless(self._article(reading.anchor).text, reading.anchor, verb):
            # "Who poisoned Navalny?" read in "Navalny, who was also poisoned in 2020": the best
            # passage says it happened, not who did it.
            return Answer(question, None, None, min(confidence, self.calibration.threshold / 2),
                          self._nearest(reading.sentences, limit),
                          note="The articles report it but never say who did it.")
        if (title := self._untitled(question, reading)) is not None:
            # "Who is the mayor of Almaty?" read in a sentence that never says "mayor"
            return Answer(question, None, None, min(confidence, self.calibration.threshold / 2),
                          self._nearest(reading.sentences, limit), note=f"No passage names the {title}.")
        if reading.described and not reading.groups:
            return Answer(question, None, None, min(confidence, self.calibration.threshold / 2),
                          self._nearest(reading.sentences, limit),
                          note=f"No passage says who {reading.described} is.")
        if confidence < self.calibration.threshold:
            return Answer(question, None, None, confidence, self._nearest(reading.sentences, limit),
                          note="No passage answers this with enough confidence.")
        groups = reading.groups
        anchor, answer_text, clause = self.heuristic_answer(question, reading)
        alternative = (self.alternative(question, reading, answer_text, clause)
                       if self.settings.arbiter and not reading.described else None)
        if alternative is not None and self.arbiter.prefers_ranker(alternative.evidence):
            # the ranker's span, cited with every candidate stating its value
            anchor, answer_text = alternative.sentence, alternative.text
            sentence_text = self._article(anchor).text[anchor.start:anchor.end]
            agreeing = [c for c in reading.candidates
                        if c.sentence != anchor and spans.same_value(c.text, answer_text)]
            return Answer(question, answer_text, sentence_text, confidence,
                          self._group_citations([anchor], answer_text, agreeing, limit))
        sentence_text = self._article(anchor).text[anchor.start:anchor.end]
        if clause:
            # a reason or a means is not a value that outlets report differently: no rival reports
            return Answer(question, answer_text, sentence_text, confidence,
                          self._group_citations([anchor], answer_text, [], limit))
        citations = self._group_citations([anchor], answer_text, groups[0][1:] if groups else [], limit)
        conflicts = tuple(Conflict(_display(g), self._group_citations([], "", g, limit)) for g in groups[1:])
        return Answer(question, answer_text, sentence_text, confidence, citations, conflicts)

    def heuristic_answer(self, question: str, reading: Reading) -> tuple[_Sentence, str, bool]:
        """The heuristics' answer: its sentence, its text, and whether it is a clause (a reason
        or a means) rather than a span; the whole sentence when no span was found."""
        found = self._clause(question, reading) if self.settings.clauses else None
        if found:
            return found[0], found[1], True
        anchor = reading.anchor
        if reading.groups:
            return anchor, reading.groups[0][0].text, False
        return anchor, self._article(anchor).text[anchor.start:anchor.end], False

    def alternative(self, question: str, reading: Reading, answer: str, clause: bool) -> Alternative | None:
        """The span ranker's best span of the chunks read, with what the arbiter weighs it on
        against the heuristics' `answer`; None where it may not replace it: it is that answer,
        the question asks for a figure (which the ranker reads without its unit or what it
        counts: "more than 1,000" hurt for "how many were hospitalised?") or who holds a
        country's title now (the title rules know who left and whose title is another's), outlets
        disagree (the rival reports are about the heuristic value), or the span is what the
        candidate rules reject: it holds an entity of the asked kind ("Zhanaozen in Mangystau"
        for "in which town?"), names only what the question names, is the story's own outlet,
        or is a name titled otherwise ("Armenian Prime Minister Nikol Pashinyan" for "who is
        the prime minister of Kazakhstan?"); or it is the answer with the noun the question
        asks about ("internet freedom watchdog Netblocks"); or the answer is a country or state
        the question asks for and the span is none ("Kyiv" for "Ukraine")."""
        ranked, qtype = reading.ranked, reading.qtype
        if not ranked or qtype.numeric or (qtype.current and qtype.places) or len(reading.groups) > 1:
            return None
        (chunk_id, start, end), best = max(ranked.items(), key=lambda item: item[1])
        chunk = next(s.hit.chunk for s in reading.sentences if s.hit.chunk.id == chunk_id)
        entity = next((e for e in chunk.entities if e.start == start and e.end == end), None)
        if entity is None or _holds_asked(chunk, entity, qtype):
            return None
        text = self.index.articles[chunk.article_id].text
        trimmed = spans.trim(text, chunk.start + start, chunk.start + end) or (chunk.start + start, chunk.start + end)
        at = trimmed[0]
        home = next((s for s in reading.sentences
                     if s.hit.chunk.article_id == chunk.article_id and s.start <= at < s.end), None)
        ranker_text = text[trimmed[0]:trimmed[1]]
        if home is None or ranker_text.casefold() == answer.casefold():
            return None
        question_words = set(words(question))
        heads = self._head_stems(qtype)
        if (_restates(ranker_text, question_words)
                or (self._place_of_kind(answer, qtype) and not self._place_of_kind(ranker_text, qtype))
                or ranker_text.casefold() == self.index.articles[chunk.article_id].outlet.casefold()
                or (heads and self._titled_otherwise(text, *trimmed, entity.label, home.start, chunk, heads, qtype))
                or (answer in ranker_text and heads & set(self.index.bm25.analyze(ranker_text)))):
            return None
        chunks = {s.hit.chunk.id: s.hit.chunk for s in reading.sentences}
        answer_logp = FLOOR
        if answer:
            answer_logp = max((logp for (cid, s0, e0), logp in ranked.items()
                               if spans.same_value(chunks[cid].text[s0:e0], answer)), default=FLOOR)
        second = sorted(ranked.values())[-2] if len(ranked) > 1 else FLOOR
        anchor, top = reading.anchor, (reading.groups[0][0] if reading.groups else None)
        span_words = words(ranker_text)
        evidence = Evidence(
            best_logp=best, second_logp=second, answer_logp=answer_logp,
            same_sentence=home.start == anchor.start and home.hit.chunk.article_id == anchor.hit.chunk.article_id,
            same_chunk=chunk_id == anchor.hit.chunk.id, same_article=chunk.article_id == anchor.hit.chunk.article_id,
            sentence_gap=anchor.score - home.score, sentence_rank=reading.sentences.index(home),
            wh=qtype.wh, typed=qtype.typed, numeric=qtype.numeric, heads=bool(qtype.heads),
            named=bool(top and top.named), attached=bool(top and top.attached), patient=bool(top and top.patient),
            clause=clause, ranker_label=entity.label, answer_label=top.label if top else "?",
            ranker_words=len(span_words), answer_words=len(words(answer)),
            ranker_overlap=sum(w in question_words for w in span_words) / max(1, len(span_words)),
            margin=reading.features["margin"], typed_found=reading.features["typed_found"],
            cosine=reading.features["cosine"], lexical=reading.features["lexical"])
        return Alternative(home, ranker_text, evidence)

    def _untitled(self, question: str, reading: Reading) -> str | None:
        """The title asked about ("mayor of Almaty") when a question asks who holds it now in a
        named place and no word of the title stands within six words of the answer in its
        sentence ("Nurlan Mailinov, a keen snowboarder, has vanished after ... the Almaty
        mayor's office"), a possessive one not counting ("Flames are seen inside the mayor's
        building"); else None."""
        qtype = reading.qtype
        asked = _TITLE_QUESTION.match(question)
        if not (asked and qtype.current and qtype.places and qtype.heads and reading.groups) or qtype.numeric \
                or self.calibration.threshold <= 0:  # a reader told never to abstain answers
            return None
        heads = self._head_stems(qtype)
        for candidate in reading.groups[0]:  # any report of the answer may give the title
            text = self._article(candidate.sentence).text
            near = _TOKEN.findall(text[candidate.sentence.start:candidate.start])[-6:] + \
                _TOKEN.findall(text[candidate.end:candidate.sentence.end])[:6]
            # "the mayor's building" names a building, not a mayor
            if heads & set(self.index.bm25.analyze(" ".join(w for w in near if not is_possessive(w)))):
                return None
        return asked.group(1)

    def _clause(self, question: str, reading: Reading) -> tuple[_Sentence, str] | None:
        """A "why" question's answer: the reason clause of the answer's sentence or of the best
        sentences ("... were ignited when [the government lifted price controls on LPG]"); a
        "how did ...?" question's: the means ("[by begging]"); a "what did X say?" question's:
        what a sentence credits X with saying. None for other questions and when no sentence
        gives one (the usual best span answers then)."""
        who = speaker(question)
        if who:
            extract, count = (lambda text: _claim_by(who, text)), self.settings.speech_sentences
        elif reading.qtype.wh == "why":
            extract, count = spans.reason, self.settings.clause_sentences
        elif reading.qtype.wh == "how" and MEANS_QUESTION.search(question):
            extract, count = spans.means, self.settings.clause_sentences
        else:
            return None
        for sentence in dict.fromkeys([reading.anchor, *reading.sentences[:count]]):
            text = self._article(sentence).text[sentence.start:sentence.end]
            found = extract(text)
            if found is not None:
                return sentence, text[found[0]:found[1]]
        return None

    # -- sentences ----------------------------------------------------------------------
    def _question_terms(self, question: str) -> dict[str, float]:
        """Stemmed content words of the question with their idf weights."""
        bm25 = self.index.bm25
        kept = [w for w in words(question) if w not in _QUESTION_STOP]
        stems = bm25.analyze(" ".join(kept))
        return {s: bm25.idf(s) for s in stems}

    def unmentioned_names(self, question: str) -> list[str]:
        """Capitalised words of the question (not its first word) that no article contains,
        neither as such nor as the name they derive from ("Belarusian" counts as mentioned
        where the articles say "Belarus")."""
        return [n for n in _question_names(question) if self.index.bm25.analyze(n) and not self._mentioned(n)]

    def _mentioned(self, name: str) -> bool:
        """Whether the articles name `name`: all its words are known (`_known`); or it is an
        acronym they spell out; or a demonym of a name they use ("Chinese" where they say
        "China"); or, for a word of six letters or more, they spell it one letter differently
        ("Tokaev" for "Tokayev": transliterated names have several spellings); or they write it
        with diacritics ("Galapagos" for "Galápagos", "Vucic" for "Vučić"), or, for five letters
        or more, a capitalised word of theirs is one letter from it ("Shuga" for "Shunga",
        "Bjornhold" for "Bjørnholt"). An acronym's plural is mentioned where the acronym is
        ("DDTs", "NGOs")."""
        if len(name) > 2 and name.endswith("s") and name[:-1].isupper() and self._mentioned(name[:-1]):
            return True
        bm25 = self.index.bm25
        stems = bm25.analyze(name)
        if all(self._known(stem) for stem in stems) or self._spelled_out(name):
            return True
        root = _place_root(name)
        if root != name.lower() and bm25.has_prefix(root, len(root) + 4):
            return True
        if len(stems) == 1 and 6 <= len(stems[0]) <= MAX_SPELLING and bm25.near_spelling(stems[0]) is not None:
            return True
        folded, names = ascii_fold(name), self.index.name_forms()
        return folded in names or (5 <= len(folded) <= MAX_SPELLING and not one_edit(folded).isdisjoint(names))

    def _spelled_out(self, word: str) -> bool:
        """Whether `word` is an acronym ("GDP") whose name an article spells out ("Gross
        Domestic Product"), one with a connector's letter too ("DoD" for "Department of
        Defense")."""
        return (bool(_ACRONYM_FORM.fullmatch(word)) and sum(c.isupper() for c in word) >= 2
                and word.lower() in self.index.initials())

    def _known(self, stem: str) -> bool:
        """Whether an article has the term, or a term of five letters or more it derives from."""
        bm25 = self.index.bm25
        return bm25.knows(stem) or any(bm25.knows(stem[:cut]) for cut in range(5, len(stem)))

    def _unknown_share(self, terms: dict[str, float], question: str = "") -> float:
        """Share of the question's idf mass in words no article contains ("France" here); a
        name the articles are taken to mention (`_mentioned`: an acronym they spell out, a name
        they write with diacritics or one letter differently) is known."""
        if not terms:
            return 0.0
        analyze = self.index.bm25.analyze
        unknown = {t: w for t, w in terms.items() if not self._known(t)}
        named = dict.fromkeys([*_ACRONYM.findall(question), *_question_names(question)])
        mentioned: set[str] = set()
        for name in named:
            stems = set(analyze(name))
            if unknown.keys() & stems and self._mentioned(name):
                mentioned |= stems
        return sum(w for t, w in unknown.items() if t not in mentioned) / sum(terms.values())

    def _lexical(self, text: str, terms: dict[str, float]) -> float:
        """Share of the question's idf mass that `text` contains.

        A term that only starts a word of the text ("chair" in "chairman") counts for less.
        """
        if not terms:
            return 0.0
        present = set(self.index.bm25.analyze(text))
        found = 0.0
        for term, weight in terms.items():
            if term in present:
                found += weight
            elif len(term) >= 4 and any(p.startswith(term) for p in present):
                found += 0.7 * weight
        return found / sum(terms.values())

    def _score_sentences(self, hits: list[Hit], query_vector: np.ndarray,
                         terms: dict[str, float]) -> list[_Sentence]:
        s = self.settings
        sentences = self.index.sentences
        seen: set[tuple[str, int, int]] = set()
        scored: list[_Sentence] = []
        best_hit = max((h.score for h in hits), default=0.0)
        for hit in hits:
            support = s.retrieval * _support(hit.score, best_hit) if s.retrieval else 0.0
            rows = sentences.by_chunk.get(hit.chunk.id, [])
            if not rows:
                continue
            cosines = sentences.vectors[rows].astype(np.float32) @ query_vector
            text = self.index.articles[hit.chunk.article_id].text
            context = self._lexical(hit.chunk.text, terms)  # what the surrounding passage says too
            for row, cosine in zip(rows, cosines.tolist()):
                start, end = int(sentences.start[row]), int(sentences.end[row])
                key = (hit.chunk.article_id, start, end)
                if key in seen:
                    continue
                seen.add(key)
                lexical = self._lexical(text[start:end], terms)
                score = (s.sentence_cosine * cosine + s.sentence_lexical * lexical + s.context_lexical * context
                         + support)
                if hit.chunk.kind == "caption":
                    score -= 0.02  # a caption restates the body; prefer the body's wording
                scored.append(_Sentence(hit, row, start, end, cosine, lexical, score, support))
        scored.sort(key=lambda x: -x.score)
        return scored

    # -- spans --------------------------------------------------------------------------
    def _ranker_scores(self, question: str, sentences: list[_Sentence]) -> dict[tuple[int, int, int], float]:
        """(chunk id, start, end) -> the span ranker's log-probability over every candidate of
        the chunks read (one softmax, so spans of different chunks compete)."""
        s = self.settings
        if s.span_ranker <= 0 and s.span_ranker_untyped <= 0 and s.span_ranker_local <= 0:
            return {}
        from .reader import analyse_question, prepare

        ranker = self.ranker
        q = analyse_question(question, ranker.idf)
        keys, scores = [], []
        chunks: dict[int, object] = {}
        for sentence in sentences:  # the chunks of the best sentences, best first
            if len(chunks) >= self.settings.ranker_chunks:
                break
            chunks.setdefault(sentence.hit.chunk.id, sentence.hit.chunk)
        for chunk in chunks.values():
            passage = self._passages.get(chunk.id)
            if passage is None:
                # no span across a line break: "Kazakhstan\n\nArmenian PM" joins a headline to its text
                passage = prepare(chunk.text, [e for e in chunk.entities
                                               if e.end > e.start and "\n" not in chunk.text[e.start:e.end]])
                self._passages[chunk.id] = passage
                if len(self._passages) > PASSAGE_CACHE:
                    self._passages.popitem(last=False)  # the least recently read chunk
            else:
                self._passages.move_to_end(chunk.id)
            raw = ranker.scores(q, passage)
            keys.extend((chunk.id, c.start, c.end) for c in passage.candidates)
            scores.append(raw)
        if not keys:
            return {}
        raw = np.concatenate(scores).astype(np.float64)
        return dict(zip(keys, (raw - _logsumexp(raw)).tolist()))

    def _candidates(self, sentences: list[_Sentence], qtype: QuestionType, terms: dict[str, float],
                    question: str, ranked: dict[tuple[int, int, int], float] | None = None) -> list[_Candidate]:
        """Scored answer spans inside the strong sentences, best first."""
        question_words = set(words(question))
        found: list[_Candidate] = []
        for sentence in sentences[: self.settings.candidate_sentences]:
            found.extend(self._sentence_candidates(sentence, qtype, terms, question_words, ranked or {}))
        found.sort(key=lambda c: -c.score)
        asked = spans.casualty(question) if qtype.numeric else ""
        if asked:
            # "How many died?": a figure that counts the wounded is neither the answer nor a rival
            # report of it
            found = [c for c in found if self._casualty(c) in ("", asked)]
        if qtype.current and qtype.heads and not qtype.heads & SUPERSEDED and not qtype.numeric:
            # "Kazakh Prime Minister Askar Mamin announced his immediate resignation": whoever a
            # passage read says has left holds no title now, however other passages style him
            gone = [c.text for c in found if c.label in _NAME_LABELS and _DEPARTED.match(self._after(c))]
            found = [c for c in found if not any(spans.same_value(c.text, name) for name in gone)]
        return found

    def _descriptions(self, sentences: list[_Sentence], name: str) -> list[_Candidate]:
        """What the sentences call `name` (rag.identity), best sentence first."""
        out = []
        for sentence in sentences:
            for found in identity.describe(self._article(sentence).text, sentence.start, sentence.end, name):
                out.append(_Candidate(sentence, found.start, found.end, found.text, identity.DESCRIPTION,
                                      sentence.score, base=sentence.score))
        return out

    def _description_groups(self, candidates: list[_Candidate]) -> list[list[_Candidate]]:
        """Descriptions grouped by `identity.key`, the best first (`identity.rank`, then the
        outlets that print it, then the best sentence); in each group its shortest wording first."""
        groups: dict[frozenset[str], list[_Candidate]] = {}
        for candidate in candidates:
            groups.setdefault(identity.key(candidate.text), []).append(candidate)
        ordered = [sorted(g, key=lambda c: len(c.text.split())) for g in groups.values()]  # stable: best sentence next
        ranked = sorted(enumerate(ordered), reverse=True, key=lambda ig: (
            identity.rank(ig[1][0].text), self._independent_sources(ig[1]), -ig[0]))
        return [group for _, group in ranked]

    def _after(self, candidate: _Candidate) -> str:
        """The text after a candidate up to the end of its sentence."""
        return self._article(candidate.sentence).text[candidate.end:candidate.sentence.end]

    def _casualty(self, candidate: _Candidate) -> str:
        text = self._article(candidate.sentence).text
        return spans.casualty_of(text, candidate.start, candidate.end, candidate.sentence.start,
                                 candidate.sentence.end)

    def _sentence_candidates(self, sentence: _Sentence, qtype: QuestionType, terms: dict[str, float],
                             question_words: set[str], ranked: dict[tuple[int, int, int], float]) -> list[_Candidate]:
        chunk = sentence.hit.chunk
        text = self.index.articles[chunk.article_id].text
        anchors = self._term_positions(text, sentence, terms)
        local = self._local_norm(chunk, sentence, ranked) if self.settings.span_ranker_local > 0 else 0.0
        agentless = bool(qtype.agent_verb) and self._agentless(text, sentence, qtype.agent_verb)
        heads = self._head_stems(qtype)
        own_outlet = self.index.articles[chunk.article_id].outlet.casefold()
        head_typed = bool(heads) and not qtype.numeric and not qtype.labels <= DATE_LIKE
        total = sum(terms.values()) or 1.0
        out = []
        # entities are sorted by start: only those starting inside the sentence are looked at
        for entity in _sentence_entities(chunk, sentence):
            start, end = chunk.start + entity.start, chunk.start + entity.end
            prior = None if entity.label == "ST" else _label_prior(qtype, entity.label)
            backed = prior is None and self._ranker_backed(qtype, ranked, chunk, entity)
            if backed:
                prior = 0.0
            elif entity.label == "ST":
                continue  # parse subtrees are for the span ranker; the heuristics read names and phrases
            if prior is None and not (head_typed and entity.pos == "PROPN"):
                continue
            governor = self._governor(chunk, entity) if head_typed else ""
            by_head = head_typed and self._names_head(text, chunk, entity, governor, heads)
            # "Armenian Prime Minister Nikol Pashinyan" for "who is the chairman?": the name closing it
            inner = _closing_name(chunk, entity, qtype) if by_head and entity.label not in qtype.labels else None
            if by_head and entity.pos == "PROPN" and (prior is None or prior < 0.6):
                prior = 0.6  # "the town of Zhanaozen" answers "which town" whatever the tagger called it
            located = (qtype.wh == "where" and entity.label == "NP" and prior is not None
                       and prior < self.settings.located
                       and bool(_LOCATIVE.search(text[max(sentence.start, start - 12):start])))
            if located:
                prior = self.settings.located  # "living in [relief centres]"
            if prior is None:
                continue
            span = (spans.trim(text, start, end) if inner is None
                    else (chunk.start + inner.start, chunk.start + inner.end))
            if span is None:
                continue
            if entity.label == "NP":
                named = spans.name_tail(text, *span)  # "weapons store Korgan": the name is the answer
                if named != span:
                    span, prior = named, max(prior, 0.4)
            start, end = spans.extend_name(text, *span, sentence.end) if entity.label in ("PERSON", "ORG") else span
            if text[start:end].casefold() == own_outlet:
                continue  # "told CNN" in a CNN story is attribution, not an answer
            if heads and self._titled_otherwise(text, start, end, entity.label, sentence.start, chunk, heads, qtype):
                continue  # "Russian President Vladimir Putin" for "who is the president of Kazakhstan?"
            named = entity.label in _NAME_LABELS or (entity.label == "NP" and qtype.labels & _NAME_LABELS
                                                     and not located)
            if named and not backed and not any(ch.isupper() for ch in text[start:end]):
                continue  # "mayor's building" tagged PERSON: a name in news copy is capitalised
            if _restates(text[start:end], question_words):
                continue  # the question already names it: not an answer
            span_words = [w for w in words(text[start:end]) if w not in _QUESTION_STOP]
            listed = False
            if qtype.plural:
                if spans.straddles_list(text, start, end, sentence.start, sentence.end):
                    continue
                start, end = spans.coordinated(text, start, end, sentence.start, sentence.end)
                listed = spans.is_list(text[start:end])
            if qtype.numeric:
                start, end = spans.with_unit(text, start, end)
            overlap = sum(w in question_words for w in span_words) / len(span_words)
            closeness = _closeness(anchors, terms, (start + end) / 2)
            attached = _attached(text, start, end, sentence, terms, self.index.bm25, qtype.numeric)
            share = _attached_share(text, start, end, sentence, terms, self.index.bm25) if qtype.numeric else 0.0
            patient = bool(qtype.patient_verb) and _patient(text[end:sentence.end], qtype.patient_verb)
            score = (sentence.score + 0.25 * closeness - 0.3 * overlap + 0.15 * prior + 0.15 * attached
                     + self.settings.attached_share * share + self.settings.listed * listed
                     - self.settings.bracketed * (qtype.numeric and spans.in_brackets(text, start, end))
                     - self.settings.agentless * agentless
                     + self.settings.patient * patient
                     + self.settings.governed_by_head * by_head
                     + self.settings.place_kind * self._place_of_kind(text[start:end], qtype)
                     + self.settings.governed_by_term * terms.get(governor or self._governor(chunk, entity), 0.0) / total)
            base = score - sentence.support
            if ranked:
                floor = self.settings.ranker_floor
                logp = ranked.get((chunk.id, entity.start, entity.end), floor)
                weight = self.settings.span_ranker if qtype.typed else self.settings.span_ranker_untyped
                score += (weight * max(logp, floor)
                          + self.settings.span_ranker_local * max(logp - local, floor))
                if self._sure(logp):
                    score += self.settings.ranker_sure
            if qtype.wants_year and spans.YEAR.search(text[start:end]):
                score += 0.1  # "when" is better answered by "2019" than by "for years" or "81"
            if not qtype.typed:
                score -= 0.01 * len(span_words)  # short phrases are what people quote
            out.append(_Candidate(sentence, start, end, text[start:end], entity.label, score, attached, by_head, base,
                                  patient))
        if self.settings.quoted_title > 0 and qtype.heads & TITLE_HEADS:
            out.extend(self._quoted(text, sentence, question_words))
        return out

    def _quoted(self, text: str, sentence: _Sentence, question_words: set[str]) -> list[_Candidate]:
        """The quoted names of a sentence, for "what title/nickname/slogan ...?": the tagger sees
        "the self-styled 'Father of the Nation'" as a phrase about a nation."""
        out = []
        for match in _QUOTED_NAME.finditer(text, sentence.start, sentence.end):
            start, end = match.span(1)
            if _restates(match.group(1), question_words):
                continue
            score = sentence.score + self.settings.quoted_title
            out.append(_Candidate(sentence, start, end, match.group(1), QUOTED, score, base=score - sentence.support))
        return out

    def _ranker_pick(self, candidates: list[_Candidate], ranked: dict[tuple[int, int, int], float],
                     ratio: float, qtype: QuestionType) -> list[_Candidate]:
        """`candidates` with the best one's span replaced by the span of its sentence that the
        ranker prefers, when it gives that span `ratio` times the probability of
        any span stating the heuristic pick's value ("the unrest" for "unrest"). The score stays:
        the heuristics chose the sentence; the ranker, reading it, the words. A pick a rule of
        the sentence's grammar made stays: the passive's subject for "what was set on fire?",
        or, for a typed question, a name the asked-about noun governs ("Russian President
        Vladimir Putin" for "who is the president of Russia?"); so does a country or state a
        question asks for ("Ukraine" for "which country"); and a span around a name of the
        asked kind replaces nothing ("beginning with the town of Zhanaozen" for "which town?")."""
        top = candidates[0]
        if top.patient or (qtype.typed and top.named) or self._place_of_kind(top.text, qtype):
            return candidates
        chunk = top.sentence.hit.chunk
        mine, best, best_logp = -math.inf, None, -math.inf
        for entity in _sentence_entities(chunk, top.sentence):
            logp = ranked.get((chunk.id, entity.start, entity.end))
            if logp is None or entity.end <= entity.start:
                continue
            if logp > best_logp:
                best, best_logp = entity, logp
            if spans.same_value(chunk.text[entity.start:entity.end], top.text):
                mine = max(mine, logp)
        if best is None or best_logp - mine < math.log(ratio) or _holds_asked(chunk, best, qtype):
            return candidates
        text = self.index.articles[chunk.article_id].text
        trimmed = spans.trim(text, chunk.start + best.start, chunk.start + best.end)
        if trimmed is None:
            return candidates
        start, end = trimmed
        picked = replace(top, start=start, end=end, text=text[start:end], label=best.label, attached=False, named=False)
        return [picked] + candidates[1:]

    def _ranker_backed(self, qtype: QuestionType, ranked: dict[tuple[int, int, int], float], chunk,
                       entity) -> bool:
        """Whether the span ranker vouches for a span the type rules leave out: the span holds
        no entity of a kind the question asks for (the name itself is the answer then,
        "Zhanaozen" rather than "Zhanaozen in Mangystau", and the figure "13" rather than "13
        security officers"), and the ranker gives it at least `ranker_sure_at` probability, or at
        least `ranker_backed` when the question wants no figure or date."""
        logp = ranked.get((chunk.id, entity.start, entity.end), -math.inf)
        if logp == -math.inf:
            return False  # not read by the ranker (most spans): no entity scan
        cut = self.settings.ranker_backed
        vouched = self._sure(logp) or (cut > 0 and not qtype.numeric and qtype.labels <= _NAME_LABELS
                                       and logp >= math.log(cut))
        return vouched and not _holds_asked(chunk, entity, qtype)

    def _sure(self, logp: float) -> bool:
        """Whether the span ranker is sure of a span it gives this log-probability."""
        at = self.settings.ranker_sure_at
        return bool(self.settings.ranker_sure) and 0 < at and logp >= math.log(at)

    def _place_of_kind(self, text: str, qtype: QuestionType) -> bool:
        """Whether `text` is a place of the kind the question asks for ("Ukraine" for "which
        country", "New Jersey" for "which state"; rag.places) other than one the question
        names, when that rule is on."""
        if not (qtype.place_kind and self.settings.place_kind):
            return False
        # "US" does not answer "In which country did the United States reopen its embassy?"
        return places.is_kind(text, qtype.place_kind) and not places.same_place(text, qtype.named_places)

    def _head_stems(self, qtype: QuestionType) -> set[str]:
        """Stems of the words naming what the question asks about ("town", "president")."""
        return {stem for word in qtype.heads for stem in self.index.bm25.analyze(word)}

    def _names_head(self, text: str, chunk, entity, governor: str, heads: set[str]) -> bool:
        """Whether the span names the thing the question asks about: it depends on a head word
        ("the town of Zhanaozen", "a student, Nurlan Mailinov") or follows one ("TV channel
        Khabar 24", "Prime Minister Askar Mamin"), without containing it."""
        analyze = self.index.bm25.analyze
        if set(analyze(chunk.text[entity.start:entity.end])) & heads:
            return False
        if governor in heads and entity.dep in ("appos", "pobj"):
            return True  # "a student, Nurlan Mailinov," / "the town of Zhanaozen"; not the subject of a verb
        start, end = chunk.start + entity.start, chunk.start + entity.end
        apposition = re.match(r",\s+(?:the|a|an)\s+[^,.;()]{0,60}?(\w+)(?=\s*[,.;])", text[end:end + 80])
        if apposition and set(analyze(apposition.group(1))) & heads:
            return True  # "Magnum, the largest ... supermarket chain,"
        before = _TOKEN.findall(text[max(0, start - 30):start])
        if before and before[-1].lower() in NOT_CURRENT:
            return False
        stems = analyze(before[-1]) if before else []
        if before and text[start - 1:start] == " " and text[start - 2:start - 1].isalnum() and stems \
                and stems[0] in heads:
            return len(before) < 2 or before[-2].lower() not in NOT_CURRENT
        return False

    def _titled_otherwise(self, text: str, start: int, end: int, label: str, sentence_start: int, chunk,
                          heads: set[str], qtype: QuestionType) -> bool:
        """Whether the title the span follows is not the one asked about: no longer held ("the
        former capital, Almaty", "Founding President of Kazakhstan Nursultan Nazarbayev") when the
        question asks who or what holds it now, or held in another place ("Russian President
        Vladimir Putin") when the question names the place ("... the president of Kazakhstan?").
        The other place itself ("Russian" in "Russian President") is no answer either."""
        if not qtype.current and not qtype.places:
            return False

        def is_head(word: str) -> bool:
            stems = self.index.bm25.analyze(word)
            return bool(stems) and stems[0] in heads

        def elsewhere(word: str) -> bool:
            return not any(_same_place(word, place) for place in qtype.places)

        if label in ("GPE", "NORP") and qtype.places:
            following = re.match(r"\s+([\w'’-]+)", text[end:end + 40])
            if following and is_head(following.group(1)) and elsewhere(text[start:end]):
                return True
        lo = max(sentence_start, start - 80)
        tokens = list(_TOKEN.finditer(text[lo:start]))[-4:]
        at = next((i for i in range(len(tokens) - 1, -1, -1) if is_head(tokens[i].group())), None)
        if at is None:
            return False
        while at > 0 and is_head(tokens[at - 1].group()):
            at -= 1  # the first word of the title: "Prime Minister"
        qualifiers = tokens[max(0, at - 2):at]
        if qtype.current and any(t.group().lower() in SUPERSEDED - qtype.heads for t in qualifiers):
            return True  # unless the question asks for it: "Who is Kazakhstan's founding president?"
        if not qtype.places:
            return False
        for token in qualifiers[-1:] + tokens[at + 1:]:  # "Russian President X", "President of Russia X"
            offset = lo + token.start() - chunk.start
            if any(e.start <= offset < e.end and e.label in ("GPE", "NORP") for e in chunk.entities) \
                    and elsewhere(token.group()):
                return True
        return False

    def _agentless(self, text: str, sentence: _Sentence, verb: str) -> bool:
        """Whether the sentence has the question's verb only in the passive without "by"
        ("Navalny, who was also poisoned in 2020"): it names no one who did it. A progressive
        ("the RNVR was manning AA guns") is active, and the agent may come a few words on, within
        its clause ("which was controlled at the time by Vichy France")."""
        stem = self.index.bm25.analyze(verb)
        if not stem:
            return False
        found = False
        said = text[sentence.start:sentence.end].lower()
        matches = list(_TOKEN.finditer(said))
        tokens = [m.group() for m in matches]
        for i, token in enumerate(tokens):
            if self.index.bm25.analyze(token)[:1] != stem[:1]:
                continue
            found = True
            before = tokens[max(0, i - 3):i]
            passive = not token.endswith("ing") and any(
                w in ("was", "were", "been", "being", "is", "are", "be") for w in before)
            clause = re.split(r"[,;:()]", said[matches[i].end():], maxsplit=1)[0]
            if not passive or "by" in _TOKEN.findall(clause)[:6]:
                return False  # an active use, or a passive that names the agent
        return found

    def _governor(self, chunk, entity) -> str:
        """Stem of the word `entity` depends on ("town" for "Zhanaozen" in "the town of
        Zhanaozen"); empty when none, or when a "former"/"founding" marks it as past."""
        if entity.gov_start < 0:
            return ""
        before = chunk.text[max(0, entity.gov_start - 12):entity.gov_start].split()
        if before and before[-1].lower() in NOT_CURRENT:
            return ""
        stems = self.index.bm25.analyze(chunk.text[entity.gov_start:entity.gov_end])
        return stems[0] if stems else ""

    @staticmethod
    def _local_norm(chunk, sentence: _Sentence, ranked: dict[tuple[int, int, int], float]) -> float:
        """log of the summed ranker probability of the spans inside `sentence` (0 when none)."""
        lo, hi = sentence.start - chunk.start, sentence.end - chunk.start
        inside = [v for (c, s, e), v in ranked.items() if c == chunk.id and s >= lo and e <= hi]
        return _logsumexp(np.array(inside)) if inside else 0.0

    def _term_positions(self, text: str, sentence: _Sentence, terms: dict[str, float]) -> dict[str, list[float]]:
        """Character positions in the sentence of the words that match each question term."""
        positions: dict[str, list[float]] = {}
        for match in re.finditer(r"\w+", text[sentence.start:sentence.end]):
            stems = self.index.bm25.analyze(match.group())
            if stems and stems[0] in terms:
                positions.setdefault(stems[0], []).append(sentence.start + (match.start() + match.end()) / 2)
        return positions

    def _group_by_value(self, candidates: list[_Candidate], qtype: QuestionType) -> list[list[_Candidate]]:
        """Candidates grouped by the value they state, the best candidate's group first.

        Only the best candidate of each sentence speaks for it. A different value counts as a
        rival report only for typed questions, when its candidate scores within the margin of
        the best one, is of the type asked for and of the best one's kind (a name for a name, not
        "Putin" beside the description "self-styled 'Father of the Nation'"), stands right
        beside a question term ("8 police
        officers"), and its sentence says much the same thing as the best one's (cosine of their
        vectors) with most of the question's words, so that "353 wounded" does not rival
        "13 killed".
        """
        if not candidates:
            return []
        s = self.settings
        top = candidates[0]
        vectors = self.index.sentences.vectors
        anchor = vectors[top.sentence.row].astype(np.float32)
        groups: dict[str, list[_Candidate]] = {}
        spoken: set[int] = set()
        for candidate in candidates:
            if candidate.sentence.row in spoken:
                continue
            spoken.add(candidate.sentence.row)
            # "Tokayev" joins "Kassym-Jomart Tokayev": the same value, not a rival report
            value = next((key for key, group in groups.items() if spans.same_value(candidate.text, group[0].text)),
                         spans.value_key(candidate.text))
            if candidate is top:
                groups[value] = [candidate]
                continue
            similar = float(vectors[candidate.sentence.row].astype(np.float32) @ anchor) >= s.claim_similarity
            close = candidate.base >= top.base - s.conflict_margin
            if value in groups and (similar or close):
                groups[value].append(candidate)  # another report of the same value
            elif (value not in groups and qtype.typed and similar and close and candidate.attached
                  and candidate.label in qtype.labels and spans.same_kind(candidate.text, top.text)
                  and (candidate.label == top.label or {candidate.label, top.label} <= _NAME_LABELS)
                  and candidate.sentence.lexical >= s.rival_coverage * top.sentence.lexical):
                groups[value] = [candidate]  # a rival report of a different value
        return list(groups.values())

    def _independent_sources(self, group: list[_Candidate]) -> int:
        """How many independent sources report the group's value: its outlets, where outlets that
        pass on the same source ("citing Interfax", or Interfax's own copy) count as one."""
        parent: dict[str, str] = {}

        def root(node: str) -> str:
            while parent.setdefault(node, node) != node:
                node = parent[node]
            return node

        outlets = set()
        for candidate in group:
            sentence = candidate.sentence
            article, outlet = self._article(sentence), self._outlet(sentence)
            outlets.add(outlet.casefold())
            at = candidate.start - sentence.start
            via = article.outlet if outlet != article.outlet else ""  # as its citation will ask
            credited = attributed_source(article.text[sentence.start:sentence.end], at, at + len(candidate.text),
                                         outlets=(outlet, via))
            if credited:
                parent[root(credited.casefold())] = root(outlet.casefold())
        return len({root(o) for o in outlets})

    # -- citations ----------------------------------------------------------------------
    def _article(self, sentence: _Sentence) -> Article:
        return self.index.articles[sentence.hit.chunk.article_id]

    def _outlet(self, sentence: _Sentence) -> str:
        return sentence.hit.chunk.outlet or self._article(sentence).outlet

    def _citation(self, article: Article, start: int, end: int, score: float, outlet: str,
                  answer: str | None) -> Citation:
        quote = article.text[start:end]
        a_start = a_end = None
        if answer:
            # a whole-word occurrence first: "Serbia" is not the start of "Serbian oligarchs"
            match = re.search(rf"(?<!\w){re.escape(answer)}(?!\w)", quote, re.IGNORECASE)
            found = match.start() if match else quote.lower().find(answer.lower())
            if found >= 0:
                a_start, a_end = found, found + len(answer)
        via = article.outlet if outlet != article.outlet else ""
        source = attributed_source(quote, a_start, a_end, outlets=(outlet, via))
        return Citation(outlet, article.headline, article.byline, article.date, article.id, quote,
                        start, end, round(float(score), 4), via, article.url, a_start, a_end, source)

    def _cite_sentence(self, sentence: _Sentence, answer: str | None) -> list[Citation]:
        """The sentence's citation followed by one per other article that printed it too."""
        article = self._article(sentence)
        out = [self._citation(article, sentence.start, sentence.end, sentence.score,
                              self._outlet(sentence), answer)]
        for occurrence in sentence.hit.chunk.also:
            other = self.index.articles[occurrence.article_id]
            start, end = _matching_sentence(other.text, occurrence.start, occurrence.end,
                                            article.text[sentence.start:sentence.end])
            outlet = (other.block_at(start).outlet if other.block_at(start) else None) or other.outlet
            out.append(self._citation(other, start, end, sentence.score, outlet, answer))
        return out

    def _group_citations(self, sentences: list[_Sentence], answer: str, group: list[_Candidate],
                         limit: int) -> tuple[Citation, ...]:
        """Citations of `sentences` (quoting `answer`) then of each candidate of `group`."""
        citations: list[Citation] = []
        for sentence in sentences:
            citations.extend(self._cite_sentence(sentence, answer))
        for candidate in group:
            citations.extend(self._cite_sentence(candidate.sentence, candidate.text))
        return tuple(_unique(citations)[:limit])

    def _nearest(self, sentences: list[_Sentence], limit: int) -> tuple[Citation, ...]:
        citations: list[Citation] = []
        for sentence in sentences[:limit]:
            citations.extend(self._cite_sentence(sentence, None)[:1])
        return tuple(citations)


def _claim_by(who: str, text: str) -> tuple[int, int] | None:
    """Offsets of what `text` credits `who` with saying: "[Foreign intelligence services are
    behind the riots], Serbian President Aleksandar Vucic told reporters" for "Vucic". The
    source must hold the last word of `who` ("Vucic", "CSTO"); failing that, a claim that
    `who` opens is what its spokesperson says for it ("Spokesman Ned Price said in a statement
    [the US “is closely following the situation in Kazakhstan,”...]" for "the US")."""
    named = words(who)
    if not named:
        return None
    found = claims(text)
    by_source = next(((start, end) for source, start, end in found if named[-1] in words(source)), None)
    if by_source is not None:
        return by_source
    subject = [w for w in named if w not in ARTICLES]
    return next(((start, end) for _, start, end in found
                 if subject and [w for w in words(text[start:end]) if w not in ARTICLES][:len(subject)] == subject),
                None)


def _logsumexp(values: np.ndarray) -> float:
    top = float(values.max())
    return top + math.log(float(np.exp(values - top).sum()))


def _closeness(positions: dict[str, list[float]], terms: dict[str, float], center: float) -> float:
    """How near a span is to all of the question's terms, idf-weighted, in [0, 1]."""
    total = sum(terms.values())
    if not total:
        return 0.0
    near = sum(terms[t] * max(1.0 / (1.0 + abs(p - center) / 40.0) for p in found)
               for t, found in positions.items())
    return near / total


def _attached(text: str, start: int, end: int, sentence: _Sentence, terms: dict[str, float], bm25,
              numeric: bool) -> bool:
    """Whether a question term stands right beside the span: "13 security officers",
    "Prime Minister Askar Mamin". A number counts what follows it, so only the words after
    it are looked at. Beside a name, only a term of at least half the weight of the question's
    rarest one counts ("Kazakhs may make up ..." is not attached to "which countries make up
    the CSTO")."""
    after = re.findall(r"\w+", text[end:sentence.end])[:3]
    if numeric:
        return any(stem in terms for stem in bm25.analyze(" ".join(after)))
    before = re.findall(r"\w+", text[sentence.start:start])[-3:]
    strong = 0.5 * max(terms.values(), default=0.0)
    return any(terms.get(stem, -1.0) >= strong for stem in bm25.analyze(" ".join(after + before)))


def _patient(after: str, verb: str) -> bool:
    """Whether the text after a span makes it the subject of the question's verb in the passive:
    "..., which was set on fire", " were set on fire"."""
    return re.match(rf",?\s+(?:(?:which|that|who)\s+)?(?:(?:was|were|is|are)(?:\s+being)?|has\s+been|have\s+been|had\s+been)"
                    rf"\s+(?:{ADVERB}\s+)?{re.escape(verb)}\b", after, re.IGNORECASE) is not None


def _tagged_places(words: tuple[str, ...], hits: list[Hit]) -> tuple[str, ...]:
    """Those of `words` that the passages read tag as a place (GPE): "Kazakhstan" is one,
    "Eisenhower" in "Eisenhower's senator" is not."""
    tagged = {without_possessive(chunk.text[e.start:e.end]).lower()
              for chunk in {h.chunk.id: h.chunk for h in hits}.values() for e in chunk.entities if e.label == "GPE"}
    return tuple(w for w in words if w in tagged)


def _place_root(word: str) -> str:
    """The lower-cased root of a place word: a demonym without its ending when 4+ letters
    remain ("russian" -> "russ", "chinese" -> "chin"), else the word without a possessive."""
    word = without_possessive(word.lower())
    root = _DEMONYM.sub("", word)
    return root if len(root) >= 4 else word


def _same_place(word: str, place: str) -> bool:
    """Whether a place word and a word of the question name the same place: "Russian" and
    "Russia", "Kazakh" and "Kazakhstan's" (one root starts the other)."""
    a, b = _place_root(word), _place_root(place)
    return a.startswith(b) or b.startswith(a)


def _support(score: float, best: float) -> float:
    """exp(score - best score) of the passage a sentence comes from: 1 for the best-ranked one."""
    return math.exp(max(score - best, -30.0))


def _top_share(hits: list[Hit]) -> float:
    """Softmax share of the best hit among the hits read: how clearly one passage wins."""
    best = max(h.score for h in hits)
    return 1.0 / sum(math.exp(max(h.score - best, -30.0)) for h in hits)


def _margin(candidates: list[_Candidate]) -> float:
    """Score of the best candidate over the best one stating another value (0..1)."""
    if not candidates:
        return 0.0
    top = candidates[0].text
    other = next((c.score for c in candidates if not spans.same_value(c.text, top)), candidates[0].score - 1.0)
    return min(1.0, candidates[0].score - other)


def _attached_share(text: str, start: int, end: int, sentence: _Sentence, terms: dict[str, float], bm25) -> float:
    """The idf share of the question's terms among the three words after a figure."""
    after = re.findall(r"\w+", text[end:sentence.end])[:3]
    found = set(bm25.analyze(" ".join(after))) & terms.keys()
    return sum(terms[t] for t in found) / (sum(terms.values()) or 1.0)


# "Who is the mayor of Almaty?", "What is the name of the mayor of Almaty?": the title asked about
_TITLE_QUESTION = re.compile(r"\s*(?:who|what)\s+(?:is|are)\s+the\s+(?:names?\s+of\s+the\s+)?"
                             r"([^?]+?\s+(?:of|in)\s+[^?]+?)\s*\??\s*$", re.IGNORECASE)
_TOKEN = re.compile(r"[\w'’-]+")  # a word of an article, with its apostrophes and hyphens: "Russia-led", "mayor's"
_LOCATIVE = re.compile(r"\b(?:in|at|on|near|inside|outside|into|from|across|along|throughout|within)\s+$", re.I)
_NAME_LABELS = frozenset({"PERSON", "ORG", "GPE", "LOC", "FAC", "NORP"})
# A quoted name: 'Father of the Nation', “Old Man Out”, up to eight words opening with a capital.
_QUOTED_NAME = re.compile(r"(?<![\w'’])['‘\"“]([A-Z][^'‘’\"“”\n]{0,60}?[\w!?])[.,]?['’\"”](?![\w])")
QUOTED = "QUOTED"  # the label of such a candidate
# Nouns asking for a name someone goes by or a phrase they use.
TITLE_HEADS = frozenset("title titles nickname nicknames moniker slogan slogans motto epithet catchphrase".split())
# What follows a name that has left its post: "X announced his resignation", "X, who stepped
# down in 2019", "X resigned".
_DEPARTED = re.compile(r"(?:,?\s+(?:who|which)(?:\s+(?:has|had|then|later|finally))?|\s+(?:(?:announced|tendered|"
                       r"offered|submitted)\s+(?:his|her|their)(?:\s+\w+)?(?=\s+resignation)|has|had)?)?"
                       r"\s+(?:resign\w*|stepp?(?:ed|s)?\s+down|quit|was\s+ousted|retired)\b", re.IGNORECASE)
_UNTYPED_PRIOR = {"NP": 0.0, "PERSON": 0.6, "ORG": 0.6, "GPE": 0.5, "LOC": 0.5, "FAC": 0.6,
                  "PRODUCT": 0.6, "EVENT": 0.6, "WORK_OF_ART": 0.6, "NORP": 0.3, "LAW": 0.5}


def _question_names(question: str) -> list[str]:
    """Capitalised words of a question, its first word (and a sentence's) left out, each once;
    a possessive dropped ("the IMF's lending" names the IMF)."""
    return list(dict.fromkeys(without_possessive(m.group())
                              for m in re.finditer(r"(?<!^)(?<![.?!] )\b[A-Z][\w'’-]+", question.strip())))


def _restates(span: str, question_words: set[str]) -> bool:
    """Whether a span only names what the question names: its content words are all the
    question's, or it spells out an acronym the question uses ("Collective Security Treaty
    Organization" when the question says CSTO)."""
    span_words = [w for w in words(span) if w not in _QUESTION_STOP]
    return not span_words or all(w in question_words for w in span_words) or spans.acronym(span) in question_words


def _sentence_entities(chunk, sentence: _Sentence):
    """The chunk's candidate spans (offsets in the chunk, sorted by start) inside `sentence`."""
    lo, hi = sentence.start - chunk.start, sentence.end - chunk.start
    for entity in chunk.entities[bisect.bisect_left(chunk.entities, lo, key=lambda e: e.start):]:
        if entity.start >= hi:
            break
        if entity.end <= hi:
            yield entity


def _holds_asked(chunk, entity, qtype: QuestionType) -> bool:
    """Whether a span holds an entity of a kind the question asks for."""
    return any(e.label in qtype.labels and entity.start <= e.start and e.end <= entity.end and e is not entity
               for e in chunk.entities)


def _closing_name(chunk, entity, qtype: QuestionType):
    """The entity of an asked kind that closes a descriptive phrase ("Armenian Prime Minister
    [Nikol Pashinyan]"), or None: none closes it, it starts it ("Shanghai's financial district"
    has none closing it), or the phrase is a list ("Slavonia and Vojvodina")."""
    for e in chunk.entities:
        if (e is not entity and e.label in qtype.labels and entity.start < e.start and e.end == entity.end):
            before = chunk.text[entity.start:e.start]
            return None if re.search(r",|;|&|\b(?:and|or)\b", before) else e
    return None


def _label_prior(qtype: QuestionType, label: str) -> float | None:
    """How typical `label` is for the answer the question wants; None rules the span out."""
    if qtype.wh in ("who", "whom", "whose"):
        return {"PERSON": 1.0, "ORG": 0.6, "NORP": 0.1}.get(label)
    if qtype.typed:
        if label in qtype.labels:
            return 1.0 if label != "NORP" or qtype.labels <= {"NORP", "LANGUAGE"} else 0.2
        if qtype.labels & _NAME_LABELS:
            # the small tagger often mislabels names (a supermarket chain as PERSON); a noun
            # phrase may stand in for a name it missed; never for a number or a date
            if label in _NAME_LABELS:
                return 0.3
            if label == "NP":
                return -1.0
        return None
    return _UNTYPED_PRIOR.get(label)


def _display(group: list[_Candidate]) -> str:
    """How a group's value is shown: its figure in digits when one report wrote it so."""
    key = spans.value_key(group[0].text)
    if key.isdigit():
        return key  # "Eight" and "eight" are shown as 8
    for candidate in group:
        if any(ch.isdigit() for ch in candidate.text):
            return candidate.text
    return group[0].text


def _matching_sentence(text: str, start: int, end: int, target: str) -> tuple[int, int]:
    """The sentence in `text[start:end]` that best matches `target` word for word."""
    wanted = set(words(target))
    best, best_overlap = (start, end), -1.0
    for s, e in sentence_spans(text, start, end):
        found = set(words(text[s:e]))
        overlap = len(wanted & found) / max(1, len(wanted | found))
        if overlap > best_overlap:
            best, best_overlap = (s, e), overlap
    return best


def _unique(citations: list[Citation]) -> list[Citation]:
    seen, out = set(), []
    for citation in citations:
        key = (citation.article_id, citation.start, citation.end)
        if key not in seen:
            seen.add(key)
            out.append(citation)
    return out

