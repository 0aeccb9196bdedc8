"""Plain-text rendering of an Answer for the terminal."""
from __future__ import annotations

from typing import Iterable

from .records import Answer, Citation

MARK_OPEN, MARK_CLOSE = "[[", "]]"


def marked(text: str, start: int | None, end: int | None) -> str:
    """`text` with the answer span wrapped in [[ ]] when its offsets are known."""
    if start is None or end is None:
        return text
    return f"{text[:start]}{MARK_OPEN}{text[start:end]}{MARK_CLOSE}{text[end:]}"


def source_line(number: int, citation: Citation, answer_marked: bool = True) -> str:
    outlet = citing(f"{citation.outlet} (via {citation.via})" if citation.via else citation.outlet,
                    [citation.attributed_to])
    quote = marked(citation.quote, citation.answer_start, citation.answer_end) if answer_marked else citation.quote
    return f"  [{number}] {outlet} — {citation.headline} — “{quote}”"


def citing(outlet: str, sources: list[str]) -> str:
    """ "CNN, citing Reuters and Interfax", or the outlet alone when its quotes credit nobody."""
    named = [s for s in sources if s]
    return f"{outlet}, citing {' and '.join(named)}" if named else outlet


def credited(pairs: Iterable[tuple[str, str]]) -> str:
    """ "Daily Mail, citing media reports; RT" from (outlet, source its quote credits) pairs:
    each outlet once, in order, with every source credited in its quotes."""
    sources: dict[str, list[str]] = {}
    for outlet, source in pairs:
        named = sources.setdefault(outlet, [])
        if source and source not in named:
            named.append(source)
    parts = [citing(outlet, named) for outlet, named in sources.items()]
    return ("; " if any(sources.values()) else ", ").join(parts)


def conflict_line(answer: Answer) -> str | None:
    """'Reports differ: 13 (Daily Mail, citing media reports; RT) · 12 (Daily Mail) · 8 (CNN,
    citing Tengrinews.kz)', or None."""
    if not answer.conflicts or answer.answer is None:
        return None
    parts = [(answer.answer, answer.citations)] + [(c.answer, c.citations) for c in answer.conflicts]
    shown = []
    for value, citations in parts:
        backing = [c for c in citations if c.answer_start is not None or value == answer.answer]
        shown.append(f"{value} ({credited((c.outlet, c.attributed_to) for c in backing)})")
    return "Reports differ: " + " · ".join(shown)


def render_text(answer: Answer) -> str:
    """The answer, its marked sentence and numbered sources, as a journalist reads them."""
    lines: list[str] = []
    if answer.read_as:
        lines.append(f"Read as: {answer.read_as}")
    if answer.answer is None:
        reason = f": {answer.note[0].lower()}{answer.note[1:]}" if answer.note else ""
        lines.append(f"The articles don't answer this{reason} Nearest passages:")
    else:
        lines.append(f"Answer: {answer.answer}   (confidence {answer.confidence:.2f})")
        first = answer.citations[0] if answer.citations else None
        if first is not None and answer.answer != answer.sentence:
            lines.append(f"  “{marked(first.quote, first.answer_start, first.answer_end)}”")
        if (line := conflict_line(answer)) is not None:
            lines.append(line)
    number = 0
    if answer.citations and answer.answer is not None:
        lines.append("Sources:")
    for citation in answer.citations:
        number += 1
        lines.append(source_line(number, citation, answer.answer is not None))
    for conflict in answer.conflicts:
        lines.append(f"Also reported — {conflict.answer}:")
        for citation in conflict.citations:
            number += 1
            lines.append(source_line(number, citation))
    return "\n".join(lines)
