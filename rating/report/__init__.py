"""Quarterly reports for the bureau: a self-contained HTML page and an Excel workbook.

`build(con, settings, run_id, out_dir)` reads one run (`data`), draws the charts (`figures`,
matplotlib on Agg with a CJK font from `fonts`), makes company report cards (`card`) and
writes `report-<run>.html` (`html`) and `report-<run>.xlsx` (`workbook`). matplotlib and
scikit-learn load only when a report is built, never on `import rating`.
"""

from __future__ import annotations

from rating.report.builder import ReportResult, build

__all__ = ["ReportResult", "build"]
