"""The chat, the widget in a foreign page, and hostile article text, in a real Chromium."""
from __future__ import annotations

import re

import httpx

from web_helpers import ARTIFACTS, TOKEN, HostPage

CSTO = "Who chairs the CSTO?"


def server_outlets(server) -> list[str]:
    """The outlets the server's index knows, as /api/health lists them."""
    return httpx.get(server.url + "/api/health", timeout=30).json()["outlets"]


def ask_in(scope, question: str, turns_before: int = 0):
    """Type a question into the page (or frame), press Ask, and return the new answer card."""
    scope.locator("#rag-question textarea").fill(question)
    scope.locator("#rag-ask").click()
    card = scope.locator(".rag-turn").nth(turns_before).locator(".rag-card:not(.rag-pending)")
    card.wait_for(state="visible", timeout=60_000)
    return card


def test_chat_answers_with_outlet_sources_history_and_copy(server, page):
    page.goto(server.url + "/", wait_until="domcontentloaded")
    page.locator("#rag-question textarea").wait_for()

    card = ask_in(page, CSTO)
    assert card.get_attribute("data-state") == "answer"
    assert card.locator(".rag-answer").inner_text() == "Nikol Pashinyan"
    assert card.locator(".rag-sentence mark").first.inner_text() == "Nikol Pashinyan"
    first_source = card.locator(".rag-source").first
    assert first_source.locator(".rag-outlet").text_content() in {"CNN", "Daily Mail"}
    assert "Nikol Pashinyan" in first_source.locator(".rag-quote").inner_text()
    assert first_source.locator(".rag-quote mark").first.inner_text() == "Nikol Pashinyan"
    assert re.fullmatch(r"Confidence \d{1,3}%", card.locator(".rag-answer-row .rag-conf").inner_text())
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "chat-answer.png"), full_page=True)

    # the copy button puts the answer, its sentence and its first source on the clipboard
    card.locator(".rag-copy").click()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.splitlines()[0] == "Nikol Pashinyan"
    assert first_source.locator(".rag-headline").inner_text() in copied

    # history: a second question, sent with the Enter key, keeps the first exchange above it
    page.locator("#rag-question textarea").fill("What is the capital of France?")
    page.locator("#rag-question textarea").press("Enter")
    second = page.locator(".rag-turn").nth(1).locator(".rag-card:not(.rag-pending)")
    second.wait_for(state="visible")
    assert second.get_attribute("data-state") == "abstain"
    assert second.locator(".rag-abstain").inner_text() == "The articles don\u2019t say."
    assert second.locator(".rag-sources summary").text_content() == "Nearest passages (5)"
    assert page.locator(".rag-question .rag-bubble").all_inner_texts() == [CSTO, "What is the capital of France?"]
    assert page.errors == []


def test_reports_differ_lists_every_claim_with_its_outlets(server, page):
    question = "How many security officers were killed?"
    expected = httpx.post(server.url + "/api/ask", json={"question": question}, timeout=60).json()
    assert expected["conflicts"], "the seed articles give 13, 12 and 8 officers killed"
    page.goto(server.url + "/", wait_until="domcontentloaded")
    block = ask_in(page, question).locator(".rag-differ")
    assert block.locator("h4").text_content() == "Reports differ"
    claims = block.locator(".rag-claim").all_text_contents()
    assert claims == [expected["answer"], *(c["answer"] for c in expected["conflicts"])]
    assert block.locator(".rag-claim-by").all_text_contents() == [
        "Daily Mail, citing media reports; RT", "Daily Mail, citing media reports and Russian media",
        "CNN, citing Kazakhstan\u2019s local outlet Tengrinews.kz"]


def test_chat_explains_an_overlong_question(server, page):
    page.goto(server.url + "/", wait_until="domcontentloaded")
    page.locator("#rag-question textarea").wait_for()
    card = ask_in(page, "why " * 300)
    assert card.get_attribute("data-state") == "error"
    assert page.locator(".rag-bubble").inner_text() == ("why " * 100).strip() + "\u2026"
    assert card.inner_text() == "Couldn\u2019t ask that: question is 1,199 characters; the limit is 1,000."


