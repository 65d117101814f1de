"""HTTP for a public service: validators and caching on cards and lists, CORS for embedding.

* Every public answer carries a strong `ETag` (sha256 of its body) and `Cache-Control`:
  `public, max-age=<RATING_PUBLIC_MAX_AGE>` for today's answers, and `public, max-age=31536000,
  immutable` for a past `as_of` (what was visible on a past day never changes: the ledger only
  grows). A request with a matching `If-None-Match` is answered `304 Not Modified`.
* CORS (`RATING_CORS_ORIGINS`) applies to `/v1/public/` only: other government sites may embed
  the lookup; the bureau and audit endpoints are never offered to other origins.
"""

from __future__ import annotations

import hashlib
from datetime import date

from fastapi import Request
from fastapi.responses import Response
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

IMMUTABLE = "public, max-age=31536000, immutable"
PUBLIC_PREFIX = "/v1/public/"


def etag_of(body: bytes) -> str:
    """A strong ETag for a response body: the first 32 hex digits of its SHA-256, quoted (RFC 9110
    §8.8.3)."""
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def cache_control(as_of: date | None, today: date, max_age: int) -> str:
    """The Cache-Control value of a public answer: `immutable` for a past `as_of` (what was visible
    on a past day never changes), else public for `max_age` seconds."""
    return IMMUTABLE if as_of is not None and as_of < today else f"public, max-age={max_age}"


def cached(
    request: Request,
    body: bytes,
    media_type: str,
    cache: str,
    headers: dict[str, str] | None = None,
) -> Response:
    """`body` with its ETag and Cache-Control, or 304 when the client holds it already."""
    etag = etag_of(body)
    common = {"ETag": etag, "Cache-Control": cache, "Vary": "Accept-Encoding"}
    held = request.headers.get("if-none-match", "")
    if held and (held.strip() == "*" or etag in [t.strip() for t in held.split(",")]):
        return Response(status_code=304, headers=common)
    return Response(content=body, media_type=media_type, headers={**common, **(headers or {})})


class PublicCORS(CORSMiddleware):
    """Starlette's CORS middleware, for the public API's paths only."""

    def __init__(self, app: ASGIApp, origins: list[str]) -> None:
        super().__init__(
            app,
            allow_origins=origins,
            allow_methods=["GET", "HEAD", "OPTIONS"],
            allow_headers=["If-None-Match", "Accept", "Accept-Language"],
            expose_headers=["ETag", "Cache-Control", "Retry-After"],
            max_age=600,
        )
        self.inner = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(PUBLIC_PREFIX):
            await super().__call__(scope, receive, send)
        else:
            await self.inner(scope, receive, send)
