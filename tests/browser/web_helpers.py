"""Shared pieces of the web tests: Chromium settings, a live uvicorn server, a host page."""
from __future__ import annotations

import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
TOKEN = "s3cret-newsroom-token"
ARTIFACTS = REPO / "artifacts"

PROBE_ARTICLE = """---
title: Council vote <img src=x onerror="window.__pwned='headline'"> ends in uproar
outlet: Probe <b>Gazette</b>
byline: Ada <script>window.__pwned='byline'</script> Reporter
date: 2026-11-20
url: javascript:window.__pwned='url'
---
The harbour master of Port Probe is Marta <script>window.__pwned='quote'</script> Kowalski, the council said on Tuesday.

Residents saw the banner <img src=x onerror="window.__pwned='img'"> hanging over the ferry terminal, which read ${7*7} and {{7*7}} in large letters.

The ferry to the island leaves every morning at six and returns before dark, weather permitting.
"""


def free_port() -> int:
    """A port that was free a moment ago on loopback."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LiveServer:
    """An ASGI app served by uvicorn on a background thread."""

    def __init__(self, app, port: int | None = None) -> None:
        import uvicorn

        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> "LiveServer":
        self.thread.start()
        deadline = time.monotonic() + 60
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"server on port {self.port} did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


class HostPage:
    """A static page on its own port that frames the widget, as an intranet page would."""

    def __init__(self, port: int, widget_url: str) -> None:
        body = (f"<!doctype html><html><head><title>Intranet</title></head><body style='font-family:sans-serif'>"
                f"<h1>Newsroom intranet</h1><p>Ask our archive:</p>"
                f"<iframe id='qa' src='{widget_url}' width='420' height='560' style='border:1px solid #ccc'>"
                f"</iframe></body></html>").encode()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's naming)
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.url = f"http://127.0.0.1:{port}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
