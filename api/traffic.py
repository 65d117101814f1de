"""Traffic: who the client is (behind trusted proxies only), the public rate limit, and the
access log.

* Client address: the connection's peer. `X-Forwarded-For` is believed only from the proxies
  listed in `RATING_TRUSTED_PROXIES` (IPs or CIDRs; default none), through uvicorn's
  `ProxyHeadersMiddleware`, so a client cannot pick its own address by sending the header.
* Rate limit (`RATING_RATE_LIMIT` a minute per client on the public API and pages): the
  `limits` library's sliding-window counter over its in-memory storage, whose entries expire
  with their window, so memory stays bounded by the clients of the last minute (IPv6 clients
  count per /64, the block one subscriber holds). Every limited answer carries
  `RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset` and `RateLimit-Policy`
  (IETF draft "RateLimit header fields for HTTP"); a refusal is 429 with `Retry-After`.
* Access log: one line per request in the Combined Log Format (Apache/NGINX `combined`) on
  the `rating.access` logger; the user field is the token id, never the token.
"""

from __future__ import annotations

import ipaddress
import logging
import math
import time
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse
from limits import RateLimitItemPerSecond
from limits.storage import MemoryStorage
from limits.strategies import SlidingWindowCounterRateLimiter
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import is_page, localize
from api.guard import request_id
from api.render import page
from rating.errors import RatingError

access_log = logging.getLogger("rating.access")
# The public API and the resident's pages (the search page is "/"); bureau, audit, health and
# the schema are not limited.
LIMITED = ("/v1/public/", "/companies/", "/compounds/", "/lists/", "/grades")


class RateLimited(RatingError):
    code = "RATE_LIMITED"
    status = 429


@dataclass
class Limiter:
    """`per_minute` requests per client over a sliding window (a minute; shorter in tests)."""

    per_minute: int
    window_seconds: int = 60
    item: RateLimitItemPerSecond = field(init=False)
    strategy: SlidingWindowCounterRateLimiter = field(init=False)

    def __post_init__(self) -> None:
        self.item = RateLimitItemPerSecond(self.per_minute, self.window_seconds)
        self.strategy = SlidingWindowCounterRateLimiter(MemoryStorage())

    def hit(self, client: str) -> tuple[bool, int, int]:
        """(allowed, requests left in the window, seconds until the window resets)."""
        allowed = self.strategy.hit(self.item, client)
        stats = self.strategy.get_window_stats(self.item, client)
        return allowed, max(0, stats.remaining), max(1, math.ceil(stats.reset_time - time.time()))


def client_key(scope: Scope) -> str:
    """The client's address; IPv6 addresses by their /64."""
    host = scope["client"][0] if scope.get("client") else "unknown"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def refusal(scope: Scope, exc: RatingError, headers: dict[str, str]) -> Any:
    """JSON for the API, the error page (same design as the others) for a public page."""
    body = exc.as_dict()
    body["error"]["request_id"] = request_id(scope)
    if not is_page(scope["path"]):
        return JSONResponse(localize(Request(scope), body), exc.status, headers)
    context = {"status": exc.status, "error": body["error"]}
    return page(Request(scope), "error.html", context, exc.status, headers)


class RateLimit:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        limiter = scope["app"].state.rating.limiter if scope["type"] == "http" else None
        if limiter is None or not (path == "/" or path.startswith(LIMITED)):
            await self.app(scope, receive, send)
            return
        allowed, left, reset = limiter.hit(client_key(scope))
        headers = {
            "RateLimit-Limit": str(limiter.per_minute),
            "RateLimit-Remaining": str(left),
            "RateLimit-Reset": str(reset),
            "RateLimit-Policy": f"{limiter.per_minute};w=60",
        }
        if not allowed:
            refused = RateLimited(
                f"too many requests: try again in {reset} s", details={"retry_after": reset}
            )
            response = refusal(scope, refused, {**headers, "Retry-After": str(reset)})
            await response(scope, receive, send)
            return
        extra = [(k.lower().encode(), v.encode()) for k, v in headers.items()]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)


class AccessLog:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status, size = 500, 0

        async def counting(message: Message) -> None:
            nonlocal status, size
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                size += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, counting)
        finally:
            access_log.info(combined_line(scope, status, size))


def combined_line(scope: Scope, status: int, size: int) -> str:
    """`host - user [time] "request" status bytes "referer" "user-agent"` (Combined Log Format)."""
    headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
    host = scope["client"][0] if scope.get("client") else "-"
    user = scope.get("state", {}).get("token_id") or "-"
    target = scope.get("raw_path", scope["path"].encode()).decode("latin-1")
    if scope.get("query_string"):
        target += "?" + scope["query_string"].decode("latin-1")
    request = f"{scope['method']} {target} HTTP/{scope.get('http_version', '1.1')}"
    stamp = time.strftime("%d/%b/%Y:%H:%M:%S %z")

    def quoted(text: str) -> str:
        return text.replace("\\", "\\\\").replace('"', '\\"')

    return (
        f'{host} - {user} [{stamp}] "{quoted(request)}" {status} {size or "-"} '
        f'"{quoted(headers.get("referer", "-"))}" "{quoted(headers.get("user-agent", "-"))}"'
    )
