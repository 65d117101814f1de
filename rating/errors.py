"""The one error tree of the engine.

Every error a user can meet is a `RatingError` with a stable `code` (part of the public
interface: the CLI prints it, the API returns it), an HTTP `status` and, where it helps,
the `problems` that caused it, each with its own code and location (file, line, column,
rule). Callers never parse messages; they read codes.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Problem:
    """One thing wrong, with where it is."""

    code: str
    message: str
    file: str | None = None
    line: int | None = None
    column: str | None = None
    rule: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}

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

    def as_dict(self) -> dict[str, Any]:
        """The canonical JSON shape shared by the CLI (`--json`) and the API."""
        body: dict[str, Any] = {
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
