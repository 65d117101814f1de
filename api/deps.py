"""Dependencies: the app state and role checks on bearer tokens."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.guard import authenticate
from api.state import AppState
from rating.tokens import TokenRecord

bearer = HTTPBearer(auto_error=False, description="A token from `rating token create --role …`.")


def get_state(request: Request) -> AppState:
    """The app's `AppState` (settings, the warehouse's connections, the public snapshot), as a
    FastAPI dependency."""
    state: AppState = request.app.state.rating
    return state


def require(role: str) -> Callable[..., TokenRecord]:
    """A dependency that answers the caller's token record when its role is `role` (bureau or
    auditor); raises `AuthError` 401 `UNAUTHORIZED` without a valid bearer token and
    `ForbiddenError` 403 `FORBIDDEN` for another role's token."""

    def checker(
        credentials: HTTPAuthorizationCredentials | None = Depends(bearer),
        state: AppState = Depends(get_state),
    ) -> TokenRecord:
        # The guard (api.guard) already refused a bad token before the body was read; this
        # checks it again for the route and documents the scheme in OpenAPI.
        header = f"{credentials.scheme} {credentials.credentials}" if credentials else None
        return authenticate(state, header, role)

    return checker
