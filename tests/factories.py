"""Small hand-made bureaus for tests: rows with defaults, written as real export files.

Rows go through the real ingest path (CSV files, validation, quarantine), so a test of the
engine is also a test of everything in front of it.
"""

from __future__ import annotations

import atexit
import copy
import csv
import hashlib
import os
import pickle
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb

from rating.idnumber import check_char as id_check_char
from rating.ingest.loader import IngestResult, ingest_file
from rating.schema import CONTRACTS, KINDS
from rating.settings import Settings
from rating.uscc import ALPHABET, check_char
from rating.warehouse import open_warehouse
from tests.options import FEW_EXAMPLES, SHARED_DIR, THREADS

RULES_DIR = Path(__file__).resolve().parent.parent / "rules"
NOW = datetime(2026, 11, 1, 9, 0, 0)


def examples(n: int) -> int:
    """A property test's `max_examples`: `n`, or a quarter of it (at least 5) under
    `--few-examples` — `make test-fast` samples lightly while you work, CI draws them all."""
    return max(5, n // 4) if FEW_EXAMPLES[0] else n


def make_id_number(n: int, birth: str = "19800101", region: str = "370602") -> str:
    """A valid, deterministic citizen identity number (GB 11643-1999) for test person n."""
    first17 = f"{region}{birth}{n % 1000:03d}"
    return first17 + id_check_char(first17)


def make_uscc(n: int, division: str = "370600") -> str:
    """A valid, deterministic USCC for test company number n."""
    body = "91" + division
    digits = ""
    x = n
    for _ in range(9):
        digits = ALPHABET[x % 31] + digits
        x //= 31
    first17 = body + digits
    return first17 + check_char(first17)


DEFAULTS: dict[str, dict[str, Any]] = {
    "companies": {"registered": "是", "district": "芝罘区"},
    "projects": {
        "district": "芝罘区",
        "street": "向阳街道",
        "households": 500,
        "floor_area": 40000,
        "service_start": "2020-01-01",
        "service_end": "",
    },
    "complaints": {
        "channel": "12345热线",
        "order_type": "投诉举报类",
        "category": "房屋维修",
        "content": "楼道漏水",
        "fact_finding": "属实",
        "result": "解决",
        "satisfaction": "满意",
        "is_repeat": "否",
        "repeat_of": "",
        "petitioners": 1,
    },
    "inspections": {
        "level": "区",
        "section": "保洁服务",
        "item": "楼道清洁",
        "max_points": 5,
        "deducted": 0,
        "severity": "轻微",
        "rectification": "无需整改",
    },
    "contracts": {"obligation": "收费标准公示", "performance": "已履行"},
    "surveys": {"organiser": "第三方机构", "respondents": 100, "satisfaction_rate": 90},
    "opinions": {"evaluator": "街道办事处", "rating": "良好", "score": 85},
    "events": {
        "info_kind": "不良",
        "code": "B01",
        "description": "行政处罚",
        "authority": "市住建局",
        "authority_level": "市级",
        "points": 5,
        "serious": "否",
        "status": "有效",
    },
}


@dataclass
class Bureau:
    """Rows per kind; `write` turns them into one CSV per kind (English headers)."""

    rows: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: {k: [] for k in KINDS})
    counters: dict[str, int] = field(default_factory=dict)

    def _next(self, prefix: str) -> str:
        self.counters[prefix] = self.counters.get(prefix, 0) + 1
        return f"{prefix}{self.counters[prefix]:04d}"

    def add(self, kind: str, **values: Any) -> dict[str, Any]:
        row = {**DEFAULTS.get(kind, {}), **values}
        self.rows[kind].append(row)
        return row

    def company(self, n: int, name: str, **kw: Any) -> str:
        uscc = make_uscc(n)
        self.add("companies", uscc=uscc, name=name, **kw)
        return uscc

    def project(self, project_id: str, company: str, **kw: Any) -> None:
        self.add(
            "projects",
            project_id=project_id,
            project_name=kw.pop("project_name", project_id),
            company_uscc=company,
            **kw,
        )

    def complaint(self, project_id: str, received: str, **kw: Any) -> str:
        cid = kw.pop("complaint_id", None) or self._next("GD")
        day = date.fromisoformat(received[:10])
        deadline = kw.pop("deadline", f"{day.isoformat()} 23:59:00")
        closed = kw.pop("closed_at", f"{day.isoformat()} 18:00:00")
        self.add(
            "complaints",
            complaint_id=cid,
            received_at=f"{received[:10]} 09:00:00",
            project_id=project_id,
            deadline=deadline,
            closed_at=closed,
            **kw,
        )
        return cid

    def event(self, uscc: str, decided: str, **kw: Any) -> str:
        eid = kw.pop("event_id", None) or self._next("EV")
        self.add("events", event_id=eid, uscc=uscc, decided_on=decided, **kw)
        return eid

    def inspection(self, project_id: str, day: str, **kw: Any) -> str:
        iid = kw.pop("inspection_id", None) or self._next("JC")
        self.add(
            "inspections",
            inspection_id=iid,
            item_no=kw.pop("item_no", 1),
            inspected_on=day,
            project_id=project_id,
            **kw,
        )
        return iid

    def contract(self, project_id: str, day: str, **kw: Any) -> str:
        cid = kw.pop("check_id", None) or self._next("HT")
        self.add("contracts", check_id=cid, checked_on=day, project_id=project_id, **kw)
        return cid

    def opinion(self, project_id: str, period: str, rated_on: str, **kw: Any) -> str:
        oid = kw.pop("opinion_id", None) or self._next("PJ")
        self.add(
            "opinions",
            opinion_id=oid,
            period=period,
            project_id=project_id,
            rated_on=rated_on,
            **kw,
        )
        return oid

    def manager(self, certificate_no: str, name: str, employer: str | None, **kw: Any) -> str:
        self.add("managers", certificate_no=certificate_no, name=name, employer_uscc=employer, **kw)
        return certificate_no

    def assign(self, project_id: str, certificate_no: str, start: str, end: str = "") -> None:
        self.add(
            "assignments",
            project_id=project_id,
            certificate_no=certificate_no,
            start_on=start,
            end_on=end,
        )

    def survey(self, project_id: str, day: str, **kw: Any) -> str:
        sid = kw.pop("survey_id", None) or self._next("CP")
        self.add("surveys", survey_id=sid, project_id=project_id, surveyed_on=day, **kw)
        return sid

    def write(self, folder: Path, kinds: tuple[str, ...] = KINDS) -> list[tuple[str, Path]]:
        folder.mkdir(parents=True, exist_ok=True)
        written = []
        for kind in kinds:
            rows = self.rows[kind]
            if not rows:
                continue
            path = folder / f"{kind}.csv"
            write_csv(path, list(CONTRACTS[kind].columns), rows)
            written.append((kind, path))
        return written


