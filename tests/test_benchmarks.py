"""The benchmark harness runs (quick mode, as in CI) and the engine agrees with its peers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks import harness, report
from benchmarks.__main__ import HERE, RESULTS, main
from benchmarks.measure import Measured


@pytest.mark.slow
def test_quick_benchmark_runs_and_the_engine_agrees_with_its_peers(tmp_path: Path) -> None:
    results = tmp_path / "results.jsonl"
    code = main(["--quick", "--work", str(tmp_path), "--results", str(results)])
    record = json.loads(results.read_text(encoding="utf-8").splitlines()[-1])
    assert code == 0
    agreement = record["agreement"]
    assert agreement["agreed"], agreement
    assert agreement["floor"]["compared"] > 1000
    for part in ("rule_points", "projects", "companies"):
        assert agreement["pandas"][part]["compared"] > 50, part
    assert record["replay"]["status"] == "MATCH"
    # The timed run is the one a bureau makes: earlier quarters rated first, read as history.
    assert len(record["history"]["runs"]) >= 3
    assert [h["periods_back"] for h in record["run"]["history_runs"]][:3] == [1, 2, 3]
    # Whole processes: `rating run` includes start-up, the floor its own; both are timed.
    assert record["run"]["seconds"] > record["run"]["in_process"]["seconds"] > 0
    assert record["floor"]["seconds"] > record["floor"]["in_process_seconds"] > 0
    assert record["ingest_floor"]["files"] and record["ingest_floor"]["seconds"] > 0
    assert all(p["vs_floor"] > 0 for p in record["format_probes"].values())
    assert record["run"]["status"] == record["floor"]["status"] == "ok"
    assert record["pandas"]["status"] == "ok"
    assert {f: p["rows_per_second"] > 0 for f, p in record["format_probes"].items()} == {
        "csv:gb18030": True,
        "csv:utf-8": True,
        "parquet": True,
    }
    http = record["http_lookup"]
    assert "skipped" in http or http["statuses"] == {"200": http["requests"]}
    assert record["git"]["commit"] and record["machine"]["cores"]
    assert "| quick |" in report.markdown(report.latest(results))


def test_a_prepared_warehouse_is_reused_for_the_same_data_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--reuse-warehouse`: ingest, its floor and history run once per size and data; a later
    run starts from the kept copy (migrated to the code's layout first) and its record says
    when that copy was measured."""
    folder = tmp_path / "data" / "1M"
    folder.mkdir(parents=True)
    (folder / "manifest.json").write_text('{"seed": 7}', encoding="utf-8")
    calls: list[str] = []

    def task(log: object, label: str, name: str, args: dict, **kw: object) -> Measured:
        calls.append(name)
        if name in ("ingest", "ingest_floor"):
            Path(args["db"]).write_bytes(name.encode())
        return Measured(name, "ok", 1.0, 0, {"files": [], "runs": [{"period": "2026Q2"}]})

    monkeypatch.setattr(harness, "logged_task", task)
    monkeypatch.setattr(harness, "plan_folder", lambda folder: [])
    opts = harness.Options(work=tmp_path, reuse_warehouse=True)
    out = tmp_path / "runs" / "1M"
    out.mkdir(parents=True)
    first = harness._prepare(folder, out, opts, lambda line: None)
    assert calls == ["ingest", "ingest_floor", "history"] and "reused" not in first
    (out / "rating.duckdb").unlink()
    again = harness._prepare(folder, out, opts, lambda line: None)
    # Nothing measured again; the kept copy is brought to the code's layout first, untimed.
    assert calls == ["ingest", "ingest_floor", "history", "migrate"]
    assert (out / "rating.duckdb").read_bytes() == b"ingest"
    assert again["reused"]["measured_at"] and again["history"] == first["history"]
    (folder / "manifest.json").write_text('{"seed": 8}', encoding="utf-8")  # other data
    assert "reused" not in harness._prepare(folder, out, opts, lambda line: None)
    assert calls.count("ingest") == 2


