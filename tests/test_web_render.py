"""HTML rendering of answers: escaping, marking, numbering, abstention, conflicts (no model)."""
from __future__ import annotations

from rag.records import Answer, Citation, Conflict
from rag.web.render import (citation_text, esc, find_span, mark_span, number_sources, render_answer,
                            render_conversation)

QUOTE = "The CSTO's current chairman, Armenian Prime Minister Nikol Pashinyan, said so."


def citation(outlet="CNN", quote=QUOTE, headline="Alliance sends troops", start=None, end=None, article="a1", via=""):
    return Citation(outlet=outlet, headline=headline, byline="Jo Smith", date="2022-01-06", article_id=article,
                    quote=quote, start=10, end=10 + len(quote), score=0.71, via=via,
                    answer_start=start, answer_end=end)


def answer(**changes) -> dict:
    base = Answer(question="Who chairs the CSTO?", answer="Nikol Pashinyan", sentence=QUOTE, confidence=0.87,
                  citations=(citation(start=53, end=68),))
    return {**base.to_dict(), **changes}


def test_esc_leaves_no_markup_and_no_template_syntax():
    assert esc("<script>alert('x')</script>") == "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;"
    assert esc('"${7*7}" {{x}} `y`') == "&quot;&#36;&#123;7*7&#125;&quot; &#123;&#123;x&#125;&#125; &#96;y&#96;"
    assert esc(None) == ""


def test_mark_span_marks_exact_offsets_and_ignores_bad_ones():
    assert mark_span("a <b> c", 2, 5) == "a <mark>&lt;b&gt;</mark> c"
    assert mark_span("abc", 2, 9) == "abc"
    assert mark_span("abc", None, None) == "abc"


def test_find_span_prefers_exact_case_then_ignores_case():
    assert find_span("Eight police, eight guards", "eight") == (14, 19)
    assert find_span("Eight police", "eight") == (0, 5)
    assert find_span("Eight police", "nine") == (None, None)


def test_answer_card_marks_the_answer_in_sentence_and_quote():
    html = render_answer(answer())
    assert '<div class="rag-answer">Nikol Pashinyan</div>' in html
    assert html.count("<mark>Nikol Pashinyan</mark>") == 2  # the sentence and the quote
    assert "Confidence 87%" in html
    assert '<span class="rag-outlet">CNN</span>' in html
    assert 'data-state="answer"' in html


def test_hostile_article_fields_are_escaped_everywhere():
    bad = "<img src=x onerror=alert(1)>"
    card = answer(question=bad, sentence=f"{bad} Nikol Pashinyan",
                  citations=[{**citation(outlet=bad, headline=bad, quote=f"{bad} Nikol Pashinyan").__dict__,
                              "byline": bad, "url": "javascript:alert(1)", "attributed_to": bad}])
    html = render_answer(card) + render_conversation([{"question": bad, "answer": card}])
    assert "<img" not in html and "javascript:" not in html
    # per card: sentence, quote, outlet (3 places), the source it cites (2), headline, byline, and 5
    # in the copy text; twice; + the question
    assert html.count("&lt;img src=x onerror=alert(1)&gt;") == 29


def test_sources_are_numbered_main_first_then_conflicts_without_repeats():
    conflict = Conflict(answer="12", citations=(citation(outlet="TASS", quote="12 died", article="t1"),))
    card = answer(citations=[citation(start=53, end=68).__dict__, citation(start=53, end=68).__dict__],
                  conflicts=[{"answer": conflict.answer, "citations": [conflict.citations[0].__dict__]}])
    sources = number_sources(card)
    assert [(s.number, s.citation["outlet"], s.claim) for s in sources] == [
        (1, "CNN", "Nikol Pashinyan"), (2, "TASS", "12")]
    html = render_answer(card)
    assert "<h4>Reports differ</h4>" in html
    assert '<span class="rag-claim">12</span><span class="rag-claim-by">TASS</span>' in html
    assert '<mark>12</mark> died' in html


