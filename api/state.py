"""What the running app holds: settings, one warehouse connection, the public snapshot,
the token file's contents, the rate limiter and the uploads being read."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import duckdb

from rating import public, tokens
from rating.settings import Settings
from rating.warehouse import configure, open_warehouse


@dataclass
class TokenCache:
    records: dict[str, tokens.TokenRecord] = field(default_factory=dict)
    mtime: float = -1.0


@dataclass
class CardCache:
    day: date | None = None
    bodies: dict[str, bytes] = field(default_factory=dict)


def _render(card: dict[str, Any] | None) -> bytes | None:
    from api.models import CompanyCard  # the model checks every card against the published schema

    return CompanyCard.model_validate(card).model_dump_json().encode() if card else None


def _limiter(per_minute: int) -> Any:
    from api.traffic import Limiter

    return Limiter(per_minute) if per_minute > 0 else None


class AppState:
    def __init__(self, settings: Settings, snapshot: public.Snapshot | None = None) -> None:
        self.settings = settings
        self.con = open_warehouse(settings)
        self.write_lock = threading.RLock()
        self.limiter = _limiter(settings.rate_limit)
        self.uploads = 0  # uploads being read now (counted on the event loop's thread)
        self._tokens = TokenCache()
        self._cards = CardCache()
        self.snapshot = snapshot or self.build_snapshot()

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A connection of its own for one request (DuckDB connections are not shared across threads)."""
        cur = self.con.cursor()
        configure(cur, self.settings)
        return cur

    def build_snapshot(self) -> public.Snapshot:
        cur = self.cursor()
        try:
            return public.build(cur, self.settings.zone, self.settings.current_time)
        finally:
            cur.close()

    def refresh_snapshot(self) -> None:
        self.snapshot = self.build_snapshot()
        self._cards = CardCache()

    def card_json(self, uscc: str, as_of: date | None) -> bytes | None:
        """A company card as JSON bytes; today's cards are cached, so a lookup is a dict access."""
        if as_of is not None:
            return _render(self.snapshot.card(uscc, as_of))
        today = self.settings.current_time().date()
        cache = self._cards
        if cache.day != today:
            cache = self._cards = CardCache(day=today)
        body = cache.bodies.get(uscc)
        if body is None:
            body = cache.bodies[uscc] = _render(self.snapshot.card(uscc, None)) or b""
        return body or None

    def token_records(self) -> dict[str, tokens.TokenRecord]:
        path = self.settings.tokens_file
        mtime = path.stat().st_mtime if path.exists() else 0.0
        if mtime != self._tokens.mtime:
            self._tokens = TokenCache(tokens.load(path), mtime)
        return self._tokens.records

    def close(self) -> None:
        self.con.close()

    def info(self) -> dict[str, Any]:
        snap = self.snapshot
        return {
            "published_runs": len(snap.runs),
            "companies": len(snap.names),
            "snapshot_built_at": snap.built_at.isoformat(),
        }
