"""A whole export folder, loaded in dependency order (companies before projects before the rest)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import duckdb

from rating.errors import InputFileError, UsageError
from rating.ingest.loader import IngestResult, ingest_file
from rating.schema import KINDS
from rating.settings import Settings

# File-name prefixes that name a kind when a folder has no manifest.json (the first kind
# whose prefix matches wins: 项目经理… before 项目…).
PREFIXES = {
    "managers": ("managers", "项目经理"),
    "assignments": ("assignments", "任职"),
    "surveys": ("surveys", "满意度", "测评"),
    "companies": ("companies", "企业"),
    "projects": ("projects", "项目"),
    "complaints": ("complaints", "投诉", "工单", "12345"),
    "inspections": ("inspections", "检查"),
    "contracts": ("contracts", "合同"),
    "opinions": ("opinions", "街道", "评价"),
    "events": ("events", "信用", "良好", "不良"),
}
SUFFIXES = (".csv", ".txt", ".xlsx", ".xls", ".parquet")


def plan_folder(folder: Path) -> list[tuple[str, Path]]:
    """(kind, file) pairs in load order, from manifest.json or from file names."""
    folder = Path(folder)
    if not folder.is_dir():
        raise UsageError(f"{folder} is not a folder", code="FOLDER_NOT_FOUND")
    manifest = folder / "manifest.json"
    if manifest.is_file():
        try:
            files = json.loads(manifest.read_text(encoding="utf-8"))["files"]
            pairs = [(f["kind"], folder / f["path"]) for f in files]
        except (ValueError, KeyError, TypeError) as exc:
            raise InputFileError(
                f"{manifest}: not a valid manifest ({exc})", code="MANIFEST_INVALID"
            ) from exc
    else:
        pairs = []
        for path in sorted(folder.iterdir()):
            kind = next((k for k, p in PREFIXES.items() if path.name.lower().startswith(p)), None)
            if kind and path.suffix.lower() in SUFFIXES:
                pairs.append((kind, path))
    unknown = [k for k, _ in pairs if k not in KINDS]
    if unknown:
        raise UsageError(f"unknown kinds in {folder}: {', '.join(unknown)}", code="UNKNOWN_KIND")
    if not pairs:
        raise UsageError(
            f"{folder} holds no export files (name them companies*, projects*, …)",
            code="FOLDER_EMPTY",
        )
    return sorted(pairs, key=lambda kp: (KINDS.index(kp[0]), kp[1].name))


def ingest_folder(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    folder: Path,
    progress: Callable[[str, int, int], None] | None = None,
) -> list[IngestResult]:
    """Ingest every file of `folder` in load order (`plan_folder`: its manifest.json, or kinds read
    from the file names), one batch per file; `progress(file name, done, total)` is called before
    each file and once at the end. Raises what `plan_folder` and `ingest_file` raise (`UsageError`
    `FOLDER_NOT_FOUND`, `InputFileError`, …); files before a failing one stay loaded."""
    plan = plan_folder(folder)
    results = []
    for i, (kind, path) in enumerate(plan):
        if progress:
            progress(path.name, i, len(plan))
        results.append(ingest_file(con, settings, kind, path))
        if progress:  # a file's end: the count of files done grows to the total
            progress(path.name, i + 1, len(plan))
    if progress:
        progress("done", len(plan), len(plan))
    return results
