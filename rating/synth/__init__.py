"""Seeded generator of realistic bureau exports, from a thousand complaints to a hundred million.

`generate(out_dir, complaints=…)` writes what a housing bureau of the fictional city 云港市
receives — in the mix of formats real exports come in — plus `manifest.json`:

| file | kind | format |
| --- | --- | --- |
| companies.xlsx | companies | Excel, Chinese headers, dates `2015年3月2日` |
| projects.csv | projects | GB18030 CSV, one row per service period, dates `2025/7/3` |
| complaints_<quarter>.csv | complaints | GB18030 CSV per quarter (Parquet with `parquet=True`) |
| inspections.csv | inspections | UTF-8 CSV with BOM, one row per item (Parquet with `parquet=True`) |
| contracts.csv | contracts | UTF-8 CSV, English headers, ISO dates |
| opinions.xlsx | opinions | Excel (one workbook per quarter when one sheet cannot hold them) |
| events.parquet | events | Parquet, English column names |

The city is calibrated: rated quarter by quarter under the shipped rules it looks like a
real one (`targets.toml`, checked by `python -m benchmarks.calibration`). The same
arguments give byte-identical files. Big kinds are generated and written in chunks
of about a million rows with numpy and polars, so memory stays flat whatever the size.
A `dirty` fraction of complaint, project and inspection rows carries a realistic defect;
the manifest counts them per kind (`dirty_rows`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from rating.synth import assessments, events, inspections, registers
from rating.synth import complaints as _complaints
from rating.synth.context import Context, GeneratedFile, GenerateResult, Progress
from rating.synth.integrity import TRUTH_FILE
from rating.synth.plan import Plan
from rating.synth.world import make_world

GENERATOR = "rating.synth/3"  # bump when the same arguments would produce different files
# /2 was the calibrated city (issue 22); /3 adds property type and year built (issue 17).
MANIFEST = "manifest.json"

# In ingest order: a kind's references are written before it.
STEPS: tuple[Callable[[Context], list[GeneratedFile]], ...] = (
    registers.write_companies,
    registers.write_projects,
    _complaints.write,
    inspections.write,
    assessments.write_checks,
    assessments.write_opinions,
    events.write,
)


def generate(
    out_dir: Path,
    *,
    complaints: int,
    seed: int = 0,
    companies: int | None = None,
    projects: int | None = None,
    quarters: int = 4,
    end: str = "2026Q3",
    parquet: bool = False,
    dirty: float = 0.001,
    integrity: bool = False,
    progress: Progress | None = None,
) -> GenerateResult:
    """Write a bureau's exports for `quarters` quarters ending with `end` into `out_dir`.

    `complaints` is the exact total over all quarter files. Unset, `projects` is about one
    per ten complaints a quarter (20 … 300,000) and `companies` one per five projects (≥ 5).
    `progress(kind, done, total)` is called as each chunk is written. `integrity=True` adds
    unmarked near-duplicates and coordinated campaigns, listed in `integrity_truth.parquet`
    (see `rating.synth.integrity`); off, the files are exactly those of the plain generator.
    """
    plan = Plan.resolve(
        complaints=complaints,
        seed=seed,
        companies=companies,
        projects=projects,
        quarters=quarters,
        end=end,
        parquet=parquet,
        dirty=dirty,
        integrity=integrity,
    )
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    ctx = Context(plan, make_world(plan), out, progress)
    files = [f for step in STEPS for f in step(ctx)]
    result = GenerateResult(tuple(files), tuple(str(p) for p in plan.periods))
    manifest = {
        "generator": GENERATOR,
        "seed": plan.seed,
        **plan.knobs(),
        **result.as_dict(relative_to=out),
        "dirty_rows": {
            k: ctx.dirty_rows.get(k, 0) for k in ("projects", "complaints", "inspections")
        },
    }
    if plan.integrity:
        manifest["integrity"] = {"truth": TRUTH_FILE, **ctx.truth.counts()}
    (out / MANIFEST).write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    return result


__all__ = ["MANIFEST", "GenerateResult", "GeneratedFile", "generate"]
