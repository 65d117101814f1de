"""Results as JSON lines, and RESULTS.md (tables with ratios, targets met or missed) from them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

ORDER = ["quick", "1M", "10M", "100M"]
GiB = 1 << 30
# Ingest's own limit when a record names none (rating.settings: RATING_INGEST_MEMORY_LIMIT);
# every record before session 10 ingested under it, whatever --ingest-memory-limit said.
INGEST_DEFAULT = "1GB (default)"

HARNESS = 2  # RESULTS.md shows only records of this harness (history present, whole processes)

TARGETS = {
    "engine_vs_floor": 4.0,  # `rating run` ≤ 4 × the floor query, both whole processes
    "pandas_vs_engine": 10.0,  # pandas ≥ 10 × slower (or out of memory)
    "peak_rss_gib": 4.0,
    "ingest_rss_gib": 2.0,
    "ingest_vs_floor": {"csv:gb18030": 0.7, "csv:utf-8": 0.8, "parquet": 0.8},  # speed ratios
    "replay_vs_run": 1.2,
    "linearity": 0.15,  # cost per complaint grows at most 15 % from 1M to 10M and 100M
}


def append(path: Path, record: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n")


def latest(path: Path, scope: str = "all") -> dict[str, dict[str, Any]]:
    """The newest record of each size in a JSON-lines file, of the current harness only
    (older records rated the last quarter alone and timed the run in-process).

    `scope="all"`: records of a whole run (engine and ingest); `scope="ingest"`: the record
    holding the newest ingest figures, a whole run's or one of `--ingest-only` — a run that
    reused a prepared warehouse carries the ingest figures of when it was prepared, so an
    `--ingest-only` record made since is newer."""
    found: dict[str, dict[str, Any]] = {}
    when: dict[str, str] = {}
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                record = json.loads(line)
                wanted = scope == "ingest" or record.get("scope", "all") == "all"
                if record.get("harness") != HARNESS or not wanted:
                    continue
                measured = str(record.get("measured_at", ""))
                if scope == "ingest" and record.get("reused"):
                    measured = str(record["reused"].get("measured_at", measured))
                if measured >= when.get(record["size"], ""):
                    found[record["size"]], when[record["size"]] = record, measured
    return {k: found[k] for k in ORDER if k in found}


def ratios(r: dict[str, Any]) -> dict[str, float | None]:
    """Whole process against whole process: `rating run` / floor, replay / run, pandas / run."""
    run, floor, replay, pandas = r["run"], r["floor"], r["replay"], r["pandas"]
    inner = run["in_process"]["seconds"]
    return {
        "engine_vs_floor": run["seconds"] / floor["seconds"] if floor["seconds"] else None,
        "in_process_vs_floor": inner / floor["in_process_seconds"]
        if floor["in_process_seconds"]
        else None,
        "pandas_vs_engine": pandas["seconds"] / inner if pandas["status"] == "ok" else None,
        "replay_vs_run": replay["seconds"] / run["seconds"],
    }


def _fmt_rate(value: Any) -> str:
    return f"{value / 1e6:.2f}M" if value else "–"


def _pandas_cell(r: dict[str, Any]) -> str:
    p = r["pandas"]
    if p["status"] == "ok":
        return f"{p['seconds']:.1f} s / {p['peak_rss_gib']:.1f} GiB"
    if p["status"] == "out_of_memory":
        return f"out of memory after {p['seconds']:.0f} s ({p['peak_rss_gib']:.1f} GiB)"
    return "failed"


def _http_cell(h: dict[str, Any]) -> str:
    if "p50_ms" not in h:
        return "skipped" if "skipped" in h else "–"
    return f"{h['p50_ms']:.2f} / {h['p99_ms']:.2f} ms ({h['requests_per_second']:,.0f}/s)"


def _x(value: float | None, digits: int = 1) -> str:
    return f"{value:.{digits}f}×" if value else "–"


def _row(r: dict[str, Any]) -> str:
    q = ratios(r)
    run, floor, summary = r["run"], r["floor"], r["run"]["summary"]
    pvs = q["pandas_vs_engine"]
    pandas_ratio = _x(pvs) if pvs else ("OOM" if r["pandas"]["status"] != "ok" else "–")
    cells = [
        r["size"],
        f"{r['complaints']:,}",
        f"{len(r['history']['runs'])} ({summary['black']:,} / {summary['downgrades']:,})",
        f"{run['seconds']:.2f} s",
        f"{floor['seconds']:.2f} s",
        f"**{_x(q['engine_vs_floor'])}**",
        f"{run['in_process']['seconds']:.2f} s / {floor['in_process_seconds']:.2f} s "
        f"({_x(q['in_process_vs_floor'])})",
        f"{run['peak_rss_gib']:.2f} GiB",
        f"{r['replay']['seconds']:.2f} s ({q['replay_vs_run']:.2f}×)",
        _pandas_cell(r),
        pandas_ratio,
        _http_cell(r.get("http_lookup") or {}),
        "yes" if r["agreement"]["agreed"] else "**NO**",
    ]
    return "| " + " | ".join(cells) + " |"


HEADER = (
    "| size | complaints | quarters rated before (black / downgrades) | `rating run` "
    "| floor | run / floor | in-process run / floor | run peak RSS | `rating replay` (/ run) "
    "| pandas | pandas / in-process run | HTTP lookup p50 / p99 (req/s) | agree |\n"
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|:---:|"
)

PROBES = ("csv:gb18030", "csv:utf-8", "parquet")


def _folder_vs_floor(r: dict[str, Any]) -> float | None:
    """Whole-folder complaint ingest: the floor's seconds over ingest's (speed ratio)."""
    bare = r.get("ingest_floor") or {}
    mine = r["ingest"]["by"].get("complaints", {}).get("seconds")
    return bare["seconds"] / mine if bare.get("seconds") and mine else None


def _probe_cell(p: dict[str, Any] | None) -> str:
    if not p:
        return "–"
    return (
        f"{p['seconds']:.1f} s / {p['floor_seconds']:.1f} s (**{p['vs_floor']:.2f}×**), "
        f"{p['peak_rss_gib']:.2f} GiB"
    )


def _ingest_row(r: dict[str, Any]) -> str:
    by = r["ingest"]["by"].get("complaints", {})
    probes = r.get("format_probes") or {}
    bare = r.get("ingest_floor") or {}
    cells = [
        r["size"],
        f"{by.get('seconds', 0):.1f} s ({_fmt_rate(by.get('rows_per_second'))} rows/s)",
        f"{bare.get('seconds', 0):.1f} s",
        f"**{_x(_folder_vs_floor(r), 2)}**",
        f"{r['ingest']['peak_rss_gib']:.2f} GiB",
        *(_probe_cell(probes.get(k)) for k in PROBES),
    ]
    return "| " + " | ".join(cells) + " |"


INGEST_HEADER = (
    "| size | ingest, complaints (whole folder, every check) | floor (iconv + bare read_csv) "
    "| speed / floor | ingest peak RSS (whole folder) | probe GB18030: ingest / floor (speed), RSS "
    "| probe UTF-8 | probe Parquet |\n"
    "|---|---:|---:|---:|---:|---:|---:|---:|"
)


def _per_m(r: dict[str, Any], part: str) -> float:
    if part == "ingest":
        seconds = r["ingest"]["by"].get("complaints", {}).get("seconds", 0.0)
    else:
        seconds = r[part]["seconds"]
    return float(seconds) / (r["complaints"] / 1e6)


def linearity(records: dict[str, dict[str, Any]]) -> list[str]:
    """Seconds per million complaints, relative to 1M."""
    base = records.get("1M")
    if not base:
        return []
    lines = [
        "| size | run s / M complaints | × 1M | complaint ingest s / M complaints | × 1M |",
        "|---|---:|---:|---:|---:|",
    ]
    for name in ("1M", "10M", "100M"):
        if name in records:
            run, ing = _per_m(records[name], "run"), _per_m(records[name], "ingest")
            if not _comparable(base, records[name]):
                lines.append(f"| {name} | {run:.3f} | – | {ing:.2f} | – |")
                continue
            lines.append(
                f"| {name} | {run:.3f} | {run / _per_m(base, 'run'):.2f} "
                f"| {ing:.2f} | {ing / _per_m(base, 'ingest'):.2f} |"
            )
    if any(not _comparable(base, r) for r in records.values()):
        lines += ["", "– : measured at another commit than 1M (at another load): not compared."]
    return lines


def _comparable(base: dict[str, Any], r: dict[str, Any]) -> bool:
    """Two sizes' costs are compared only when measured at one commit: records made at
    different times differ by the machine's load as much as by the city's size."""
    return bool(base.get("git", {}).get("commit") == r.get("git", {}).get("commit"))


def _growth(records: dict[str, dict[str, Any]]) -> dict[str, float]:
    """Seconds per million complaints at 10M and 100M relative to 1M, for run and ingest."""
    base = records.get("1M")
    if not base:
        return {}
    return {
        f"{part} {name}": _per_m(records[name], part) / _per_m(base, part)
        for name in ("10M", "100M")
        if name in records and _comparable(base, records[name])
        for part in ("run", "ingest")
    }


Check = tuple[str, str, str, bool]


def _ingest_checks(r: dict[str, Any]) -> list[Check]:
    probes = r.get("format_probes") or {}
    wanted: dict[str, float] = TARGETS["ingest_vs_floor"]  # type: ignore[assignment]
    checks: list[Check] = []
    for fmt in PROBES:
        if fmt in probes:
            got = float(probes[fmt]["vs_floor"])
            checks.append(
                (
                    f"ingest probe {fmt} speed ≥ {wanted[fmt]}× its floor",
                    f"{got:.2f}×",
                    f"≥ {wanted[fmt]}×",
                    got >= wanted[fmt],
                )
            )
    rss = max([r["ingest"]["peak_rss_gib"], *(float(p["peak_rss_gib"]) for p in probes.values())])
    limit = TARGETS["ingest_rss_gib"]
    checks.append(("ingest peak RSS ≤ 2 GiB", f"{rss:.2f} GiB", "≤ 2 GiB", rss <= limit))  # type: ignore[operator]
    return checks


def disturbed(r: dict[str, Any]) -> bool:
    """The machine's load moved between the measurements of one record: the whole `rating run`
    process took less than its own in-process part (which it contains). Ratios of such a
    record compare a quiet moment with a busy one; no verdict rests on them."""
    run = r["run"]
    return bool(run["seconds"] < 0.95 * run["in_process"]["seconds"])


UNJUDGED = "not judged: load moved (whole process < its in-process part)"


def _checks(
    records: dict[str, dict[str, Any]], r: dict[str, Any], ingest: dict[str, Any]
) -> list[Check]:
    q = ratios(r)
    evf, pve, rvr = q["engine_vs_floor"] or 99.0, q["pandas_vs_engine"], q["replay_vs_run"] or 99.0
    pandas_oom = r["pandas"]["status"] == "out_of_memory"
    rss = r["run"]["peak_rss_gib"]
    moved = disturbed(r)
    checks: list[Check] = [
        (
            "`rating run` ≤ 4× the floor (whole processes, history present)",
            f"{evf:.1f}× — {UNJUDGED}" if moved else f"{evf:.1f}×",
            "≤ 4×",
            not moved and evf <= TARGETS["engine_vs_floor"],  # type: ignore[operator]
        ),
        (
            "pandas ≥ 10× slower than the engine, or out of memory",
            "out of memory" if pandas_oom else f"{pve or 0:.2f}×",
            "≥ 10×",
            pandas_oom or (pve or 0) >= TARGETS["pandas_vs_engine"],  # type: ignore[operator]
        ),
        ("engine peak RSS ≤ 4 GiB", f"{rss:.2f} GiB", "≤ 4 GiB", rss <= TARGETS["peak_rss_gib"]),  # type: ignore[operator]
        *_ingest_checks(ingest),
        (
            "replay ≤ 1.2× the run",
            f"{rvr:.2f}× — {UNJUDGED}" if moved else f"{rvr:.2f}×",
            "≤ 1.2×",
            not moved and rvr <= TARGETS["replay_vs_run"],  # type: ignore[operator]
        ),
    ]
    growth = _growth(records)
    if not growth and len(records) > 1 and "1M" in records:
        label = "cost per complaint grows ≤ 15 % from 1M"
        checks.append((label, "not measured at one commit", "≤ 1.15×", False))
    if growth:
        checks.append(
            (
                "cost per complaint grows ≤ 15 % from 1M",
                ", ".join(f"{k} {v:.2f}×" for k, v in growth.items()),
                "≤ 1.15×",
                max(growth.values()) <= 1 + TARGETS["linearity"],  # type: ignore[operator]
            )
        )
    return checks


def targets(
    records: dict[str, dict[str, Any]], ingest: dict[str, dict[str, Any]] | None = None
) -> list[str]:
    """Each target of the issue, at the largest size measured: met or missed, by how much
    (the ingest targets from that size's newest ingest figures, `ingest`)."""
    if not records:
        return []
    name = list(records)[-1]
    r = records[name]
    lines = [
        f"Targets at **{name}** ({r['complaints']:,} complaints):",
        "",
        "| target | measured | wanted | met |",
        "|---|---:|---:|:---:|",
    ]
    for label, shown, wanted, met in _checks(records, r, (ingest or records).get(name, r)):
        lines.append(f"| {label} | {shown} | {wanted} | {'yes' if met else '**no**'} |")
    return lines


def _settings_note(r: dict[str, Any]) -> str:
    s = r.get("settings") or {}
    if r.get("scope") == "ingest":
        return f"DuckDB memory limit {s.get('ingest_memory_limit') or INGEST_DEFAULT} (ingest)"
    parts = [
        f"DuckDB memory limit {s.get('memory_limit') or 'default'} (run, replay, floor)",
        f"{s.get('ingest_memory_limit') or INGEST_DEFAULT} (ingest)",
        f"pandas cap {s.get('pandas_cap_gib', 12)} GiB",
    ]
    return ", ".join(parts)


def _reused_note(r: dict[str, Any]) -> str:
    """`--reuse-warehouse`: the ingest and history figures came with the kept warehouse."""
    reused = r.get("reused")
    if not reused:
        return ""
    return (
        f"; ingest and history figures from the warehouse prepared at {reused['measured_at']}"
        f" (commit `{reused['git']['commit'][:12]}`), reused by `--reuse-warehouse`"
    )


def markdown(
    records: dict[str, dict[str, Any]], ingest: dict[str, dict[str, Any]] | None = None
) -> str:
    """RESULTS.md: the engine tables from `records` (`latest(path)`), the ingest table from
    `ingest` (`latest(path, "ingest")`; by default the same records)."""
    ingest = records if ingest is None else ingest
    parts = [
        "# Benchmark results",
        "",
        "Generated by `python -m benchmarks` from `benchmarks/results/results.jsonl` (the newest",
        "record of each size measured by the current harness: every quarter rated in order, the",
        "last one timed with history present, `rating run` and the floor each as a whole",
        "process); see `benchmarks/README.md` for what each number means and what the floors",
        "leave out. Ratios are within one run; absolute times move with the machine's load.",
        "",
        "## Engine run",
        "",
        HEADER,
        *[_row(r) for r in records.values()],
        "",
        "## Ingest against its floor",
        "",
        INGEST_HEADER,
        *[_ingest_row(r) for r in ingest.values()],
        "",
        *targets(records, ingest),
        "",
    ]
    lin = linearity(records)
    if lin:
        parts += ["Cost per complaint as the city grows (linear = 1.00):", "", *lin, ""]
    parts += ["## Provenance", ""]
    shown = [*records.values(), *(r for r in ingest.values() if r.get("scope") == "ingest")]
    for r in shown:
        parts.append(_provenance(r))
    return "\n".join(parts) + "\n"


def _provenance(r: dict[str, Any]) -> str:
    m, g, d = r["machine"], r["git"], r["data"]
    rules = (
        f", rules `{r['rules']}` logic `{r['fingerprint']['logic'][:12]}`"
        if "rules" in r
        else " (ingest only)"
    )
    end = f", at end {m['load_average_at_end']}" if "load_average_at_end" in m else ""
    return (
        f"* **{r['size']}** — {r['measured_at']}, commit `{g['commit'][:12]}`"
        f"{' (uncommitted changes)' if g['dirty'] else ''}"
        f"{' (the tree changed while it ran)' if g.get('changed_during_run') else ''}"
        f"{rules}; {m['cpu']}, {m['cores']} cores, "
        f"{m['memory_gib']} GiB, load at start {m['load_average_at_start']}{end}; "
        f"{_settings_note(r)}; {d['companies']:,} companies, {d['projects']:,} projects, "
        "rows "
        + ", ".join(f"{k} {v:,}" for k, v in d["rows"].items())
        + f"; warehouse {d['warehouse_bytes'] / GiB:.2f} GiB"
        + _reused_note(r)
        + "."
    )