def test_second_hand_sources_are_named_beside_their_outlets():
    cnn = Citation(**{**citation(quote="Eight died, according to Tengrinews.kz.", article="c1").__dict__,
                      "attributed_to": "Tengrinews.kz", "answer_start": 0, "answer_end": 5})
    rt = citation(outlet="RT", quote="The toll has reportedly reached 13.", article="r1")
    mail = Citation(**{**citation(outlet="Daily Mail", quote="Media reports said 13 died.", article="d1").__dict__,
                       "attributed_to": "media reports"})
    card = answer(answer="13", sentence=mail.quote, citations=[mail.__dict__, rt.__dict__],
                  conflicts=[{"answer": "Eight", "citations": [cnn.__dict__]}])
    html = render_answer(card)
    assert ('<span class="rag-claim">13</span><span class="rag-claim-by">Daily Mail, citing media reports; RT'
            '</span>') in html
    assert '<span class="rag-claim">Eight</span><span class="rag-claim-by">CNN, citing Tengrinews.kz</span>' in html
    assert '<span class="rag-outlet">CNN</span><span class="rag-citing">citing Tengrinews.kz</span>' in html
    assert "Reported by <strong>Daily Mail, citing media reports; RT</strong>" in html
    assert citation_text(card).endswith("\u2014 Daily Mail, citing media reports, \u201cAlliance sends troops\u201d, "
                                        "Jo Smith, 2022-01-06")


def test_abstention_is_honest_and_shows_nearest_passages():
    html = render_answer(answer(answer=None, sentence=None, confidence=0.2, citations=[citation().__dict__]))
    assert "The articles don\u2019t say." in html
    assert "Nearest passages (1)" in html
    assert "rag-copy" not in html and "<mark>" not in html
    assert 'data-state="abstain"' in html
    assert "No passage in the indexed articles answers this question. The nearest" in html
    noted = render_answer(answer(answer=None, sentence=None, confidence=0.2, citations=[],
                                 note="The articles never mention <France>."))
    assert '<p class="rag-note">The articles never mention &lt;France&gt;. </p>' in noted


def test_copy_text_names_answer_sentence_and_source():
    assert citation_text(answer()) == (
        "Nikol Pashinyan\n\u201c" + QUOTE + "\u201d\n\u2014 CNN, \u201cAlliance sends troops\u201d, Jo Smith, 2022-01-06")
    agency = answer(citations=[citation(outlet="AFP", via="Daily Mail").__dict__])
    assert citation_text(agency).endswith("\u2014 AFP via Daily Mail, \u201cAlliance sends troops\u201d, Jo Smith, 2022-01-06")


def test_widget_view_keeps_the_first_sources():
    many = answer(citations=[citation(article=f"a{i}", quote=f"{QUOTE} {i}").__dict__ for i in range(5)])
    html = render_answer(many, max_sources=3)
    assert html.count('class="rag-source"') == 3 and "2 more in the full view" in html


def test_only_quotes_holding_the_answer_are_cited_for_it():
    other = citation(outlet="TASS", quote="The alliance met in Moscow.", article="t1")
    card = answer(citations=[citation(start=53, end=68).__dict__, other.__dict__])
    html = render_answer(card)
    assert "Reported by <strong>CNN</strong>" in html
    assert 'data-src="1" title="CNN">[1]</button>' in html and 'data-src="2" title="TASS"' not in html
    assert '<span class="rag-outlet">TASS</span>' in html  # still listed among the sources


def test_a_question_read_with_a_name_for_its_description_says_how_it_was_read():
    html = render_answer(answer(read_as="Who currently leads <b>the CSTO</b>?"))
    assert '<p class="rag-read-as">Read as: Who currently leads &lt;b&gt;the CSTO&lt;/b&gt;?</p>' in html
    assert "rag-read-as" not in render_answer(answer())
