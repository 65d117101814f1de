"""API tokens: created and revoked from the CLI, stored hashed, checked in constant time.

Tokens live in a small JSON file beside the warehouse (not in DuckDB): the server keeps the
warehouse open, and the bureau must still be able to create or revoke a token while it runs.
A token reads `rat_<id>_<secret>`; the file keeps the id, role, name and sha256 of the
secret, never the secret. The server re-reads the file when it changes.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

from rating.errors import AuthError, NotFoundError, UsageError

ROLES = ("bureau", "auditor")


@dataclass
class TokenRecord:
    token_id: str
    role: str
    name: str
    secret_sha256: str
    created_at: str
    revoked_at: str | None = None


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def load(path: Path) -> dict[str, TokenRecord]:
    """Token id → record of every token in the token file at `path` ({} when the file does not
    exist). Raises `json.JSONDecodeError` or `TypeError` for a file not written by this module."""
    if not path.exists():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    return {t["token_id"]: TokenRecord(**t) for t in data.get("tokens", [])}


def _save(path: Path, records: dict[str, TokenRecord]) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    body = {"tokens": [asdict(r) for r in sorted(records.values(), key=lambda r: r.token_id)]}
    tmp.write_text(json.dumps(body, ensure_ascii=False, indent=2), encoding="utf-8")
    os.chmod(tmp, 0o600)
    tmp.replace(path)


def create(path: Path, role: str, name: str, now: datetime) -> tuple[TokenRecord, str]:
    """A new token; the returned secret is shown once and never stored."""
    if role not in ROLES:
        raise UsageError(f"role must be one of {', '.join(ROLES)}", code="BAD_ROLE")
    records = load(path)
    token_id = secrets.token_hex(4)
    while token_id in records:
        token_id = secrets.token_hex(4)
    secret = secrets.token_urlsafe(32)
    record = TokenRecord(token_id, role, name, _digest(secret), now.isoformat())
    records[token_id] = record
    _save(path, records)
    return record, f"rat_{token_id}_{secret}"


def revoke(path: Path, token_id: str, now: datetime) -> TokenRecord:
    """Mark token `token_id` revoked at `now` (ISO time; an earlier revocation is kept) and save the
    file; returns the record. Raises `NotFoundError` (`TOKEN_NOT_FOUND`)."""
    records = load(path)
    if token_id not in records:
        raise NotFoundError(f"no token '{token_id}'", code="TOKEN_NOT_FOUND")
    records[token_id].revoked_at = records[token_id].revoked_at or now.isoformat()
    _save(path, records)
    return records[token_id]


def check(records: dict[str, TokenRecord], presented: str) -> TokenRecord:
    """The token's record, or AuthError; the secret is compared in constant time."""
    parts = presented.split("_", 2)
    if len(parts) != 3 or parts[0] != "rat":
        raise AuthError("malformed token", code="TOKEN_INVALID")
    record = records.get(parts[1])
    expected = record.secret_sha256 if record else _digest("")
    if not hmac.compare_digest(expected, _digest(parts[2])) or record is None:
        raise AuthError("unknown token", code="TOKEN_INVALID")
    if record.revoked_at:
        raise AuthError("this token was revoked", code="TOKEN_REVOKED")
    return record