def test_results_md_is_generated_from_the_results_file() -> None:
    """RESULTS.md is never edited by hand: it is what the harness renders from the JSON lines."""
    if not RESULTS.exists():
        pytest.skip("no benchmark results recorded yet")
    expected = report.markdown(report.latest(RESULTS), report.latest(RESULTS, "ingest"))
    assert (HERE / "RESULTS.md").read_text(encoding="utf-8") == expected


WRK_OUTPUT = """Running 10s test @ http://127.0.0.1:8000
  1 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    12.05ms    2.10ms  40.00ms   90.00%
  Latency Distribution
     50%   11.80ms
     75%   12.50ms
     90%   13.90ms
     99%  950.00us
  26512 requests in 10.00s, 5.10MB read
  Non-2xx or 3xx responses: 3
Requests/sec:   2650.12
Transfer/sec:    522.00KB
"""


def test_wrk_output_is_read_in_milliseconds() -> None:
    from benchmarks.http_load import parse_wrk

    found = parse_wrk(WRK_OUTPUT)
    assert found["requests_per_second"] == 2650.1
    assert (found["p50_ms"], found["p99_ms"], found["non_2xx"]) == (11.8, 0.95, 3)


def test_an_ingest_only_record_fills_the_ingest_table_and_leaves_the_engine_table(
    tmp_path: Path,
) -> None:
    """`--ingest-only` records (no run) show in the ingest table and its targets; the engine
    table keeps the newest whole run of that size."""
    if not RESULTS.exists():
        pytest.skip("no benchmark results recorded yet")
    whole = report.latest(RESULTS)["10M"]
    ingest = {
        k: whole[k] for k in ("harness", "size", "complaints", "git", "machine", "data", "ingest")
    }
    ingest["ingest"] = {**whole["ingest"], "peak_rss_gib": 1.5}
    ingest.update(scope="ingest", measured_at="2099-01-01T00:00:00Z", settings={})
    ingest["ingest_floor"], ingest["format_probes"] = whole["ingest_floor"], {}
    results = tmp_path / "results.jsonl"
    report.append(results, whole)
    report.append(results, ingest)
    assert report.latest(results)["10M"] is not None
    assert "scope" not in report.latest(results)["10M"]
    assert report.latest(results, "ingest")["10M"]["scope"] == "ingest"
    shown = report.markdown(report.latest(results), report.latest(results, "ingest"))
    assert "| ingest peak RSS ≤ 2 GiB | 1.50 GiB | ≤ 2 GiB | yes |" in shown
    assert "* **10M** — 2099-01-01T00:00:00Z" in shown and "(ingest only)" in shown
    assert f"| 10M | {whole['complaints']:,} |" in shown  # the engine row is still there


def test_no_verdict_rests_on_a_record_whose_load_moved() -> None:
    """A whole `rating run` process cannot take less than its own in-process part: when it
    does, the load changed between the two, and the run and replay targets are not judged
    (session 6 recorded 2.6× "met" that way while the in-process ratio was 6.6×)."""
    base = {
        "run": {"seconds": 20.0, "in_process": {"seconds": 39.0}, "peak_rss_gib": 1.1},
        "floor": {"seconds": 7.7, "in_process_seconds": 5.9},
        "replay": {"seconds": 31.5},
        "pandas": {"status": "ok", "seconds": 34.0, "peak_rss_gib": 1.7},
        "complaints": 10_000_000,
        "ingest": {"peak_rss_gib": 1.2},
    }
    assert report.disturbed(base)
    checks = {
        label: (shown, met) for label, shown, _w, met in report._checks({"10M": base}, base, base)
    }
    run = checks["`rating run` ≤ 4× the floor (whole processes, history present)"]
    assert run[1] is False and "not judged" in run[0]
    steady = {**base, "run": {**base["run"], "seconds": 42.0}}
    assert not report.disturbed(steady)
    checks = {label: met for label, _s, _w, met in report._checks({"10M": steady}, steady, steady)}
    assert checks["`rating run` ≤ 4× the floor (whole processes, history present)"] is False  # 5.5×