def write_csv(
    path: Path,
    columns: list[str],
    rows: list[dict[str, Any]],
    encoding: str = "utf-8",
    headers: list[str] | None = None,
) -> Path:
    present = [c for c in columns if any(c in r for r in rows)]
    with path.open("w", encoding=encoding, newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(headers or present)
        for r in rows:
            writer.writerow(["" if r.get(c) is None else r.get(c, "") for c in present])
    return path


def settings_for(tmp: Path, **kw: Any) -> Settings:
    kw.setdefault("threads", THREADS[0])
    return Settings(db_path=tmp / "warehouse.duckdb", rules_dir=RULES_DIR, now=NOW, **kw)


# Warehouses loaded from the same export files under the same settings, kept once per test
# process: a later `load` of the same bureau into a new warehouse copies the file (milliseconds)
# instead of ingesting every file again (about half a second each), which is most of what the
# unit and golden tests spend. Keyed by the files' bytes and every setting but the warehouse's
# path; each test still gets its own file and connection.
_LOADED: dict[str, tuple[Path, list[IngestResult]]] = {}
_LOADED_DIR: list[Path] = []


def _adopt_shared(key: str) -> None:
    """Take a warehouse another worker of this run loaded under `key`, if there is one. Its
    file appears last (os.replace), after the results beside it are complete."""
    if key in _LOADED or not SHARED_DIR:
        return
    db, results = SHARED_DIR[0] / f"{key}.duckdb", SHARED_DIR[0] / f"{key}.pickle"
    if db.exists():
        _LOADED[key] = (db, pickle.loads(results.read_bytes()))


def _share(key: str, template: Path, results: list[IngestResult]) -> None:
    if not SHARED_DIR:
        return
    for path, write in (
        (SHARED_DIR[0] / f"{key}.pickle", lambda p: p.write_bytes(pickle.dumps(results))),
        (SHARED_DIR[0] / f"{key}.duckdb", lambda p: shutil.copyfile(template, p)),
    ):
        partial = path.with_name(f"{path.name}.{os.getpid()}")
        write(partial)
        os.replace(partial, path)


def _loaded_dir() -> Path:
    if not _LOADED_DIR:
        _LOADED_DIR.append(Path(tempfile.mkdtemp(prefix="rating-loaded-")))
        atexit.register(shutil.rmtree, _LOADED_DIR[0], True)
    return _LOADED_DIR[0]


def _load_key(written: list[tuple[str, Path]], settings: Settings) -> str:
    digest = hashlib.sha256(repr(settings.with_(db_path=Path("-"))).encode())
    for kind, path in written:
        digest.update(f"\0{kind}\0{path.name}\0".encode() + path.read_bytes())
    return digest.hexdigest()


def fresh_warehouse(settings: Settings) -> duckdb.DuckDBPyConnection:
    """`open_warehouse(settings)`, a new file being a copy of an empty warehouse this process
    created once through the same call: creating the layout costs ~0.15 s of CPU (about 175
    statements), copying the file and opening it ~0.03 s. The path that creates a layout is
    tested on its own (tests/test_ingest.py)."""
    db = Path(settings.db_path)
    if not db.exists():
        template = _loaded_dir() / "empty.duckdb"
        if not template.exists():
            open_warehouse(settings.with_(db_path=template)).close()
        shutil.copyfile(template, db)
    return open_warehouse(settings)


def load(
    bureau: Bureau, tmp: Path, settings: Settings | None = None
) -> tuple[duckdb.DuckDBPyConnection, Settings, list[IngestResult]]:
    """Write `bureau` as export files under `tmp/exports` and ingest them through the real path
    into the warehouse of `settings` (default `settings_for(tmp)`); returns a connection opened
    afresh after the ingest (no temporary table of it is left), the settings and the results."""
    settings = settings or settings_for(tmp)
    written = bureau.write(tmp / "exports")
    db = Path(settings.db_path)
    key = _load_key(written, settings)
    _adopt_shared(key)
    if key in _LOADED and not db.exists():
        template, results = _LOADED[key]
        shutil.copyfile(template, db)
        return open_warehouse(settings), settings, copy.deepcopy(results)
    fresh = not db.exists()
    con = fresh_warehouse(settings)
    results = [ingest_file(con, settings, kind, path) for kind, path in written]
    con.close()
    if fresh:
        template = _loaded_dir() / f"{key}.duckdb"
        shutil.copyfile(db, template)
        _LOADED[key] = (template, copy.deepcopy(results))
        _share(key, template, results)
    return open_warehouse(settings), settings, results


def rate_and_publish(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    ruleset: Any,
    periods: tuple[str, ...],
    published: dict[str, datetime],
) -> dict[str, str]:
    """Rate `periods` in order under `ruleset` (a LoadedRuleSet; forced, as a fixture does),
    then publish the runs of the periods in `published` on their days after publicity.
    Returns period → run id."""
    from rating.engine.runner import execute_run
    from rating.periods import Period

    runs = {
        p: execute_run(con, settings, ruleset, Period.parse(p), forced=True).run_id for p in periods
    }
    for period, at in published.items():
        publish_after_publicity(con, settings, runs[period], at)
    return runs


def publish_after_publicity(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    run_id: str,
    published: datetime,
    publicity_days_before: int = 20,
) -> Any:
    """Put a run to publicity and publish it once the publicity period is over."""
    from datetime import timedelta

    from rating.audit.publication import publicize, publish

    publicize(con, settings.with_(now=published - timedelta(days=publicity_days_before)), run_id)
    return publish(con, settings.with_(now=published), run_id)
