"""The JSON API: `POST /api/ask` returns the contract of DESIGN.md, `GET /api/health` the index."""
from __future__ import annotations

import logging

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from ..pipeline import DEFAULT_K
from .service import AskService, Busy

log = logging.getLogger(__name__)
MAX_K = 50
MAX_BODY_BYTES = 16_384  # a 1,000-character question in JSON fits many times over


class AskRequest(BaseModel):
    """Body of `POST /api/ask`."""

    question: str
    k: int = Field(DEFAULT_K, ge=1, le=MAX_K)
    outlet: str | None = None


def error(status: int, message: str, **extra) -> JSONResponse:
    """A JSON error body `{"error": message}` with the given status."""
    return JSONResponse({"error": message, **extra}, status_code=status)


def api_router(service: AskService) -> APIRouter:
    """Routes under /api, bound to one service."""
    router = APIRouter(prefix="/api")

    @router.post("/ask")
    def ask(body: AskRequest):
        # A plain `def`: FastAPI runs it on a worker thread, so a long wait for the
        # service's lock never blocks the event loop that serves the UI.
        try:
            return service.ask(body.question, k=body.k, outlet=body.outlet)
        except Busy as exc:
            return JSONResponse({"error": str(exc)}, status_code=503, headers={"Retry-After": "5"})
        except ValueError as exc:  # QuestionError, UnknownOutlet, bad k: messages fit for users
            return error(400, str(exc))

    @router.get("/health")
    def health():
        return {"status": "ok", **service.health()}

    return router


class _TooLarge(Exception):
    """Raised inside BodyLimit when a streamed body passes the limit."""


class BodyLimit:
    """ASGI middleware refusing (413) API request bodies over `limit` bytes, declared or streamed."""

    def __init__(self, app, limit: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/api/"):
            return await self.app(scope, receive, send)
        declared = dict(scope.get("headers", [])).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.limit:
            return await self._refuse(send, int(declared))
        received = 0

        async def counted():
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.limit:
                raise _TooLarge()
            return message

        try:
            await self.app(scope, counted, send)
        except _TooLarge:
            await self._refuse(send, received)

    async def _refuse(self, send, size: int) -> None:
        response = error(413, f"request body is {size:,} bytes or more; the limit is {self.limit:,}")
        await send({"type": "http.response.start", "status": 413, "headers": response.raw_headers})
        await send({"type": "http.response.body", "body": response.body})


def install_api(app: FastAPI, service: AskService) -> None:
    """Add the API routes, the body limit and JSON error handling to `app`."""
    app.add_middleware(BodyLimit)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError):
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'] if p != 'body')}: {e['msg']}"
                             for e in exc.errors())
        return error(422, f"invalid request: {problems}")

    @app.exception_handler(Exception)
    async def failed(request: Request, exc: Exception):
        log.error("%s %s failed", request.method, request.url.path, exc_info=exc)
        return error(500, "internal error; the details are in the server log")

    app.include_router(api_router(service))
