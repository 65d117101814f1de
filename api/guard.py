"""The gate every request passes before the app reads its body.

* A request id (`X-Request-ID` on every response; errors show it, the server log keys on it).
* Bureau and audit paths: the bearer token is checked from the headers alone, so an
  anonymous upload is refused before one byte of its body is read (FastAPI would parse a
  form or JSON body before running the route's dependencies).
* Body size: refused on `Content-Length` before reading, and while streaming (chunked
  uploads have no length) the moment the limit is passed — 1 MiB for JSON bodies,
  `RATING_MAX_UPLOAD_MB` for an export upload.
* Uploads at the same time: at most `RATING_MAX_UPLOADS`; more answer 503 with Retry-After.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.state import AppState
from rating.errors import AuthError, ForbiddenError, LimitError, RatingError
from rating.tokens import TokenRecord, check

JSON_BODY_LIMIT = 1 << 20
UPLOAD_PREFIX = "/v1/bureau/ingest/"
ROLES = {"/v1/bureau/": "bureau", "/v1/audit/": "auditor"}
BUSY_RETRY_SECONDS = 30


class BodyTooLarge(HTTPException):
    """Raised from `receive` once a body passes its limit; FastAPI lets HTTPException through
    its body parsing, so the answer is a 413 with our code, not a 400."""

    def __init__(self, limit: int, upload: bool) -> None:
        what = f"the file is larger than {limit >> 20} MiB" if upload else "the body is too large"
        super().__init__(413, what)
        self.code = "UPLOAD_TOO_LARGE" if upload else "BODY_TOO_LARGE"


class UploadsBusy(RatingError):
    code = "UPLOADS_BUSY"
    status = 503


def authenticate(state: AppState, authorization: str | None, role: str) -> TokenRecord:
    """The token record of `Authorization: Bearer …` for `role`; AuthError / ForbiddenError."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthError("this endpoint needs a token: Authorization: Bearer …", code="UNAUTHORIZED")
    record = check(state.token_records(), token.strip())
    if record.role != role:
        raise ForbiddenError(
            f"a '{record.role}' token cannot use '{role}' endpoints", code="FORBIDDEN"
        )
    return record


def request_id(scope: Scope) -> str:
    """The id the guard gave this request (echoed in `X-Request-ID` and every error body); empty
    before the guard ran."""
    return str(scope.get("state", {}).get("request_id", ""))


def error_response(scope: Scope, exc: RatingError, headers: dict[str, str] | None = None) -> Any:
    """The one error shape (`rating.errors.ErrorDocument`) as a JSON response with the request's
    id, for errors the guard raises before a route runs (token, size, rate); 401 answers carry
    `WWW-Authenticate: Bearer`."""
    body = exc.as_dict()
    body["error"]["request_id"] = request_id(scope)
    extra = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else {}
    return JSONResponse(body, status_code=exc.status, headers={**extra, **(headers or {})})


class Guard:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = uuid.uuid4().hex[:16]
        scope.setdefault("state", {})["request_id"] = rid

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", rid.encode())]
            await send(message)

        state: AppState = scope["app"].state.rating
        refusal = self._refusal(scope, state)
        if refusal is not None:
            await refusal(scope, receive, send_with_id)
            return
        upload = scope["path"].startswith(UPLOAD_PREFIX) and scope["method"] == "POST"
        limit = state.settings.max_upload_mb << 20 if upload else JSON_BODY_LIMIT
        if not upload:
            await self.app(scope, _limited(receive, limit, upload), send_with_id)
            return
        if state.uploads >= state.settings.max_uploads:
            busy = UploadsBusy(
                f"{state.uploads} uploads are being read: try again in {BUSY_RETRY_SECONDS} s"
            )
            headers = {"Retry-After": str(BUSY_RETRY_SECONDS)}
            await error_response(scope, busy, headers)(scope, receive, send_with_id)
            return
        state.uploads += 1
        try:
            await self.app(scope, _limited(receive, limit, upload), send_with_id)
        finally:
            state.uploads -= 1

    def _refusal(self, scope: Scope, state: AppState) -> Any:
        """An error response for a request refused on its headers alone, else None."""
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        path = scope["path"]
        role = next((r for prefix, r in ROLES.items() if path.startswith(prefix)), None)
        if role is not None and not state.public_only:  # (public-only: those paths are 404)
            try:
                record = authenticate(state, headers.get("authorization"), role)
            except RatingError as exc:
                return error_response(scope, exc)
            scope["state"]["token_id"] = record.token_id
        upload = path.startswith(UPLOAD_PREFIX) and scope["method"] == "POST"
        limit = state.settings.max_upload_mb << 20 if upload else JSON_BODY_LIMIT
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit + (64 << 10):  # room for the form's parts
            too_large = BodyTooLarge(limit, upload)
            return error_response(scope, LimitError(too_large.detail, code=too_large.code))
        return None


def _limited(receive: Receive, limit: int, upload: bool) -> Receive:
    seen = 0
    allowed = limit + (64 << 10) if upload else limit

    async def wrapped() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > allowed:
                raise BodyTooLarge(limit, upload)
        return message

    return wrapped
