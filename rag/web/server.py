"""Assemble one ASGI app: the JSON API, the widget at /widget and the chat at /."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse
from fastapi.middleware.cors import CORSMiddleware

from .api import install_api
from .security import RouteBlock, SecurityHeaders, TokenGate
from .service import AskService, AssistantLike
from .style import CHAT_CSS, WIDGET_CSS

_TOKEN = re.compile(r"[A-Za-z0-9._~-]{12,}")
# At most this many users wait in each page's Gradio queue; more get "queue full" at once.
QUEUE_MAX = 64


@dataclass(frozen=True)
class WebConfig:
    """How the server is reached and who may use it."""

    host: str = "127.0.0.1"
    port: int = 7860
    token: str | None = None  # shared secret; None serves everyone who can reach the port
    allowed_origins: tuple[str, ...] = ()  # CORS origins and iframe hosts; "*" for any
    wait_s: float = 30.0  # longest a request waits for the assistant before a 503
    blocked_paths: tuple[Path, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if self.token is not None and not _TOKEN.fullmatch(self.token):
            # The token travels in a cookie and a URL: keep it to characters both carry as is.
            # The message gives the length, never the secret itself.
            raise ValueError(f"token must be at least 12 characters from A-Z a-z 0-9 - . _ ~ "
                             f"(got {len(self.token)} characters, not shown)")
        if not 0 < self.port < 65536:
            raise ValueError(f"port must be in 1..65535, got {self.port}")
        for origin in self.allowed_origins:
            if origin != "*" and not origin.startswith(("http://", "https://")):
                raise ValueError(f"allowed origin must start with http:// or https://, got {origin!r}")


def parse_origins(text: str | None) -> tuple[str, ...]:
    """Origins from a comma- or space-separated list, trailing slashes dropped."""
    return tuple(part.rstrip("/") for part in (text or "").replace(",", " ").split() if part)


def _theme(gr):
    # System fonts: nothing to fetch, and they render the same in the chat and the widget.
    fonts = ["system-ui", "-apple-system", "Segoe UI", "Roboto", "Helvetica Neue", "Liberation Sans",
             "Arial", "sans-serif"]
    return gr.themes.Default(primary_hue="blue", radius_size="md", font=fonts)


def create_app(assistant: AssistantLike, config: WebConfig) -> FastAPI:
    """The whole server as one FastAPI app, ready for uvicorn."""
    import gradio as gr  # heavy; only servers pay for it

    from .ui import chat_blocks, widget_blocks

    service = AskService(assistant, wait_s=config.wait_s)
    # No /docs, /redoc or /openapi.json: the README documents the API, and the server
    # exposes nothing it does not need.
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    install_api(app, service)

    @app.get("/widget", include_in_schema=False)
    def widget_slash(request: Request) -> RedirectResponse:
        # Gradio's mount answers only below "/widget/"; the embed snippet may omit the slash.
        query = request.url.query
        return RedirectResponse("/widget/" + (f"?{query}" if query else ""), status_code=307)

    # Gradio only serves files it created or was told to; block our folders anyway so a
    # future setting cannot expose the seeds, the index or the code.
    blocked = [str(Path(p).resolve()) for p in (*config.blocked_paths, Path.cwd())]
    no_docs = {"docs_url": None, "redoc_url": None, "openapi_url": None}
    # "/widget" first: a mount at "/" would catch its paths.
    pages = (("/widget", widget_blocks(service), WIDGET_CSS), ("/", chat_blocks(service), CHAT_CSS))
    for path, blocks, css in pages:
        # One question at a time per page; the service's lock serialises the pages and the API.
        blocks.queue(default_concurrency_limit=1, max_size=QUEUE_MAX)
        gr.mount_gradio_app(app, blocks, path=path, server_name=config.host, server_port=config.port,
                            footer_links=[], run_history=False, ssr_mode=False, mcp_server=False, pwa=False,
                            show_error=False, blocked_paths=blocked, app_kwargs=no_docs, css=css,
                            theme=_theme(gr))
    # Added last so they run first: security headers wrap every response (401s included),
    # CORS answers preflights before the token gate, the gate guards everything below it,
    # and Gradio routes the app does not use are closed.
    app.add_middleware(RouteBlock)
    if config.token:
        app.add_middleware(TokenGate, token=config.token)
    app.add_middleware(CORSMiddleware, allow_origins=list(config.allowed_origins),
                       allow_methods=["GET", "POST"], allow_headers=["Authorization", "Content-Type"], max_age=600)
    app.add_middleware(SecurityHeaders, frame_ancestors=list(config.allowed_origins))
    return app
