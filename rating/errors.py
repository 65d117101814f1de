"""The one error tree of the engine.

Every error a user can meet is a `RatingError` with a stable `code` (part of the public
interface: the CLI prints it, the API returns it), an HTTP `status` and, where it helps,
the `problems` that caused it, each with its own code and location (file, line, column,
rule). Callers never parse messages; they read codes.
"""

from __future__ import annotations

import errno
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, NotRequired, TypedDict, cast


class ProblemDoc(TypedDict):
    """A `Problem` as JSON: the location keys only where known."""

    code: str
    message: str
    file: NotRequired[str]
    line: NotRequired[int]  # 1-based record number in the file, as the user sees it
    column: NotRequired[str]
    rule: NotRequired[str]
    field: NotRequired[str]  # an API request's field that failed validation
    location: NotRequired[str]  # where in the request, e.g. query.limit


class ErrorBody(TypedDict):
    """The `error` of an `ErrorDocument`."""

    code: str  # stable: callers read codes, never messages
    message: str
    status: int  # the HTTP status the API answers with
    request_id: NotRequired[str]  # the API's, for the server log
    problems: NotRequired[list[ProblemDoc]]
    details: NotRequired[dict[str, Any]]  # the facts of this error (ids, limits), by code


class ErrorDocument(TypedDict):
    """The one JSON error shape of the CLI (`--json`) and the API: `{"ok": false, "error": …}`."""

    ok: Literal[False]
    error: ErrorBody


@dataclass(frozen=True)
class Problem:
    """One thing wrong, with where it is."""

    code: str
    message: str
    file: str | None = None
    line: int | None = None
    column: str | None = None
    rule: str | None = None

    def as_dict(self) -> ProblemDoc:
        """The problem as JSON, without the location keys it lacks."""
        return cast(ProblemDoc, {k: v for k, v in asdict(self).items() if v is not None})

    def __str__(self) -> str:
        where = ", ".join(
            f"{k} {v}"
            for k, v in (
                ("file", self.file),
                ("line", self.line),
                ("column", self.column),
                ("rule", self.rule),
            )
            if v is not None
        )
        return f"[{self.code}] {self.message}" + (f" ({where})" if where else "")


class RatingError(Exception):
    """Base of every error the engine raises on purpose."""

    code = "RATING_ERROR"
    status = 400

    def __init__(
        self,
        message: str,
        *,
        problems: list[Problem] | None = None,
        code: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.problems = list(problems or [])
        self.details = dict(details or {})
        if code is not None:
            self.code = code

    def as_dict(self) -> ErrorDocument:
        """The canonical JSON shape shared by the CLI (`--json`) and the API."""
        body: ErrorDocument = {
            "ok": False,
            "error": {"code": self.code, "message": self.message, "status": self.status},
        }
        if self.problems:
            body["error"]["problems"] = [p.as_dict() for p in self.problems]
        if self.details:
            body["error"]["details"] = self.details
        return body

    def __str__(self) -> str:
        lines = [f"[{self.code}] {self.message}"]
        lines += [f"  - {p}" for p in self.problems[:20]]
        if len(self.problems) > 20:
            lines.append(f"  … and {len(self.problems) - 20} more")
        return "\n".join(lines)


class InputFileError(RatingError):
    """A file that cannot be read at all: nothing from it is loaded."""

    code = "FILE_UNREADABLE"
    status = 422


class UsageError(RatingError):
    """A request that makes no sense: a bad period, an unknown kind, a bad option."""

    code = "BAD_REQUEST"
    status = 400


class RuleSetError(RatingError):
    """A rule set that does not load or does not check; `problems` lists every fault."""

    code = "RULESET_INVALID"
    status = 422


class NotFoundError(RatingError):
    code = "NOT_FOUND"
    status = 404


class GoneError(RatingError):
    """Something the public could see before and no longer can (a withdrawn result)."""

    code = "GONE"
    status = 410


class ConflictError(RatingError):
    """The request contradicts the state of the warehouse (e.g. editing a used rule version)."""

    code = "CONFLICT"
    status = 409


class AuthError(RatingError):
    code = "UNAUTHORIZED"
    status = 401


class ForbiddenError(RatingError):
    code = "FORBIDDEN"
    status = 403


class LimitError(RatingError):
    code = "LIMIT_EXCEEDED"
    status = 413


class WarehouseError(RatingError):
    """The warehouse cannot be opened or is in an unexpected state."""

    code = "WAREHOUSE_UNAVAILABLE"
    status = 503


@dataclass
class ProblemCollector:
    """Collects problems so a loader can report all of them at once (pandera's lazy mode)."""

    problems: list[Problem] = field(default_factory=list)

    def add(self, code: str, message: str, **where: Any) -> None:
        self.problems.append(Problem(code, message, **where))

    def raise_if_any(self, error: type[RatingError], message: str) -> None:
        if self.problems:
            raise error(message, problems=self.problems)


class ResourceError(RatingError):
    """The machine refused, not the request: a full disk, a read-only file system, a path too
    long, no memory. Its own code, so a user knows what to fix — not `INTERNAL`."""

    code = "RESOURCE_EXHAUSTED"
    status = 507


# errno -> (code, HTTP status, what to say)
RESOURCE_ERRNOS = {
    errno.ENOSPC: ("DISK_FULL", 507, "the disk is full"),
    errno.EDQUOT: ("DISK_FULL", 507, "the disk quota is used up"),
    errno.EROFS: ("READ_ONLY_FS", 503, "the file system is read-only"),
    errno.ENAMETOOLONG: ("PATH_TOO_LONG", 400, "a file name or path is too long"),
    errno.EMFILE: ("TOO_MANY_OPEN_FILES", 503, "too many files are open"),
}
# The same, as the database engine words them (it reports OS errors as text).
RESOURCE_TEXTS = {
    "no space left on device": errno.ENOSPC,
    "disk quota exceeded": errno.EDQUOT,
    "read-only file system": errno.EROFS,
    "file name too long": errno.ENAMETOOLONG,
    "too many open files": errno.EMFILE,
}


def resource_error(exc: BaseException) -> ResourceError | None:
    """A ResourceError for an exception (or one it was raised from) that a full disk, a
    read-only file system, a too long path or exhausted memory caused; else None."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        number = current.errno if isinstance(current, OSError) else None
        text = str(current).lower()
        if number not in RESOURCE_ERRNOS:
            number = next((n for t, n in RESOURCE_TEXTS.items() if t in text), None)
        if number is not None:
            code, status, what = RESOURCE_ERRNOS[number]
            name = getattr(current, "filename", None)
            error = ResourceError(f"{what}" + (f": {name}" if name else ""), code=code)
            error.status = status
            return error
        if isinstance(current, MemoryError) or "out of memory" in text:
            return ResourceError(
                "not enough memory for this work: set RATING_MEMORY_LIMIT (RATING_INGEST_MEMORY_LIMIT "
                "while ingesting) or use a larger machine",
                code="OUT_OF_MEMORY",
            )
        current = current.__cause__ or current.__context__
    return None
