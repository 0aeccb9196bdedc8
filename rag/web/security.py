"""Access control for everything the server answers: a shared-secret token, and headers.

With a token configured, every request must carry it: API clients in an
`Authorization: Bearer <token>` header, browsers once as `?token=<token>` in the address,
which is swapped for an HttpOnly cookie (and stripped from the address by a redirect, so it
does not linger in history or leak through the Referer header). Preflight requests pass
untouched: browsers never attach credentials to them, and the CORS middleware answers them.
"""
from __future__ import annotations

import hmac
import json
from urllib.parse import parse_qsl, urlencode

COOKIE = "rag_token"

_REFUSED_PAGE = b"""<!doctype html><html lang="en"><meta charset="utf-8"><title>Access token required</title>
<body style="font-family:system-ui,sans-serif;max-width:34rem;margin:4rem auto;line-height:1.5">
<h1 style="font-size:1.3rem">This newsroom assistant needs an access token</h1>
<p>Open the link your newsroom gave you: it ends in <code>?token=...</code>.</p></body></html>"""


def _headers(scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}


def _cookie(header: str, name: str) -> str | None:
    for part in header.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value
    return None


class TokenGate:
    """ASGI middleware that refuses (401) any request not carrying the shared token."""

    def __init__(self, app, token: str) -> None:
        if not token:
            raise ValueError("token must be a non-empty string")
        self.app = app
        self._token = token.encode()

    def _matches(self, candidate: str | None) -> bool:
        # compare_digest keeps the comparison time independent of where a guess goes wrong
        return candidate is not None and hmac.compare_digest(candidate.encode(), self._token)

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        headers = _headers(scope)
        if scope["type"] == "http" and scope["method"] == "OPTIONS" and "access-control-request-method" in headers:
            return await self.app(scope, receive, send)
        auth = headers.get("authorization", "")
        bearer = auth[7:].strip() if auth[:7].lower() == "bearer " else None
        if self._matches(bearer) or self._matches(_cookie(headers.get("cookie", ""), COOKIE)):
            return await self.app(scope, receive, send)
        query = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        offered = [value for key, value in query if key == "token"]
        if scope["type"] == "http" and offered and self._matches(offered[-1]):
            return await self._set_cookie_and_redirect(scope, query, send)
        if scope["type"] == "websocket":
            return await send({"type": "websocket.close", "code": 1008})
        await self._refuse(scope, headers, send)

    async def _set_cookie_and_redirect(self, scope, query, send) -> None:
        rest = urlencode([(k, v) for k, v in query if k != "token"])
        location = (scope.get("root_path", "") + scope["path"]) + (f"?{rest}" if rest else "")
        secure = scope.get("scheme") == "https"
        # Lax keeps the cookie within one site (another port of the same host counts); over
        # HTTPS, None lets the widget keep its cookie inside an intranet page on another site.
        same_site = "None; Secure" if secure else "Lax"
        cookie = f"{COOKIE}={self._token.decode()}; Path=/; HttpOnly; SameSite={same_site}"
        await send({"type": "http.response.start", "status": 303,
                    "headers": [(b"location", location.encode("latin-1")),
                                (b"set-cookie", cookie.encode("latin-1")),
                                (b"cache-control", b"no-store"), (b"content-length", b"0")]})
        await send({"type": "http.response.body", "body": b""})

    async def _refuse(self, scope, headers, send) -> None:
        wants_page = scope["method"] == "GET" and "text/html" in headers.get("accept", "")
        if wants_page and not scope["path"].startswith("/api/"):
            body, kind = _REFUSED_PAGE, b"text/html; charset=utf-8"
        else:
            body = json.dumps({"error": "missing or wrong access token; send 'Authorization: Bearer <token>'"}).encode()
            kind = b"application/json"
        await send({"type": "http.response.start", "status": 401,
                    "headers": [(b"content-type", kind), (b"content-length", str(len(body)).encode()),
                                (b"www-authenticate", b'Bearer realm="rag"'), (b"cache-control", b"no-store")]})
        await send({"type": "http.response.body", "body": body})


class SecurityHeaders:
    """ASGI middleware adding headers that limit what a page may do and who may frame it."""

    def __init__(self, app, frame_ancestors: list[str]) -> None:
        self.app = app
        ancestors = " ".join(["'self'", *frame_ancestors]) if "*" not in frame_ancestors else "*"
        self._extra = [
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"no-referrer"),
            # Only the configured origins may put the chat or the widget in an iframe.
            (b"content-security-policy", f"frame-ancestors {ancestors}".encode("latin-1")),
        ]

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with_headers(message) -> None:
            if message["type"] == "http.response.start":
                names = {k.lower() for k, _ in message.get("headers", [])}
                message = dict(message, headers=[*message.get("headers", []),
                                                 *[(k, v) for k, v in self._extra if k not in names]])
            await send(message)

        await self.app(scope, receive, send_with_headers)


# Gradio routes this app never uses: file upload and file serving, media streams, the
# URL proxy, monitoring, profiling, run history, in-browser code editing and the REST client
# API. Uploads would let anyone store files on the server and have them served back from
# our origin, so these answer 404 before Gradio sees them.
_UNUSED_GRADIO = ("upload", "upload_progress", "file=", "file/", "proxy=", "stream/", "process_recording",
                  "profiling/", "run-history/", "runs", "vibe-code", "undo-vibe-edit", "dev/",
                  "custom_component/", "call/")


def unused_gradio_route(path: str, mounts: tuple[str, ...] = ("", "/widget")) -> bool:
    """Whether `path` is one of Gradio's routes that this app does not need, under any mount."""
    for mount in mounts:
        if path == f"{mount}/monitoring" or path.startswith(f"{mount}/monitoring/"):
            return True
        prefix = f"{mount}/gradio_api/"
        if path.startswith(prefix) and path[len(prefix):].startswith(_UNUSED_GRADIO):
            return True
    return False


class RouteBlock:
    """ASGI middleware answering 404 for the Gradio routes in `unused_gradio_route`."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http" and unused_gradio_route(scope["path"]):
            body = b'{"error": "not found"}'
            await send({"type": "http.response.start", "status": 404,
                        "headers": [(b"content-type", b"application/json"),
                                    (b"content-length", str(len(body)).encode())]})
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send)
