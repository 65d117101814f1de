"""Dependencies: the app state, the rate limit, and role checks on bearer tokens."""

from __future__ import annotations

import math
from collections.abc import Callable

from fastapi import Depends, Request
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.types import ASGIApp, Receive, Scope, Send

from api.errors import is_page
from api.render import page
from api.state import AppState
from rating.errors import AuthError, ForbiddenError, RatingError
from rating.tokens import TokenRecord, check

bearer = HTTPBearer(auto_error=False, description="A token from `rating token create --role …`.")


class RateLimited(RatingError):
    code = "RATE_LIMITED"
    status = 429


def get_state(request: Request) -> AppState:
    state: AppState = request.app.state.rating
    return state


class RateLimit:
    """Per-client rate limit for the public endpoints and pages, as plain ASGI middleware.

    Done outside FastAPI's dependency system so that it costs the public lookup (the hottest
    path) next to nothing; bureau and audit endpoints, health and the schema are not limited.
    """

    LIMITED = ("/v1/public/", "/companies/", "/compounds/", "/lists/", "/grades")

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    def _limited(self, path: str) -> bool:
        return path == "/" or path.startswith(self.LIMITED)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self._limited(scope["path"]):
            state: AppState = scope["app"].state.rating
            if state.settings.rate_limit > 0:
                client = scope["client"][0] if scope.get("client") else "unknown"
                wait = state.buckets.take(client)
                if wait > 0:
                    seconds = math.ceil(wait)
                    body = RateLimited(f"too many requests: try again in {seconds} s").as_dict()
                    headers = {"Retry-After": str(seconds)}
                    response: Response = JSONResponse(body, status_code=429, headers=headers)
                    if is_page(scope["path"]):  # the same page design as every other error
                        response = page(
                            Request(scope),
                            "error.html",
                            {"status": 429, "error": body["error"]},
                            429,
                            headers,
                        )
                    await response(scope, receive, send)
                    return
        await self.app(scope, receive, send)


def require(role: str) -> Callable[..., TokenRecord]:
    def checker(
        credentials: HTTPAuthorizationCredentials | None = Depends(bearer),
        state: AppState = Depends(get_state),
    ) -> TokenRecord:
        if credentials is None or credentials.scheme.lower() != "bearer":
            raise AuthError(
                "this endpoint needs a token: Authorization: Bearer …", code="UNAUTHORIZED"
            )
        record = check(state.token_records(), credentials.credentials)
        if record.role != role:
            raise ForbiddenError(
                f"a '{record.role}' token cannot use '{role}' endpoints", code="FORBIDDEN"
            )
        return record

    return checker
