"""What a generation run returns (`GeneratedFile`, `GenerateResult`) and what its steps share."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rating.schema import CONTRACTS
from rating.synth.integrity import Truth
from rating.synth.plan import Plan
from rating.synth.world import World

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class GeneratedFile:
    kind: str  # a contract kind: companies, projects, complaints, …
    path: Path
    rows: int  # data rows, header excluded
    format: str  # csv, xlsx or parquet
    encoding: str | None  # gb18030, utf-8-sig, utf-8; None for xlsx and parquet

    def as_dict(self, relative_to: Path | None = None) -> dict[str, Any]:
        path = self.path.relative_to(relative_to) if relative_to is not None else self.path
        return {
            "kind": self.kind,
            "path": path.as_posix(),
            "rows": self.rows,
            "format": self.format,
            "encoding": self.encoding,
        }


@dataclass(frozen=True)
class GenerateResult:
    files: tuple[GeneratedFile, ...]  # in ingest order: companies, projects, then the rest
    periods: tuple[str, ...]  # covered quarters, oldest first, e.g. ("2025Q4", …, "2026Q3")

    def as_dict(self, relative_to: Path | None = None) -> dict[str, Any]:
        return {
            "files": [f.as_dict(relative_to) for f in self.files],
            "periods": list(self.periods),
        }


@dataclass
class Context:
    """The run every step works in; steps add to `dirty_rows` what they spoiled on purpose."""

    plan: Plan
    world: World
    out_dir: Path
    progress: Progress | None = None
    dirty_rows: dict[str, int] = field(default_factory=dict)
    truth: Truth = field(default_factory=Truth)  # integrity extras (opt-in)

    def report(self, kind: str, done: int, total: int) -> None:
        if self.progress is not None:
            self.progress(kind, done, total)

    def spoiled(self, kind: str, rows: int) -> None:
        self.dirty_rows[kind] = self.dirty_rows.get(kind, 0) + rows


def headers(
    kind: str, names: tuple[str, ...], extra: dict[str, str] | None = None
) -> dict[str, str]:
    """Column name -> export header: the contract's first (Chinese) header, or an extra one."""
    columns = CONTRACTS[kind].columns
    extra = extra or {}
    return {n: extra[n] if n in extra else str(columns[n].title) for n in names}
