"""The public snapshot as a directory of static files, and serving from it without the warehouse.

`export(view, folder)` writes (atomically: a new folder swapped in by rename)::

    manifest.json                     format, ledger head (seq, hash), built_at, engine, and the
                                      sha256 of every other file
    disclosure.json                   what the ledger made visible when (runs, black-list entries,
                                      credit-repair applications)
    runs/<run id>.json                a disclosed run: provenance, rule version, its listed companies
    legends.json                      each rule version's grade legend and list bases
    search.json                       the search index (normalised names, places, addresses)
    companies/index.json              per company: the days its card changes, and its file
    companies/<uscc>/<day>.json       the card as visible from that day (one per change)
    compounds/<project id>.json       a compound: places, service periods, its grade per run
    lists/<red|black>/<period>.{json,csv,xlsx}, lists/<red|black>/in-force.{…}
                                      the lists as visible on the day of the export (in force:
                                      published after publicity; the JSON adds who is proposed)

Any web server or CDN can serve the folder as it is (a client picks the card file whose day is
the latest on or before the day it wants); `rating serve --public-only --snapshot DIR` answers
the same API and pages from it as a server over the warehouse does (`StaticView`), with no
warehouse — stateless replicas behind any load balancer.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from bisect import bisect_right
from collections.abc import Callable
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, TypedDict, cast

from rating import __version__
from rating.errors import NotFoundError, RatingError
from rating.public import tables
from rating.public.data import CompoundDoc, DisclosureDoc, LedgerHead, PublicData, RunCard, RunDoc
from rating.public.search import SearchIndex
from rating.public.shapes import CompanyCard, Legend
from rating.public.snapshot import PublicView, WarehouseView

FORMAT = 1


class SnapshotError(RatingError):
    code = "SNAPSHOT_INVALID"
    status = 503


def _safe(name: str) -> str:
    """A file name for an id: itself when plain, else a digest (ids come from the register)."""
    if re.fullmatch(r"[0-9A-Za-z_.-]{1,80}", name) and not name.startswith("."):
        return name
    return "x" + hashlib.sha256(name.encode()).hexdigest()[:24]


def _json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def _card_versions(view: WarehouseView, uscc: str) -> list[tuple[date, CompanyCard | None]]:
    """(first day, card) for each change of what the public sees of a company."""
    out: list[tuple[date, CompanyCard | None]] = []
    last: dict[str, Any] | None = None
    for day in view.card_days(uscc):
        card = view.card(uscc, day)
        body = card.model_dump(exclude={"as_of"}) if card else None
        if (out and body == last) or (not out and card is None):
            continue
        out.append((day, card))
        last = body
    return out


def _files(view: WarehouseView) -> dict[str, bytes]:
    data = view.data
    files: dict[str, bytes] = {
        "disclosure.json": DisclosureDoc.of(data.disclosure).model_dump_json().encode(),
        "legends.json": _json({k: v.model_dump() for k, v in sorted(data.legends.items())}),
        "search.json": data.index.model_dump_json().encode(),
    }
    for run_id, doc in data.runs.items():
        listed = [c.model_dump() for c in sorted(view.listed(run_id), key=lambda c: c.uscc)]
        files[f"runs/{_safe(run_id)}.json"] = _json({"doc": doc.model_dump(), "listed": listed})
    timelines: dict[str, list[list[str | None]]] = {}
    for uscc in sorted({u for cards in data.cards.values() for u in cards}):
        for day, card in _card_versions(view, uscc):
            name = f"companies/{_safe(uscc)}/{day.isoformat()}.json" if card else None
            if card is not None and name is not None:
                files[name] = card.model_dump_json().encode()
            timelines.setdefault(uscc, []).append([day.isoformat(), name])
    files["companies/index.json"] = _json(timelines)
    for pid, compound in data.compounds.items():
        files[f"compounds/{_safe(pid)}.json"] = compound.model_dump_json().encode()
    today = view.today()
    for kind, period in [("red", None), ("black", None)] + [
        (k, p.period) for p in view.periods(today) for k in ("red", "black")
    ]:
        page = view.list_page(kind, period, today, limit=10_000_000)
        stem = f"lists/{kind}/{_safe(period or 'in-force')}"
        files[stem + ".json"] = page.model_dump_json().encode()
        files[stem + ".csv"] = tables.to_csv(page, view.words)
        files[stem + ".xlsx"] = tables.to_xlsx(page, view.words)
    return files


class LedgerMark(TypedDict):
    """The ledger record a snapshot was built at (`LedgerHead` as JSON)."""

    seq: int
    hash: str  # SHA-256 hex of that record


class Manifest(TypedDict):
    """`manifest.json` of a snapshot directory: what `StaticView` checks every file against."""

    format: int  # `FORMAT`
    engine_version: str
    built_at: str  # ISO time with offset
    zone: str  # the bureau's time zone, e.g. Asia/Shanghai
    ledger: LedgerMark
    files: dict[str, str]  # relative path → SHA-256 hex of its bytes, sorted by path


def export(view: WarehouseView, folder: Path) -> Manifest:
    """Write the snapshot directory of `view` to `folder` (replacing it: written beside it, then
    renamed into place, so a reader never sees half of one); returns the manifest. Raises
    OSError when the folder cannot be written."""
    files = _files(view)
    data = view.data
    manifest: Manifest = {
        "format": FORMAT,
        "engine_version": __version__,
        "built_at": data.built_at.isoformat(),
        "zone": data.zone,
        "ledger": cast(LedgerMark, data.ledger.model_dump()),
        "files": {name: hashlib.sha256(body).hexdigest() for name, body in sorted(files.items())},
    }
    folder = Path(folder)
    fresh = folder.with_name(folder.name + f".tmp-{os.getpid()}")
    shutil.rmtree(fresh, ignore_errors=True)
    for name, body in files.items():
        path = fresh / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)
    (fresh / "manifest.json").write_bytes(_json(manifest))
    old = folder.with_name(folder.name + f".old-{os.getpid()}")
    if folder.exists():
        folder.rename(old)
    fresh.rename(folder)
    shutil.rmtree(old, ignore_errors=True)
    return manifest


class StaticView(PublicView):
    """The public view over a snapshot directory: every file checked against the manifest."""

    def __init__(self, folder: Path, clock: Callable[[], datetime], language: str = "zh") -> None:
        self.folder = Path(folder)
        try:
            self.manifest = json.loads((self.folder / "manifest.json").read_bytes())
        except (OSError, ValueError) as exc:
            raise SnapshotError(f"{self.folder} holds no public snapshot: {exc}") from exc
        if self.manifest.get("format") != FORMAT:
            raise SnapshotError(f"{self.folder}: snapshot format {self.manifest.get('format')}")
        runs, listed = {}, {}
        for name in self.manifest["files"]:
            if name.startswith("runs/"):
                body = json.loads(self.read(name))
                doc = RunDoc.model_validate(body["doc"])
                runs[doc.run_id] = doc
                listed[doc.run_id] = [RunCard.model_validate(c) for c in body["listed"]]
        self._listed = listed
        self._timelines: dict[str, list[list[str | None]]] = json.loads(
            self.read("companies/index.json")
        )
        data = PublicData(
            zone=self.manifest["zone"],
            built_at=datetime.fromisoformat(self.manifest["built_at"]),
            clock=clock,
            ledger=LedgerHead.model_validate(self.manifest["ledger"]),
            disclosure=DisclosureDoc.model_validate_json(self.read("disclosure.json")).history(),
            runs=runs,
            legends={
                k: Legend.model_validate(v)
                for k, v in json.loads(self.read("legends.json")).items()
            },
            compounds={},
            index=SearchIndex.model_validate_json(self.read("search.json")),
        )
        super().__init__(data, language)
        self._file = lru_cache(maxsize=20_000)(self._card_file)

    def read(self, name: str) -> bytes:
        want = self.manifest["files"].get(name)
        if want is None:
            raise NotFoundError(f"{name} is not in the snapshot", code="NOT_FOUND")
        body = (self.folder / name).read_bytes()
        if hashlib.sha256(body).hexdigest() != want:
            raise SnapshotError(
                f"{name} does not match the snapshot's manifest", code="SNAPSHOT_ALTERED"
            )
        return body

    def _card_file(self, name: str) -> CompanyCard:
        return CompanyCard.model_validate_json(self.read(name))

    def _version(self, uscc: str, day: date) -> str | None:
        timeline = self._timelines.get(uscc, [])
        i = bisect_right([d or "" for d, _ in timeline], day.isoformat())
        return timeline[i - 1][1] if i else None

    def card(self, uscc: str, on: date | None = None) -> CompanyCard | None:
        day = self.day(on)
        name = self._version(uscc, day)
        if name is None:
            return None
        return self._file(name).model_copy(update={"as_of": day.isoformat()})

    def has_card(self, uscc: str, day: date) -> bool:
        return self._version(uscc, day) is not None

    def card_days(self, uscc: str) -> list[date]:
        return [date.fromisoformat(d or "") for d, _ in self._timelines.get(uscc, [])]

    def run_card(self, run_id: str, uscc: str) -> RunCard | None:
        return next((c for c in self._listed.get(run_id, []) if c.uscc == uscc), None)

    def listed(self, run_id: str) -> list[RunCard]:
        return self._listed.get(run_id, [])

    @lru_cache(maxsize=20_000)  # noqa: B019 - one view per process, ids are bounded
    def compound_doc(self, project_id: str) -> CompoundDoc | None:
        name = f"compounds/{_safe(project_id)}.json"
        if name not in self.manifest["files"]:
            return None
        return CompoundDoc.model_validate_json(self.read(name))


def open_directory(folder: Path, clock: Callable[[], datetime], language: str = "zh") -> StaticView:
    """The public lookup served from a snapshot directory (`StaticView`), pages and answers in
    `language`, today's date from `clock`. Raises `SnapshotError` when the directory is not a
    snapshot of this format or a file does not match the manifest's hash."""
    return StaticView(folder, clock, language)
