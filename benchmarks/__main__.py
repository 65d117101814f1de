"""`python -m benchmarks [--quick] [--sizes 1M,10M,100M] …`: run the benchmark, write results.

Full runs append one JSON line per size to `benchmarks/results/results.jsonl` and rewrite
`benchmarks/RESULTS.md` from it. `--quick` (CI) rates a small generated city in a temporary
folder, writes nowhere in the repository, and exits 1 when the engine and its peers disagree.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from benchmarks import report
from benchmarks.harness import Options, run_size
from benchmarks.sizes import SIZES

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "results.jsonl"


def parse(argv: list[str]) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    ap.add_argument("--quick", action="store_true", help="small city, for CI (a few minutes)")
    ap.add_argument("--sizes", default="1M,10M,100M", help="comma-separated: quick, 1M, 10M, 100M")
    ap.add_argument("--work", type=Path, help="data and warehouses (default benchmarks/work)")
    ap.add_argument("--results", type=Path, help=f"JSON-lines file (default {RESULTS})")
    ap.add_argument("--pandas-cap-gib", type=float, default=12.0, help="kill pandas past this RSS")
    ap.add_argument("--threads", type=int, default=0, help="DuckDB threads (0: DuckDB decides)")
    ap.add_argument("--memory-limit", default="", help="DuckDB memory limit of the run, e.g. 3GB")
    ap.add_argument("--ingest-memory-limit", default="", help="DuckDB memory limit of ingest")
    ap.add_argument("--no-http", action="store_true", help="skip the HTTP lookup")
    ap.add_argument("--no-probes", action="store_true", help="skip the per-format ingest probes")
    ap.add_argument(
        "--reuse-warehouse",
        action="store_true",
        help="keep the ingested warehouse with its rated history in work/prepared/<size>/ "
        "and start from it when the same size is run again (skips ingest and history)",
    )
    return ap.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(sys.argv[1:] if argv is None else argv)
    sizes = ["quick"] if args.quick else [s.strip() for s in args.sizes.split(",") if s.strip()]
    unknown = [s for s in sizes if s not in SIZES]
    if unknown:
        print(f"unknown sizes: {', '.join(unknown)} (use {', '.join(SIZES)})", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="rating-bench-") as tmp:
        work = args.work or (Path(tmp) if args.quick else HERE / "work")
        results = args.results or (work / "results.jsonl" if args.quick else RESULTS)
        opts = Options(
            work=work,
            pandas_cap_gib=args.pandas_cap_gib,
            threads=args.threads,
            memory_limit=args.memory_limit,
            ingest_memory_limit=args.ingest_memory_limit,
            http=not args.no_http,
            probes=not args.no_probes,
            reuse_warehouse=args.reuse_warehouse,
        )
        agreed = True
        for name in sizes:
            record = run_size(SIZES[name], opts, lambda line: print(line, flush=True))
            report.append(results, record)
            agreed &= record["agreement"]["agreed"]
            status = "agree" if record["agreement"]["agreed"] else "DISAGREE"
            print(f"[{name}] engine, floor and pandas {status}", flush=True)
        if not args.quick:
            (HERE / "RESULTS.md").write_text(
                report.markdown(report.latest(results)), encoding="utf-8"
            )
        else:
            print(report.markdown(report.latest(results)))
    return 0 if agreed else 1


if __name__ == "__main__":
    sys.exit(main())
