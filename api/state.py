"""What the running app holds: settings, the public snapshot, the token file's contents, the rate
limiter and the uploads being read — and *not* the warehouse.

The server opens the warehouse file only for the moment of a request that needs it (a bureau
or auditor endpoint): read-only for reads, for writing for writes, one at a time in this
process, each waiting a bounded time (`RATING_LOCK_TIMEOUT`) for a CLI command that holds it.
Between requests the file is free, so an analyst's `rating ingest`, `rating run`, `rating
show`, … work beside `rating serve`. Public lookups are answered from the in-memory snapshot;
a watcher thread notices changes made beside the server (the file changed, then the ledger
head moved — e.g. `rating publish` from the CLI) and rebuilds the snapshot.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import duckdb

from rating import public, tokens
from rating.audit import ledger
from rating.errors import RatingError, WarehouseError
from rating.settings import Settings
from rating.warehouse import open_warehouse


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
        # One warehouse connection at a time in this process (DuckDB refuses a read-only and a
        # writing connection to one file side by side in a process); reentrant for helpers.
        self.gate = threading.RLock()
        self.limiter = _limiter(settings.rate_limit)
        self.uploads = 0  # uploads being read now (counted on the event loop's thread)
        self._tokens = TokenCache()
        self._cards = CardCache()
        with self.writing(refresh=False):  # create the file (and its layout) on first use
            pass
        self.head = (0, ledger.GENESIS)
        self._seen = self._file_state()
        self.snapshot = snapshot or self.build_snapshot()
        self._stop = threading.Event()
        self._watcher: threading.Thread | None = None
        if settings.refresh_seconds > 0:
            self._watcher = threading.Thread(target=self._watch, name="snapshot-watch", daemon=True)
            self._watcher.start()

    # ------------------------------------------------------------------ the warehouse
    @contextmanager
    def _held(self, wait: float | None) -> Iterator[None]:
        """This process's turn at the warehouse, waited for at most `wait` seconds."""
        timeout = self.settings.lock_timeout if wait is None else wait
        if not self.gate.acquire(timeout=max(timeout, 0.0)):
            raise WarehouseError(
                f"the server is busy with another request on the warehouse (waited {timeout:g} s)",
                code="WAREHOUSE_BUSY",
            )
        try:
            yield
        finally:
            self.gate.release()

    @contextmanager
    def _opened(self, write: bool, wait: float | None) -> Iterator[duckdb.DuckDBPyConnection]:
        with self._held(wait):
            con = open_warehouse(self.settings, read_only=not write, wait=wait)
            try:
                yield con
            finally:
                con.close()

    @contextmanager
    def reading(self, wait: float | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-only connection for one request; the file is closed again after it."""
        with self._opened(False, wait) as con:
            yield con

    @contextmanager
    def writing(self, refresh: bool = True) -> Iterator[duckdb.DuckDBPyConnection]:
        """A writing connection for one request; then (by default) the public snapshot is
        rebuilt if the ledger moved."""
        with self._held(None):
            with self._opened(True, None) as con:
                yield con
            if refresh:
                self.refresh_if_changed(force=True)

    # ------------------------------------------------------------------ the snapshot
    def build_snapshot(self) -> public.Snapshot:
        with self.reading() as con:
            self.head = ledger.head(con)
            return public.build(con, self.settings.zone, self.settings.current_time)

    def refresh_snapshot(self) -> None:
        self.snapshot = self.build_snapshot()
        self._cards = CardCache()

    def _file_state(self) -> tuple[tuple[int, int], ...]:
        path = Path(self.settings.db_path)
        files = (path, path.with_name(path.name + ".wal"))
        return tuple(
            (f.stat().st_mtime_ns, f.stat().st_size) if f.exists() else (0, 0) for f in files
        )

    def refresh_if_changed(self, force: bool = False) -> bool:
        """Rebuild the snapshot when the ledger head moved since it was built (checked only
        when the file changed, unless `force`); True when it was rebuilt. Never waits for a
        busy warehouse: the next check sees the change."""
        state = self._file_state()
        if state == self._seen and not force:
            return False
        try:
            with self._opened(False, wait=0) as con:
                head = ledger.head(con)
        except WarehouseError:
            return False
        self._seen = state
        if head == self.head:
            return False
        self.refresh_snapshot()
        return True

    def _watch(self) -> None:
        while not self._stop.wait(self.settings.refresh_seconds):
            try:
                self.refresh_if_changed()
            except (RatingError, OSError, duckdb.Error):  # busy, half-written, gone: next tick
                continue

    # ------------------------------------------------------------------ public reads
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
        self._stop.set()
        if self._watcher is not None:
            self._watcher.join(timeout=5)

    def info(self) -> dict[str, Any]:
        snap = self.snapshot
        return {
            "published_runs": len(snap.runs),
            "companies": len(snap.names),
            "snapshot_built_at": snap.built_at.isoformat(),
        }