def test_outlet_filter_limits_sources_to_that_outlet(server, page):
    page.goto(server.url + "/", wait_until="domcontentloaded")
    page.locator("#rag-outlet input").click()
    assert page.get_by_role("option").all_inner_texts()[1:] == list(server_outlets(server))
    page.get_by_role("option", name="CNN", exact=True).click()
    card = ask_in(page, CSTO)
    assert card.locator(".rag-answer").inner_text() == "Nikol Pashinyan"
    assert set(card.locator(".rag-source .rag-outlet").all_text_contents()) == {"CNN"}


def test_widget_answers_inside_an_iframe_on_another_port(server, host_port, page):
    host = HostPage(host_port, server.url + "/widget")
    try:
        page.goto(host.url, wait_until="domcontentloaded")
        frame = page.frame_locator("#qa")
        frame.locator("#rag-question textarea").wait_for()
        card = ask_in(frame, CSTO)
        assert card.locator(".rag-answer").inner_text() == "Nikol Pashinyan"
        assert card.locator(".rag-source .rag-outlet").first.text_content() in {"CNN", "Daily Mail"}
        assert card.locator(".rag-source").count() <= 3  # the compact view keeps three sources
    finally:
        host.close()


def test_article_html_and_script_render_as_text(probe_server, page):
    page.goto(probe_server.url + "/", wait_until="domcontentloaded")
    page.locator("#rag-question textarea").wait_for()
    hostile_question = "<img src=x onerror=\"window.__pwned='question'\"> Who is the harbour master of Port Probe?"
    card = ask_in(page, hostile_question)
    second = ask_in(page, "What did the banner over the ferry terminal read?", turns_before=1)

    text = page.locator(".rag-chat").inner_text()
    assert "Marta <script>window.__pwned='quote'</script> Kowalski" in text
    assert "Council vote <img src=x onerror=\"window.__pwned='headline'\"> ends in uproar" in text
    assert "Ada <script>window.__pwned='byline'</script> Reporter" in text
    assert page.locator(".rag-outlet").first.text_content() == "Probe <b>Gazette</b>"
    assert "which read ${7*7} and {{7*7}} in large letters" in second.inner_text()
    assert page.locator(".rag-question .rag-bubble").first.inner_text() == hostile_question
    # nothing from the article became markup or ran
    assert page.locator(".rag-chat img, .rag-chat script, .rag-chat b, .rag-headline a").count() == 0
    assert page.evaluate("window.__pwned === undefined")
    assert page.dialogs == [] and page.errors == []
    assert card.get_attribute("data-state") in {"answer", "abstain"}


def test_ui_with_token_loads_from_the_link_and_answers(token_server, page):
    response = page.goto(token_server.url + "/", wait_until="domcontentloaded")
    assert response.status == 401
    assert "needs an access token" in page.locator("h1").inner_text()

    page.goto(f"{token_server.url}/?token={TOKEN}", wait_until="domcontentloaded")
    assert page.url == token_server.url + "/"  # the token left the address bar for a cookie
    page.locator("#rag-question textarea").wait_for()
    card = ask_in(page, CSTO)
    assert card.locator(".rag-answer").inner_text() == "Nikol Pashinyan"


def test_chat_and_widget_fetch_nothing_from_another_host(server, page):
    """Offline newsroom: the pages, their scripts, styles and fonts and every answer come from
    the assistant's own server; a request anywhere else (a CDN, a font service) would fail
    offline and tell a third party who is reading what."""
    from urllib.parse import urlsplit

    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    own = urlsplit(server.url).netloc
    for path in ("/", "/widget/"):
        page.goto(server.url + path, wait_until="domcontentloaded")
        page.locator("#rag-question textarea").wait_for()
        assert ask_in(page, CSTO).locator(".rag-answer").inner_text() == "Nikol Pashinyan"
    elsewhere = sorted({url for url in requested
                        if urlsplit(url).scheme not in ("data", "blob") and urlsplit(url).netloc != own})
    assert elsewhere == []
    assert len(requested) > 10  # the pages' own scripts and styles were seen
    assert page.errors == []
