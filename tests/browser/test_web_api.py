"""The JSON API, CORS, the token gate and what the server refuses to serve, over real HTTP."""
from __future__ import annotations

import json

import httpx
import pytest

from web_helpers import REPO, TOKEN

CONTRACT = {"question", "answer", "sentence", "confidence", "citations", "conflicts"}
CITATION = {"outlet", "headline", "byline", "date", "article_id", "quote", "start", "end", "score",
            "via", "url", "answer_start", "answer_end", "attributed_to"}


@pytest.fixture(scope="module")
def client(server):
    with httpx.Client(base_url=server.url, timeout=60) as http:
        yield http


def test_ask_returns_the_contract_and_the_same_answer_as_the_pipeline(client, web_assistant):
    response = client.post("/api/ask", json={"question": "Who chairs the CSTO?", "k": 5})
    assert response.status_code == 200
    body = response.json()
    assert CONTRACT <= set(body)  # extra keys are allowed by the contract
    assert body["answer"] == "Nikol Pashinyan"
    first = body["citations"][0]
    assert CITATION <= set(first)
    assert first["outlet"] in {"CNN", "Daily Mail"}
    assert "Nikol Pashinyan" in first["quote"]
    assert 0.0 <= body["confidence"] <= 1.0
    article = web_assistant.index.articles[first["article_id"]]
    assert article.text[first["start"]:first["end"]] == first["quote"]  # the quote is verbatim
    # one pipeline everywhere: the API gives what the Python API gives, as JSON
    assert body == json.loads(json.dumps(web_assistant.ask("Who chairs the CSTO?", k=5).to_dict()))


def test_ask_abstains_with_the_nearest_passages(client):
    body = client.post("/api/ask", json={"question": "What is the capital of France?"}).json()
    assert body["answer"] is None and body["sentence"] is None
    assert len(body["citations"]) == 5  # k defaults to 5: the nearest passages are still shown


def test_outlet_filter_keeps_to_that_outlet(client):
    body = client.post("/api/ask", json={"question": "Who chairs the CSTO?", "outlet": "cnn"}).json()
    assert body["answer"] == "Nikol Pashinyan"
    assert {c["outlet"] for c in body["citations"]} == {"CNN"}


@pytest.mark.parametrize("payload, status, message", [
    ({"question": "x" * 1001}, 400, "question is 1,001 characters; the limit is 1,000"),
    ({"question": "   "}, 400, "question is empty"),
    ({"question": "Who?", "outlet": "Nowhere Gazette"}, 400, "unknown outlet 'Nowhere Gazette'"),
    ({"question": "Who?", "k": 0}, 422, "invalid request: k: Input should be greater than or equal to 1"),
    ({"k": 3}, 422, "invalid request: question: Field required"),
    ({"question": 42}, 422, "invalid request: question: Input should be a valid string"),
])
def test_bad_requests_get_a_json_error_naming_the_problem(client, payload, status, message):
    response = client.post("/api/ask", json=payload)
    assert response.status_code == status
    assert response.json()["error"].startswith(message)


def test_oversized_body_is_refused_before_parsing(client):
    response = client.post("/api/ask", content=b'{"question": "' + b"a" * 20_000 + b'"}',
                           headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert response.json()["error"] == "request body is 20,016 bytes or more; the limit is 16,384"


def test_health_reports_the_index(client, web_assistant):
    body = client.get("/api/health").json()
    assert body == {"status": "ok", **web_assistant.health()}
    assert body["articles"] == 5
    assert body["model"] == web_assistant.embedder.name


def test_cors_allows_only_the_configured_origin(client, host_port):
    allowed = f"http://127.0.0.1:{host_port}"
    preflight = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}
    ok = client.options("/api/ask", headers={"Origin": allowed, **preflight})
    assert ok.status_code == 200 and ok.headers["access-control-allow-origin"] == allowed
    other = client.options("/api/ask", headers={"Origin": "http://evil.example", **preflight})
    assert other.status_code == 400 and "access-control-allow-origin" not in other.headers
    simple = client.get("/api/health", headers={"Origin": "http://evil.example"})
    assert "access-control-allow-origin" not in simple.headers


def test_only_configured_hosts_may_frame_the_pages(client, host_port):
    for path in ("/", "/widget/", "/api/health"):
        assert client.get(path).headers["content-security-policy"] == \
            f"frame-ancestors 'self' http://127.0.0.1:{host_port}"


def test_widget_path_without_slash_redirects_keeping_the_query(client):
    response = client.get("/widget?token=abc")
    assert response.status_code == 307 and response.headers["location"] == "/widget/?token=abc"


@pytest.mark.parametrize("path", [
    f"/gradio_api/file={REPO / 'pyproject.toml'}", "/gradio_api/file=pyproject.toml",
    "/gradio_api/file=/etc/passwd", f"/widget/gradio_api/file={REPO / 'app.py'}",
    "/file=pyproject.toml", "/docs", "/openapi.json", "/widget/openapi.json", "/seeds/outlets.toml",
    "/gradio_api/proxy=http://example.com/", "/monitoring", "/gradio_api/upload_progress",
])
def test_no_project_files_or_api_docs_are_served(client, path):
    response = client.get(path)
    assert response.status_code in {403, 404}
    assert "[project]" not in response.text and "openapi" not in response.text


def test_uploads_are_refused_so_nothing_can_be_stored_and_served_back(client):
    for path in ("/gradio_api/upload", "/widget/gradio_api/upload"):
        response = client.post(path, files={"files": ("x.html", b"<script>alert(1)</script>", "text/html")})
        assert response.status_code == 404 and response.json() == {"error": "not found"}


def test_token_gate_refuses_requests_without_the_token(token_server):
    with httpx.Client(base_url=token_server.url, timeout=60) as http:
        ask = {"question": "Who chairs the CSTO?"}
        for response in (http.get("/api/health"), http.post("/api/ask", json=ask),
                         http.get("/api/health", headers={"Authorization": "Bearer wrong"}),
                         http.get("/gradio_api/info"), http.get("/widget/gradio_api/info"),
                         http.get("/config"), http.get("/?token=wrong")):
            assert response.status_code == 401, response.request.url
        page = http.get("/", headers={"Accept": "text/html"})
        assert page.status_code == 401 and "needs an access token" in page.text
        assert http.post("/api/ask", json=ask).json()["error"].startswith("missing or wrong access token")

        bearer = {"Authorization": f"Bearer {TOKEN}"}
        assert http.post("/api/ask", json=ask, headers=bearer).json()["answer"] == "Nikol Pashinyan"
        assert http.get("/api/health", headers=bearer).status_code == 200

        link = http.get(f"/widget/?token={TOKEN}&lang=en")
        assert link.status_code == 303 and link.headers["location"] == "/widget/?lang=en"
        assert "HttpOnly" in link.headers["set-cookie"] and "SameSite=Lax" in link.headers["set-cookie"]
        assert http.get("/widget/").status_code == 200  # the client now holds the cookie
