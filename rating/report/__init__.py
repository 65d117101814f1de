"""Quarterly reports for the bureau: a self-contained HTML page and an Excel workbook.

`build(con, settings, run_id, out_dir)` reads one run (`data`), draws the charts (`figures`,
matplotlib on Agg with a CJK font from `fonts`), makes company report cards (`card`) and
writes `report-<run>.html` (`html`) and `report-<run>.xlsx` (`workbook`). The `report` extra
(matplotlib, jinja2, markupsafe) loads only when `build` is first used, never on
`import rating.report.text` — the public pages share the report's words without the extra.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rating.report.builder import ReportResult, build

__all__ = ["ReportResult", "build"]


def __getattr__(name: str) -> Any:
    # PEP 562: the builder (and with it the optional extra) is imported on first use only.
    if name in __all__:
        from rating.report import builder

        return getattr(builder, name)
    raise AttributeError(f"module 'rating.report' has no attribute {name!r}")
