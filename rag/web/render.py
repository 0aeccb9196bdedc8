"""HTML for answers: pure functions from the JSON contract (`Answer.to_dict()`) to markup.

Everything that comes from an article or a question passes through `esc()` before it meets
markup, so a headline holding `<script>` shows those characters and runs nothing. `esc` also
turns `$`, `{`, `}` and backticks into entities: Gradio's HTML component fills a JS/Handlebars
template with our markup, and text that looks like template syntax must stay inert there too.
"""
from __future__ import annotations

import html
from dataclasses import dataclass

from ..render import citing, credited

DOT = " \u00b7 "
_TEMPLATE_CHARS = str.maketrans({"$": "&#36;", "{": "&#123;", "}": "&#125;", "`": "&#96;"})


def esc(text: object) -> str:
    """`text` as inert HTML text (safe in element content and in quoted attributes)."""
    return html.escape("" if text is None else str(text), quote=True).translate(_TEMPLATE_CHARS)


def mark_span(text: str, start: int | None, end: int | None) -> str:
    """`text` escaped, with `text[start:end]` wrapped in <mark> when the offsets are valid."""
    if start is None or end is None or not 0 <= start < end <= len(text):
        return esc(text)
    return f"{esc(text[:start])}<mark>{esc(text[start:end])}</mark>{esc(text[end:])}"


def find_span(text: str, needle: str | None) -> tuple[int | None, int | None]:
    """Offsets of the first occurrence of `needle` in `text` (exact, then ignoring case)."""
    if not needle or not text:
        return None, None
    at = text.find(needle)
    if at < 0:
        at = text.casefold().find(needle.casefold())
        # casefold can change lengths (German sharp s); only trust it when it did not
        if at >= 0 and len(text.casefold()) != len(text):
            at = -1
    return (at, at + len(needle)) if at >= 0 else (None, None)


def confidence_level(confidence: float) -> str:
    """'high', 'medium' or 'low': the badge colour for a confidence in [0, 1]."""
    if confidence >= 0.7:
        return "high"
    return "medium" if confidence >= 0.4 else "low"


@dataclass(frozen=True)
class Source:
    """A citation with its number in the sources panel and the answer it backs."""

    number: int
    citation: dict
    claim: str | None  # the answer (or conflicting answer) this citation was given for
    supports: bool = False  # whether its quote holds the claim's words

    def backs(self, claim: str | None) -> bool:
        """Whether this source's quote backs `claim` (the answer or one conflicting answer)."""
        return self.supports and self.claim == claim


def number_sources(answer: dict) -> list[Source]:
    """Main citations first, then those of each conflict; a quote cited twice keeps one number."""
    sources: list[Source] = []
    seen: dict[tuple, int] = {}

    def add(citation: dict, claim: str | None) -> None:
        key = (citation.get("article_id"), citation.get("start"), citation.get("end"), claim)
        if key not in seen:
            seen[key] = len(sources) + 1
            supports = claim is not None and (citation.get("answer_start") is not None
                                              or find_span(citation.get("quote") or "", claim)[0] is not None)
            sources.append(Source(len(sources) + 1, citation, claim, supports))

    for citation in answer.get("citations") or []:
        add(citation, answer.get("answer"))
    for conflict in answer.get("conflicts") or []:
        for citation in conflict.get("citations") or []:
            add(citation, conflict.get("answer"))
    return sources


def outlet_label(citation: dict) -> str:
    """The outlet, with the carrying outlet for agency copy ("AFP via Daily Mail")."""
    outlet = citation.get("outlet") or "Unknown outlet"
    via = citation.get("via")
    return f"{outlet} via {via}" if via and via != outlet else outlet


