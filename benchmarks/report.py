"""Results as JSON lines, and RESULTS.md (tables with ratios, targets met or missed) from them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

ORDER = ["quick", "1M", "10M", "100M"]
GiB = 1 << 30

TARGETS = {
    "engine_vs_floor": 4.0,  # full run ≤ 4 × the floor
    "pandas_vs_engine": 10.0,  # pandas ≥ 10 × slower (or out of memory)
    "peak_rss_gib": 4.0,
    "csv_rows_per_second": 1_500_000,
    "replay_vs_run": 1.2,
    "linearity": 0.15,  # cost per complaint grows at most 15 % from 1M to 10M and 100M
}


def append(path: Path, record: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n")


def latest(path: Path) -> dict[str, dict[str, Any]]:
    """The newest record of each size in a JSON-lines file."""
    found: dict[str, dict[str, Any]] = {}
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                record = json.loads(line)
                found[record["size"]] = record
    return {k: found[k] for k in ORDER if k in found}


def ratios(r: dict[str, Any]) -> dict[str, float | None]:
    run, floor, replay, pandas = r["run"], r["floor"], r["replay"], r["pandas"]
    return {
        "engine_vs_floor": run["seconds"] / floor["seconds"] if floor["seconds"] else None,
        "pandas_vs_engine": pandas["seconds"] / run["seconds"]
        if pandas["status"] == "ok"
        else None,
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


def _row(r: dict[str, Any]) -> str:
    q = ratios(r)
    probes = r.get("format_probes") or {}
    gb = r["ingest"]["by"].get("complaints", {}).get("rows_per_second")
    pvs = q["pandas_vs_engine"]
    pandas_ratio = f"{pvs:.1f}×" if pvs else ("OOM" if r["pandas"]["status"] != "ok" else "–")
    cells = [
        r["size"],
        f"{r['complaints']:,}",
        _fmt_rate(gb),
        " / ".join(
            _fmt_rate(probes.get(k, {}).get("rows_per_second"))
            for k in ("csv:gb18030", "csv:utf-8", "parquet")
        ),
        f"{r['run']['seconds']:.2f} s",
        f"{r['run']['peak_rss_gib']:.2f} GiB",
        f"{r['floor']['seconds']:.2f} s",
        f"{q['engine_vs_floor']:.1f}×" if q["engine_vs_floor"] else "–",
        _pandas_cell(r),
        pandas_ratio,
        f"{r['replay']['seconds']:.2f} s ({q['replay_vs_run']:.2f}×)",
        _http_cell(r.get("http_lookup") or {}),
        "yes" if r["agreement"]["agreed"] else "**NO**",
    ]
    return "| " + " | ".join(cells) + " |"


HEADER = (
    "| size | complaints | ingest, complaints (GB18030, whole folder) rows/s "
    "| ingest probe GB18030 / UTF-8 / Parquet rows/s | engine run | run peak RSS | floor "
    "| engine / floor | pandas | pandas / engine | replay (/ run) "
    "| HTTP lookup p50 / p99 (req/s) | agree |\n"
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|:---:|"
)


def _per_m(r: dict[str, Any], part: str) -> float:
    return float(r[part]["seconds"]) / (r["complaints"] / 1e6)


def linearity(records: dict[str, dict[str, Any]]) -> list[str]:
    """Seconds per million complaints, relative to 1M."""
    base = records.get("1M")
    if not base:
        return []
    lines = [
        "| size | run s / M complaints | × 1M | ingest s / M complaints | × 1M |",
        "|---|---:|---:|---:|---:|",
    ]
    for name in ("1M", "10M", "100M"):
        if name in records:
            run, ing = _per_m(records[name], "run"), _per_m(records[name], "ingest")
            lines.append(
                f"| {name} | {run:.3f} | {run / _per_m(base, 'run'):.2f} "
                f"| {ing:.2f} | {ing / _per_m(base, 'ingest'):.2f} |"
            )
    return lines


def _growth(records: dict[str, dict[str, Any]]) -> dict[str, float]:
    """Seconds per million complaints at 10M and 100M relative to 1M, for run and ingest."""
    base = records.get("1M")
    if not base:
        return {}
    return {
        f"{part} {name}": _per_m(records[name], part) / _per_m(base, part)
        for name in ("10M", "100M")
        if name in records
        for part in ("run", "ingest")
    }


def _csv_rates(records: dict[str, dict[str, Any]]) -> tuple[str, list[float]]:
    """GB18030 and UTF-8 probe rates at the largest size that has probes."""
    with_probes = [n for n, r in records.items() if r.get("format_probes")]
    if not with_probes:
        return "", [0.0, 0.0]
    probes = records[with_probes[-1]]["format_probes"]
    rates = [float(probes[k]["rows_per_second"]) for k in ("csv:gb18030", "csv:utf-8")]
    return with_probes[-1], rates


Check = tuple[str, str, str, bool]


def _checks(records: dict[str, dict[str, Any]], r: dict[str, Any]) -> list[Check]:
    q = ratios(r)
    evf, pve, rvr = q["engine_vs_floor"] or 99.0, q["pandas_vs_engine"], q["replay_vs_run"] or 99.0
    pandas_oom = r["pandas"]["status"] == "out_of_memory"
    rss = r["run"]["peak_rss_gib"]
    probed, csv = _csv_rates(records)
    checks: list[Check] = [
        ("full run ≤ 4× the floor", f"{evf:.1f}×", "≤ 4×", evf <= TARGETS["engine_vs_floor"]),
        (
            "pandas ≥ 10× slower than the engine, or out of memory",
            "out of memory" if pandas_oom else f"{pve or 0:.2f}×",
            "≥ 10×",
            pandas_oom or (pve or 0) >= TARGETS["pandas_vs_engine"],
        ),
        ("engine peak RSS ≤ 4 GiB", f"{rss:.2f} GiB", "≤ 4 GiB", rss <= TARGETS["peak_rss_gib"]),
        (
            f"CSV ingest with validation ≥ 1.5M rows/s (GB18030 / UTF-8 probes, {probed})",
            " / ".join(_fmt_rate(v) for v in csv),
            "≥ 1.50M",
            min(csv) >= TARGETS["csv_rows_per_second"],
        ),
        ("replay ≤ 1.2× the run", f"{rvr:.2f}×", "≤ 1.2×", rvr <= TARGETS["replay_vs_run"]),
    ]
    growth = _growth(records)
    if growth:
        checks.append(
            (
                "cost per complaint grows ≤ 15 % from 1M",
                ", ".join(f"{k} {v:.2f}×" for k, v in growth.items()),
                "≤ 1.15×",
                max(growth.values()) <= 1 + TARGETS["linearity"],
            )
        )
    return checks


def targets(records: dict[str, dict[str, Any]]) -> list[str]:
    """Each target of the issue, at the largest size measured: met or missed, by how much."""
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
    for label, shown, wanted, met in _checks(records, r):
        lines.append(f"| {label} | {shown} | {wanted} | {'yes' if met else '**no**'} |")
    return lines


def _settings_note(r: dict[str, Any]) -> str:
    s = r.get("settings") or {}
    parts = [
        f"DuckDB memory limit {s.get('memory_limit') or 'default'} (run, replay, floor)",
        f"{s.get('ingest_memory_limit') or 'default'} (ingest)",
        f"pandas cap {s.get('pandas_cap_gib', 12)} GiB",
    ]
    return ", ".join(parts)


def markdown(records: dict[str, dict[str, Any]]) -> str:
    parts = [
        "# Benchmark results",
        "",
        "Generated by `python -m benchmarks` from `benchmarks/results/results.jsonl` (the newest",
        "record of each size); see `benchmarks/README.md` for what each number means.",
        "",
        HEADER,
        *[_row(r) for r in records.values()],
        "",
        *targets(records),
        "",
    ]
    lin = linearity(records)
    if lin:
        parts += ["Cost per complaint as the city grows (linear = 1.00):", "", *lin, ""]
    parts += ["## Provenance", ""]
    for r in records.values():
        m, g, d = r["machine"], r["git"], r["data"]
        parts.append(
            f"* **{r['size']}** — {r['measured_at']}, commit `{g['commit'][:12]}`"
            f"{' (uncommitted changes)' if g['dirty'] else ''}, rules `{r['rules']}` logic "
            f"`{r['fingerprint']['logic'][:12]}`; {m['cpu']}, {m['cores']} cores, "
            f"{m['memory_gib']} GiB, load at start {m['load_average_at_start']}; "
            f"{_settings_note(r)}; {d['companies']:,} companies, {d['projects']:,} projects, "
            "rows "
            + ", ".join(f"{k} {v:,}" for k, v in d["rows"].items())
            + f"; warehouse {d['warehouse_bytes'] / GiB:.2f} GiB."
        )
    return "\n".join(parts) + "\n"
