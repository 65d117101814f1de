"""Dependencies: the app state, the rate limit, and role checks on bearer tokens."""

from __future__ import annotations

import math
from collections.abc import Callable

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

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


def rate_limit(request: Request, state: AppState = Depends(get_state)) -> None:
    if state.settings.rate_limit <= 0:
        return
    client = request.client.host if request.client else "unknown"
    wait = state.buckets.take(client)
    if wait > 0:
        raise RateLimited(
            f"too many requests: try again in {math.ceil(wait)} s",
            details={"retry_after": math.ceil(wait)},
        )


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