def citation_text(answer: dict) -> str:
    """Plain text to paste elsewhere: the answer, its sentence, and who reported it."""
    citations = answer.get("citations") or []
    if answer.get("answer") is None or not citations:
        return f"Q: {answer.get('question', '')}\nThe indexed articles do not answer this question."
    first = citations[0]
    label = citing(outlet_label(first), [first.get("attributed_to") or ""])
    where = ", ".join(part for part in (label, f"\u201c{first.get('headline', '')}\u201d",
                                        first.get("byline", ""), first.get("date", "")) if part)
    sentence = answer.get("sentence") or first.get("quote", "")
    return f"{answer['answer']}\n\u201c{sentence}\u201d\n\u2014 {where}"


def _source_refs(sources: list[Source], claim: str | None) -> str:
    refs = [f'<button type="button" class="rag-ref" data-src="{s.number}" '
            f'title="{esc(outlet_label(s.citation))}">[{s.number}]</button>'
            for s in sources if s.backs(claim)]
    return "".join(refs)


def _outlets_backing(sources: list[Source], claim: str | None) -> str:
    """ "CNN, citing Tengrinews.kz; Daily Mail": who reported `claim`, in the order of their
    sources, with whom their quotes credit for it."""
    return credited((outlet_label(s.citation), s.citation.get("attributed_to") or "")
                    for s in sources if s.backs(claim))


def _quote_html(source: Source) -> str:
    citation = source.citation
    quote = citation.get("quote") or ""
    start, end = citation.get("answer_start"), citation.get("answer_end")
    if start is None and source.claim:
        start, end = find_span(quote, source.claim)
    return mark_span(quote, start, end)


def render_source(source: Source) -> str:
    """One entry of the sources panel: outlet, headline, byline, date, quote, score."""
    c = source.citation
    meta = [esc(part) for part in (c.get("byline"), c.get("date")) if part]
    if c.get("score") is not None:
        meta.append(f"relevance {float(c['score']):.2f}")
    headline = esc(c.get("headline") or "Untitled")
    url = c.get("url") or ""
    citing = f'<span class="rag-citing">citing {esc(c["attributed_to"])}</span>' if c.get("attributed_to") else ""
    if url.startswith(("https://", "http://")):
        headline = f'<a href="{esc(url)}" target="_blank" rel="noopener noreferrer">{headline}</a>'
    return (f'<li class="rag-source" data-src="{source.number}">'
            f'<div class="rag-source-head"><span class="rag-num">{source.number}</span>'
            f'<span class="rag-outlet">{esc(outlet_label(c))}</span>{citing}'
            f'<span class="rag-headline">{headline}</span></div>'
            f'<div class="rag-meta">{DOT.join(meta)}</div>'
            f'<blockquote class="rag-quote">{_quote_html(source)}</blockquote></li>')


def render_conflicts(answer: dict, sources: list[Source]) -> str:
    """The "Reports differ" block: each other claim beside the outlets that made it."""
    conflicts = answer.get("conflicts") or []
    if not conflicts:
        return ""
    rows = []
    main_outlets = _outlets_backing(sources, answer.get("answer"))
    rows.append(f'<li><span class="rag-claim">{esc(answer.get("answer"))}</span>'
                f'<span class="rag-claim-by">{esc(main_outlets)}</span>'
                f'{_source_refs(sources, answer.get("answer"))}</li>')
    for conflict in conflicts:
        outlets = _outlets_backing(sources, conflict.get("answer"))
        rows.append(f'<li><span class="rag-claim">{esc(conflict.get("answer"))}</span>'
                    f'<span class="rag-claim-by">{esc(outlets)}</span>'
                    f'{_source_refs(sources, conflict.get("answer"))}</li>')
    return ('<section class="rag-differ"><h4>Reports differ</h4>'
            '<p>Outlets give different answers. Each claim is shown with who reported it.</p>'
            f'<ul>{"".join(rows)}</ul></section>')


