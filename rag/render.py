"""Plain-text rendering of an Answer for the terminal."""
from __future__ import annotations

from .records import Answer, Citation

MARK_OPEN, MARK_CLOSE = "[[", "]]"


def marked(text: str, start: int | None, end: int | None) -> str:
    """`text` with the answer span wrapped in [[ ]] when its offsets are known."""
    if start is None or end is None:
        return text
    return f"{text[:start]}{MARK_OPEN}{text[start:end]}{MARK_CLOSE}{text[end:]}"


def source_line(number: int, citation: Citation, answer_marked: bool = True) -> str:
    outlet = f"{citation.outlet} (via {citation.via})" if citation.via else citation.outlet
    quote = marked(citation.quote, citation.answer_start, citation.answer_end) if answer_marked else citation.quote
    return f"  [{number}] {outlet} — {citation.headline} — “{quote}”"


def conflict_line(answer: Answer) -> str | None:
    """'Reports differ: 13 (RT, Daily Mail) · 12 (Daily Mail) · 8 (CNN)', or None."""
    if not answer.conflicts or answer.answer is None:
        return None
    parts = [(answer.answer, answer.citations)] + [(c.answer, c.citations) for c in answer.conflicts]
    shown = []
    for value, citations in parts:
        outlets = list(dict.fromkeys(c.outlet for c in citations if c.answer_start is not None or value == answer.answer))
        shown.append(f"{value} ({', '.join(outlets)})")
    return "Reports differ: " + " · ".join(shown)


def render_text(answer: Answer) -> str:
    """The answer, its marked sentence and numbered sources, as a journalist reads them."""
    lines: list[str] = []
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
