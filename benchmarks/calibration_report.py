"""How the calibration report reads: console lines and CALIBRATION.md from its records.

A record is one JSON line of `results/calibration.jsonl` (written by `benchmarks.calibration`):
mode, generator arguments, provenance, timings, one row per target (generated against the
target's range, basis and source), the rated quarters and figures reported without a target.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

GRADES = ("AAA", "AA", "A", "B", "C")
MODES_ORDER = ("demo", "full", "quick")


def _fmt(x: float | None, unit: str) -> str:
    if x is None:
        return "—"
    if unit == "share":
        return f"{100 * x:.1f} %"
    return f"{x:.2f}" if unit == "ratio" else f"{x:.1f}"


def text_table(record: dict[str, Any]) -> str:
    """The console report: one line per figure, then its basis and source."""
    lines = [f"calibration ({record['mode']}): generated vs target"]
    for r in record["rows"]:
        mark = "ok " if r["ok"] else "OUT"
        rng = f"[{_fmt(r['low'], r['unit'])} … {_fmt(r['high'], r['unit'])}]"
        lines.append(
            f"  {mark} {r['figure']}: {_fmt(r['measured'], r['unit'])}"
            f" (target {_fmt(r['target'], r['unit'])} {rng}; {r['basis']})"
        )
        lines.append(f"        source: {r['source']}")
    return "\n".join(lines)


def latest(path: Path) -> list[dict[str, Any]]:
    """The newest record of each mode in a results file, in MODES order."""
    newest: dict[str, dict[str, Any]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            record = json.loads(line)
            newest[record["mode"]] = record
    return [newest[m] for m in MODES_ORDER if m in newest]


def _markdown_record(record: dict[str, Any]) -> list[str]:
    g, prov, t = record["generator"], record["provenance"], record["timings"]
    out = [
        f"## {record['mode']}: {g['complaints']:,} complaints, {g['quarters']} quarters to "
        f"{g['end']}, seed {g['seed']}",
        "",
        f"Measured {prov['at']} on {prov['machine']}, Python {prov['python']}, DuckDB "
        f"{prov['duckdb']}, commit {prov['git_commit'][:12]}"
        f"{' (uncommitted changes)' if prov['git_dirty'] else ''}. Generate {t['generate_s']} s, "
        f"ingest {t['ingest_s']} s, rate {t['rate_s']} s. "
        f"{'Every figure is within its range.' if record['ok'] else '**Some figures are out of range.**'}",
        "",
        "| figure | generated | target | range | | basis |",
        "|---|---|---|---|---|---|",
    ]
    for r in record["rows"]:
        out.append(
            f"| {r['figure']} | {_fmt(r['measured'], r['unit'])} | {_fmt(r['target'], r['unit'])} "
            f"| {_fmt(r['low'], r['unit'])} … {_fmt(r['high'], r['unit'])} "
            f"| {'ok' if r['ok'] else '**out**'} | {r['basis']} |"
        )
    out += [
        "",
        "| quarter | graded | " + " | ".join(GRADES) + " | black list | entries | downgrades |",
    ]
    out.append("|---" * (len(GRADES) + 6) + "|")
    for q in record["quarters"]:
        cells = " | ".join(str(q["grades"][x]) for x in GRADES)
        out.append(
            f"| {q['period']} | {q['graded']:,} | {cells} | {q['black']} | {q['black_entries']}"
            f"{'' if q['steady'] else ' ¹'} | {q['downgrades']} |"
        )
    d = record["details"]
    out += [
        "",
        "¹ fewer than three earlier rated quarters: the streak of three C cannot be seen whole, "
        "so these entries are not counted in the per-1,000 figure (the 3rd quarter takes in every "
        "company that was C from the start).",
        "",
        f"Also measured (no target): {100 * d['black_list_share']:.1f} % of rated company-quarters "
        f"on the black list, {100 * d['downgrade_share']:.1f} % downgraded (after the first "
        f"quarter); {d['households_per_project']:,.0f} households per project on average.",
        "",
    ]
    return out


def markdown(records: list[dict[str, Any]]) -> str:
    """CALIBRATION.md: per mode the figures with ranges, the quarters, then every source."""
    out = [
        "# Calibration: the generated city against published outcomes",
        "",
        "Written by `python -m benchmarks.calibration` (`--quick`, `--mode demo`) from the newest "
        "line of each mode in `results/calibration.jsonl`. Targets, ranges and sources: "
        "`rating/synth/targets.toml`. Every quarter is rated in order under `yantai-2022`, so "
        "streaks and downgrades read the quarters before.",
        "",
    ]
    for record in records:
        out += _markdown_record(record)
    if records:
        out += ["## Sources", "", "| figure | basis | source |", "|---|---|---|"]
        out += [f"| {r['figure']} | {r['basis']} | {r['source']} |" for r in records[0]["rows"]]
        out.append("")
    return "\n".join(out)
