"""The realistic-noise sections of `MATCHING.md`: per draw, and per noise kind with its worst draw."""

from __future__ import annotations

from typing import Any

TITLES = {
    "realistic": "{n} independent draws of 20,000 complaints",
    "realistic-quick": "{n} independent draws of 6,000 complaints",
    "realistic-large": "a city of 200,000 complaints",
}


def _pct(x: float | None, digits: int = 2) -> str:
    return "–" if x is None else f"{x:.{digits}%}"


def realistic_section(mode: str, rec: dict[str, Any]) -> str:
    """Markdown for one realistic record: targets, a row per draw, a row per noise kind."""
    g, p, model = rec["generator"], rec["provenance"], rec["model"]
    draws = rec["draws"]
    out = [
        f"## {mode}: {TITLES.get(mode, '{n} draws').format(n=len(draws))}, {g['quarters']} quarters\n\n"
        f"Noise model `{rec['noise_model']}` (`HOTLINE_NOISE.md`), matcher weights "
        f"`{model['version']}` (threshold {model['threshold']}). Measured {p['at']} on "
        f"{p['machine']}, Python {p['python']}, DuckDB {p['duckdb']}, commit "
        f"{p['git_commit'][:12]}{' (uncommitted changes)' if p['git_dirty'] else ''}.\n\n"
        "| draw (seed) | orders | unregistered | matched automatically | precision | recall "
        "| recall of registered | unregistered matched | in review | ingest s |\n"
        "|---|---|---|---|---|---|---|---|---|---|\n"
    ]
    for d in draws:
        out.append(
            f"| {d['seed']} | {d['orders']:,} | {d['unregistered']:,} | {d['matched']:,} | "
            f"{_pct(d['precision'], 3)} | {_pct(d['recall'])} | {_pct(d['recall_registered'])} | "
            f"**{d['unregistered_matched']}** | {d['in_review']:,} | {d['ingest_s']} |\n"
        )
    out.append(
        "\nPer noise kind (an order carries one kind per field): orders and automatic matches "
        "summed over the draws, precision and recall pooled and in the worst draw.\n\n"
        "| kind | orders | matched automatically | precision | worst draw | recall | worst draw "
        "| unregistered matched |\n|---|---|---|---|---|---|---|---|\n"
    )
    kinds = sorted({k for d in draws for k in d["kinds"]})
    for kind in kinds:
        rows = [d["kinds"][kind] for d in draws if kind in d["kinds"]]
        n = sum(r["orders"] for r in rows)
        auto = sum(r["matched"] for r in rows)
        right = sum(r["right"] for r in rows)
        precisions = [r["precision"] for r in rows if r["precision"] is not None]
        recalls = [r["recall"] for r in rows if r["recall"] is not None]
        out.append(
            f"| {kind} | {n:,} | {auto:,} | {_pct(right / auto if auto else None, 2)} | "
            f"{_pct(min(precisions) if precisions else None, 2)} | {_pct(right / n if n else None)} | "
            f"{_pct(min(recalls) if recalls else None)} | "
            f"{sum(r['unregistered_matched'] for r in rows)} |\n"
        )
    return "".join(out) + "\n"
