"""What the running app holds: settings, the public snapshot, the token file's contents, the rate
limiter and the uploads being read — and *not* the warehouse.

The server opens the warehouse file only for the moment of a request that needs it (a bureau
or auditor endpoint): read-only for reads, for writing for writes, one at a time in this
process, each waiting a bounded time (`RATING_LOCK_TIMEOUT`) for a CLI command that holds it.
Between requests the file is free, so an analyst's `rating ingest`, `rating run`, `rating
show`, … work beside `rating serve`. Public lookups are answered from the in-memory snapshot;
a watcher thread notices changes made beside the server (the file changed, then the ledger
head moved — e.g. `rating publish` from the CLI) and rebuilds the snapshot, writing the static
snapshot directory (`RATING_PUBLIC_DIR`) again so that replicas serving it follow.

A public-only server (`rating serve --public-only --snapshot DIR`) holds no warehouse at all:
it answers from the static snapshot directory and picks up a new export of it by its manifest.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, TypedDict

import duckdb

from rating import public, tokens
from rating.audit import ledger
from rating.errors import RatingError, UsageError, WarehouseError
from rating.public import static
from rating.settings import Settings
from rating.warehouse import open_warehouse

RELOAD_CHECK_S = 1.0


class RunShown(TypedDict):
    """A run /healthz names (`api.models.HealthRun`)."""

    period: str  # e.g. 2026Q2
    run_id: str
    publicity_ends: str | None  # ISO day, the last of its publicity; None once published


class SnapshotInfo(TypedDict):
    """What the public snapshot holds, as /healthz reports it (`api.models.Health`)."""

    published_runs: int  # published (after publicity) by now
    current: RunShown | None  # the latest published period's run
    in_publicity: list[RunShown]
    companies: int
    snapshot_built_at: str  # ISO time with offset
    ledger_seq: int  # the ledger record the snapshot was built at
    public_only: bool  # served from a static snapshot, without the warehouse


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


def _limiter(per_minute: int) -> Any:
    from api.traffic import Limiter

    return Limiter(per_minute) if per_minute > 0 else None


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
        # One warehouse connection at a time in this process (DuckDB refuses a read-only and a
        # writing connection to one file side by side in a process); reentrant for helpers.
        self.gate = threading.RLock()
        self.limiter = _limiter(settings.rate_limit)
        self.uploads = 0  # uploads being read now (counted on the event loop's thread)
        self._tokens = TokenCache()
        self._cards = CardCache()
        if not self.public_only:
            with self.writing(refresh=False):  # create the file (and its layout) on first use
                pass
        self.head = (0, ledger.GENESIS)
        self._seen = self._file_state()
        self._manifest_seen = (time.monotonic(), self._manifest_id())
        self._snapshot = snapshot or self.build_snapshot()
        self._stop = threading.Event()
        self._watcher: threading.Thread | None = None
        if settings.refresh_seconds > 0 and not self.public_only:
            self._watcher = threading.Thread(target=self._watch, name="snapshot-watch", daemon=True)
            self._watcher.start()

    @property
    def public_only(self) -> bool:
        return self.snapshot_dir is not None

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
        if self.public_only:
            raise UsageError("this server holds no warehouse", code="PUBLIC_ONLY")
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

    def build_snapshot(self) -> public.PublicView:
        language = str(getattr(self.settings, "language", "zh") or "zh")
        if self.snapshot_dir is not None:
            return static.open_directory(self.snapshot_dir, self.settings.current_time, language)
        with self.reading() as con:
            self.head = ledger.head(con)
            data = public.build(con, self.settings.zone, self.settings.current_time, language)
        return public.WarehouseView(data, language)

    def refresh_snapshot(self) -> None:
        """Rebuild what the public sees after a change of the ledger, and write the static
        snapshot directory (`RATING_PUBLIC_DIR`) so that replicas serving it follow."""
        view = self.build_snapshot()
        self.snapshot = view
        self._cards = CardCache()
        if isinstance(view, public.WarehouseView):
            static.export(view, self.settings.public_snapshot_dir)

    def _file_state(self) -> tuple[tuple[int, int], ...]:
        if self.public_only:
            return ()
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
        if self.public_only or (state == self._seen and not force):
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
        self._stop.set()
        if self._watcher is not None:
            self._watcher.join(timeout=5)

    def info(self) -> SnapshotInfo:
        """What /healthz reports (`api.models.Health`): runs published by now (not those in
        publicity), the run the public sees as current, the runs in publicity, the snapshot's
        size and ledger head."""
        data = self.snapshot.data
        now = data.clock()
        published = {
            run for at, _p, run, kind in data.disclosure.zone_events
            if kind == "published" and at <= now
        }  # fmt: skip
        shown = data.disclosure.runs_at(now)
        latest = max((p for p, s in shown.items() if s.status == "published"), default=None)

        def run(period: str) -> RunShown:
            doc = data.runs[shown[period].run_id]
            ends = doc.publicity.ends_on if doc.publicity else None
            proposed = shown[period].status == "proposed"
            return {
                "period": period,
                "run_id": doc.run_id,
                "publicity_ends": ends if proposed else None,
            }

        return {
            "published_runs": len(published),
            "current": run(latest) if latest else None,
            "in_publicity": [run(p) for p in sorted(shown) if shown[p].status == "proposed"],
            "companies": len(data.index.companies),
            "snapshot_built_at": data.built_at.isoformat(),
            "ledger_seq": data.ledger.seq,
            "public_only": self.public_only,
        }
