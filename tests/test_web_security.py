"""Server settings and the routes the server closes (no server started)."""
from __future__ import annotations

import re

import pytest

from rag.web.security import unused_gradio_route
from rag.web.server import WebConfig, parse_origins


def test_origins_parse_and_config_rejects_bad_values():
    assert parse_origins("https://a.example/, http://b.example:8080  https://c.example") == (
        "https://a.example", "http://b.example:8080", "https://c.example")
    assert parse_origins(None) == ()
    with pytest.raises(ValueError, match="allowed origin must start with http:// or https://, got 'a.example'"):
        WebConfig(allowed_origins=("a.example",))
    with pytest.raises(ValueError, match=re.escape("token must be at least 12 characters from A-Z a-z 0-9 - . _ ~ (got 9 characters, not shown)")):
        WebConfig(token="short;one")
    assert WebConfig(token="s3cret-newsroom-token").token == "s3cret-newsroom-token"
    with pytest.raises(ValueError, match="port must be in 1..65535, got 70000"):
        WebConfig(port=70000)


@pytest.mark.parametrize("path, blocked", [
    ("/gradio_api/queue/join", False), ("/widget/gradio_api/queue/data", False),
    ("/gradio_api/run/predict", False), ("/gradio_api/heartbeat/abc", False), ("/config", False),
    ("/assets/index.js", False), ("/widget/", False), ("/api/ask", False),
    ("/gradio_api/upload", True), ("/widget/gradio_api/upload_progress", True),
    ("/gradio_api/file=/etc/passwd", True), ("/gradio_api/proxy=http://x/", True),
    ("/gradio_api/runs", True), ("/monitoring", True), ("/widget/monitoring/summary", True),
    ("/gradio_api/call/ask", True), ("/gradio_api/stream/1/close", True),
])
def test_unused_gradio_routes_are_closed(path, blocked):
    assert unused_gradio_route(path) is blocked
