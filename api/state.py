"""What the running app holds: settings, one warehouse connection (none when serving a static
snapshot directory), the public view, the token file's contents and the rate limiter's buckets."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import duckdb

from rating import public, tokens
from rating.errors import RatingError, UsageError
from rating.public import static
from rating.settings import Settings
from rating.warehouse import configure, open_warehouse

RELOAD_CHECK_S = 1.0


@dataclass
class TokenCache:
    records: dict[str, tokens.TokenRecord] = field(default_factory=dict)
    mtime: float = -1.0


@dataclass
class CardCache:
    day: date | None = None
    bodies: dict[str, bytes] = field(default_factory=dict)


def _render(card: public.shapes.CompanyCard | None) -> bytes | None:
    return card.model_dump_json().encode() if card is not None else None


@dataclass
class Buckets:
    """Per-client token buckets: `rate` requests a minute, bursts up to a tenth of it (≥ 10)."""

    rate: int
    level: dict[str, tuple[float, float]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self, client: str) -> float:
        """0 when the request may go ahead, else seconds until it may."""
        capacity = max(10.0, self.rate / 10)
        per_second = self.rate / 60.0
        now = time.monotonic()
        with self.lock:
            tokens_left, last = self.level.get(client, (capacity, now))
            tokens_left = min(capacity, tokens_left + (now - last) * per_second)
            if tokens_left < 1:
                self.level[client] = (tokens_left, now)
                return (1 - tokens_left) / per_second
            self.level[client] = (tokens_left - 1, now)
            return 0.0


class AppState:
    """`snapshot_dir`: serve the public lookup from a static snapshot directory, without the
    warehouse (`rating serve --public-only --snapshot DIR`); no bureau or audit endpoint."""

    def __init__(
        self,
        settings: Settings,
        snapshot: public.PublicView | None = None,
        snapshot_dir: Path | None = None,
    ) -> None:
        self.settings = settings
        self.snapshot_dir = snapshot_dir
        self.con = None if snapshot_dir is not None else open_warehouse(settings)
        self.write_lock = threading.RLock()
        self.buckets = Buckets(settings.rate_limit)
        self._tokens = TokenCache()
        self._cards = CardCache()
        self._manifest_seen = (time.monotonic(), self._manifest_id())
        self._snapshot = snapshot or self.build_snapshot()

    @property
    def snapshot(self) -> public.PublicView:
        """The public view; a public-only server picks up a new export of its directory within
        `RELOAD_CHECK_S` (the export swaps the folder in by rename, so the manifest is a new file).
        A directory that cannot be opened (mid-swap, altered) keeps the view served until now and
        is tried again at the next check."""
        if self.snapshot_dir is not None:
            checked, seen = self._manifest_seen
            if time.monotonic() - checked >= RELOAD_CHECK_S:
                now = self._manifest_id()
                if now is not None and now != seen:
                    try:
                        self._snapshot = self.build_snapshot()
                    except (RatingError, OSError, ValueError):
                        now = seen
                    else:
                        self._cards = CardCache()
                self._manifest_seen = (time.monotonic(), now if now is not None else seen)
        return self._snapshot

    @snapshot.setter
    def snapshot(self, view: public.PublicView) -> None:
        self._snapshot = view

    def _manifest_id(self) -> tuple[int, int] | None:
        """(inode, mtime) of the directory's manifest: a re-export writes a new file."""
        if self.snapshot_dir is None:
            return None
        try:
            st = (self.snapshot_dir / "manifest.json").stat()
        except OSError:
            return None
        return (st.st_ino, st.st_mtime_ns)

    @property
    def public_only(self) -> bool:
        return self.snapshot_dir is not None

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A connection of its own for one request (DuckDB connections are not shared across threads)."""
        if self.con is None:
            raise UsageError("this server holds no warehouse", code="PUBLIC_ONLY")
        cur = self.con.cursor()
        configure(cur, self.settings)
        return cur

    def build_snapshot(self) -> public.PublicView:
        language = str(getattr(self.settings, "language", "zh") or "zh")
        if self.snapshot_dir is not None:
            return static.open_directory(self.snapshot_dir, self.settings.current_time, language)
        cur = self.cursor()
        try:
            data = public.build(cur, self.settings.zone, self.settings.current_time, language)
        finally:
            cur.close()
        return public.WarehouseView(data, language)

    def refresh_snapshot(self) -> None:
        """Rebuild what the public sees after a change of the ledger, and write the static
        snapshot directory (`RATING_PUBLIC_DIR`) so that replicas serving it follow."""
        self.snapshot = self.build_snapshot()
        self._cards = CardCache()
        if isinstance(self.snapshot, public.WarehouseView):
            static.export(self.snapshot, self.settings.public_snapshot_dir)

    def card_json(self, uscc: str, as_of: date | None) -> bytes | None:
        """A company card as JSON bytes; today's cards are cached, so a lookup is a dict access."""
        if as_of is not None:
            return _render(self.snapshot.card(uscc, as_of))
        today = self.snapshot.today()
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
        if self.con is not None:
            self.con.close()

    def info(self) -> dict[str, Any]:
        data = self.snapshot.data
        return {
            "published_runs": len(data.runs),
            "companies": len(data.index.companies),
            "snapshot_built_at": data.built_at.isoformat(),
            "ledger_seq": data.ledger.seq,
            "public_only": self.public_only,
        }