def render_answer(answer: dict, max_sources: int | None = None, sources_open: bool = True) -> str:
    """The card for one answer (or one honest abstention), with its sources panel."""
    sources = number_sources(answer)
    shown = sources[:max_sources] if max_sources else sources
    confidence = float(answer.get("confidence") or 0.0)
    level = confidence_level(confidence)
    badge = (f'<span class="rag-conf rag-conf-{level}" title="How sure the assistant is">'
             f"Confidence {confidence:.0%}</span>")
    if answer.get("answer") is None:
        head = ('<div class="rag-answer-row"><div class="rag-answer rag-abstain">'
                "The articles don\u2019t say.</div></div>"
                f'<p class="rag-note">{esc(answer.get("note") or "No passage in the indexed articles answers this question.")} '
                + ("The nearest passages are below, so you can judge for yourself." if shown else "")
                + "</p>")
        panel_title = "Nearest passages"
        copy_button = ""
    else:
        sentence = answer.get("sentence") or ""
        refs = _source_refs(sources, answer["answer"])
        outlets = _outlets_backing(sources, answer["answer"])
        head = (f'<div class="rag-answer-row"><div class="rag-answer">{esc(answer["answer"])}</div>{badge}</div>'
                f'<p class="rag-sentence">{mark_span(sentence, *find_span(sentence, answer["answer"]))} {refs}</p>'
                f'<p class="rag-reported">Reported by <strong>{esc(outlets)}</strong></p>')
        panel_title = "Sources"
        copy_button = (f'<button type="button" class="rag-copy" data-copy="{esc(citation_text(answer))}">'
                       "Copy answer with citation</button>")
    if answer.get("read_as"):  # a description resolved to a name first (rag.bridge)
        head = f'<p class="rag-read-as">Read as: {esc(answer["read_as"])}</p>' + head
    panel = ""
    if shown:
        more = len(sources) - len(shown)
        panel = (f'<details class="rag-sources"{" open" if sources_open else ""}><summary>{panel_title} ({len(shown)})'
                 f'{DOT + badge if answer.get("answer") is not None else ""}</summary>'
                 f'<ol>{"".join(render_source(s) for s in shown)}</ol>'
                 + (f'<p class="rag-more">{more} more in the full view</p>' if more > 0 else "")
                 + "</details>")
    actions = f'<div class="rag-actions">{copy_button}</div>' if copy_button else ""
    return (f'<article class="rag-card" data-state="{"answer" if answer.get("answer") is not None else "abstain"}">'
            f"{head}{render_conflicts(answer, sources)}{panel}{actions}</article>")


def render_error(message: str) -> str:
    """A reply that explains why a question was not asked (too long, unknown outlet, ...)."""
    return f'<article class="rag-card rag-error" data-state="error"><p>{esc(message)}</p></article>'


BUBBLE_CHARS = 400  # a pasted essay shows its start; the error below says how long it was


def render_turn(turn: dict) -> str:
    """One exchange: the question as asked, then the answer card, the error, or a placeholder."""
    text = str(turn.get("question") or "")
    shown = text if len(text) <= BUBBLE_CHARS else text[:BUBBLE_CHARS].rstrip() + "\u2026"
    question = f'<div class="rag-question"><div class="rag-bubble">{esc(shown)}</div></div>'
    if turn.get("error"):
        body = render_error(turn["error"])
    elif turn.get("answer") is not None:
        body = render_answer(turn["answer"])
    else:  # asked, not yet answered
        body = ('<article class="rag-card rag-pending" data-state="pending" aria-busy="true">'
                '<span class="rag-dots"><i></i><i></i><i></i></span> Searching the articles\u2026</article>')
    return f'<div class="rag-turn">{question}{body}</div>'


def render_conversation(turns: list[dict], empty: str = "") -> str:
    """The whole chat history, oldest first; `empty` shows before the first question."""
    if not turns:
        return f'<div class="rag-chat rag-empty">{empty}</div>'
    return f'<div class="rag-chat">{"".join(render_turn(t) for t in turns)}</div>'
