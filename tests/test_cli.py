"""The CLI end to end: a generated city through every command, and how errors look."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from rating.cli import main

pytestmark = pytest.mark.slow  # end to end (CLI, API, generated cities): not in `make test-fast`

ENV = {"RATING_NOW": "2026-11-01T09:00:00"}


@pytest.fixture(autouse=True)
def pinned_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    for k, v in ENV.items():
        monkeypatch.setenv(k, v)


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, Any]:
    code = main([*args, "--json"])
    out = capsys.readouterr().out
    return code, json.loads(out) if out.strip() else None


@pytest.fixture(scope="module")
def warehouse(generated_city: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("cli") / "w.duckdb"
    os.environ.update(ENV)
    assert main(["ingest", "--all", str(generated_city), "--db", str(db)]) == 0
    for period in ("2026Q1", "2026Q2", "2026Q3"):
        assert main(["run", "--period", period, "--db", str(db)]) == 0
    return db


def test_ingest_all_adds_up(
    capsys: pytest.CaptureFixture[str], generated_city: Path, tmp_path: Path
) -> None:
    code, out = cli(
        capsys, "ingest", "--all", str(generated_city), "--db", str(tmp_path / "w.duckdb")
    )
    assert code == 0
    assert out["rows_read"] == out["rows_loaded"] + out["rows_quarantined"] > 10_000
    kinds = [f["kind"] for f in out["files"]]
    assert kinds.index("companies") < kinds.index("projects") < kinds.index("complaints")
    for f in out["files"]:
        assert f["rows_read"] == f["rows_loaded"] + f["rows_quarantined"]
    code, again = cli(
        capsys, "ingest", "--all", str(generated_city), "--db", str(tmp_path / "w.duckdb")
    )
    assert {f["status"] for f in again["files"]} == {"already_loaded"}


def test_run_show_explain(capsys: pytest.CaptureFixture[str], warehouse: Path) -> None:
    code, run = cli(capsys, "run", "--period", "2026Q3", "--again", "--db", str(warehouse))
    assert code == 0
    for key in ("run_id", "period", "rules", "companies", "grades", "red", "black", "downgrades"):
        assert key in run
    assert sum(run["grades"].values()) == run["companies"] > 0
    code, shown = cli(
        capsys, "show", run["run_id"], "--list", "grades", "--limit", "5", "--db", str(warehouse)
    )
    assert shown["provenance"]["ruleset"] == "yantai-2022@1.1.3"
    first = shown["lists"]["grades"]["rows"][0]
    assert shown["lists"]["grades"]["truncated"] is True
    code, card = cli(
        capsys, "explain", first["uscc"], "--run", run["run_id"], "--db", str(warehouse)
    )
    assert code == 0 and card["company"]["grade"] == first["grade"]
    assert card["provenance"]["results_sha256"] == run["results_sha256"]
    for reason in card["reasons"]:
        assert reason["title"] and "effect" in reason


def test_same_run_twice_is_byte_identical(
    capsys: pytest.CaptureFixture[str], warehouse: Path
) -> None:
    code, refused = cli(capsys, "run", "--period", "2026Q2", "--db", str(warehouse))
    assert code != 0  # a run of 2026Q2 over the same records exists: RUN_UNCHANGED
    _, a = cli(capsys, "run", "--period", "2026Q2", "--again", "--db", str(warehouse))
    _, b = cli(capsys, "run", "--period", "2026Q2", "--again", "--db", str(warehouse))
    assert a["run_id"] != b["run_id"] and a["results_sha256"] == b["results_sha256"]


def test_runs_rules_quarantine_contracts(
    capsys: pytest.CaptureFixture[str], warehouse: Path
) -> None:
    _, runs = cli(capsys, "runs", "list", "--db", str(warehouse))
    assert len(runs) >= 3
    _, manifest = cli(capsys, "runs", "show", runs[0]["run_id"], "--db", str(warehouse))
    assert {"engine_version", "ruleset", "inputs", "watermark", "as_of", "timezone"} <= set(
        manifest["manifest"]
    )
    _, listed = cli(capsys, "rules", "list")
    assert {r["ref"] for r in listed} >= {
        "yantai-2022@1.0.0",
        "yantai-2022@1.0.1",
        "haikou-2019@1.0.0",
    }
    _, quarantined = cli(capsys, "quarantine", "--db", str(warehouse), "--limit", "3")
    assert sum(quarantined["reasons"].values()) > 0 and len(quarantined["rows"]) <= 3
    _, contracts = cli(capsys, "contracts")
    assert "complaints" in contracts


@pytest.mark.parametrize(
    ("args", "code", "exit_code"),
    [
        (["run", "--period", "2025Q5"], "PERIOD_INVALID", 2),
        (["run", "--period", "2026Q3", "--rules", "nope@1.0.0"], "RULESET_NOT_FOUND", 3),
        (["run", "--period", "2026Q3", "--rules", "haikou-2019@1.0.0"], "RULESET_NOT_IN_FORCE", 2),
        (["explain", "91370600AAAAAAAAA9"], "COMPANY_NOT_FOUND", 3),
        (["explain", "91370600AAAAAAAAAA"], "USCC_INVALID", 2),
        (["show", "2019Q1-01"], "RUN_NOT_FOUND", 3),
        (["ingest", "people", "x.csv"], "UNKNOWN_KIND", 2),
    ],
)
def test_errors_have_codes(
    capsys: pytest.CaptureFixture[str], warehouse: Path, args: list[str], code: str, exit_code: int
) -> None:
    got, out = cli(capsys, *args, "--db", str(warehouse))
    assert got == exit_code and out["ok"] is False and out["error"]["code"] == code


def test_a_wrong_file_is_one_line_and_no_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "complaints.csv"
    bad.write_bytes("统一社会信用代码,企业名称\n".encode("gbk"))
    env = {**os.environ, **ENV}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "rating.cli",
            "ingest",
            "complaints",
            str(bad),
            "--db",
            str(tmp_path / "w.duckdb"),
        ],
        capture_output=True,
        text=True,
        env=env,
    )
    assert done.returncode == 3
    assert "FILE_WRONG_KIND" in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) <= 3


def test_every_command_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    for command in (
        ["generate"],
        ["ingest"],
        ["quarantine"],
        ["batches"],
        ["contracts"],
        ["run"],
        ["show"],
        ["explain"],
        ["demo"],
        ["runs", "list"],
        ["runs", "show"],
        ["rules", "list"],
        ["rules", "show"],
        ["rules", "validate"],
    ):
        assert main([*command, "--help"]) == 0
        assert "用法：rating" in capsys.readouterr().out  # Chinese by default


def test_run_results_go_to_a_workbook_or_a_csv(
    capsys: pytest.CaptureFixture[str], warehouse: Path, tmp_path: Path
) -> None:
    import polars as pl

    db = ["--db", str(warehouse)]
    code, out = cli(capsys, "show", "--out", str(tmp_path / "run.xlsx"), *db)
    assert code == 0 and set(out["rows"]) == {
        "grades", "red", "black", "downgrades", "vetoes", "unrated", "projects",
    }  # fmt: skip
    sheets = pl.read_excel(tmp_path / "run.xlsx", sheet_id=0)
    # the file speaks Chinese like `rating export`: sheets, headers, yes/no, reasons, about
    assert {"全部等级", "红名单", "黑名单", "关于"} <= set(sheets)
    grades = sheets["全部等级"]
    assert grades.height == out["rows"]["grades"] > 0
    assert {"统一社会信用代码", "名称", "得分", "等级", "上期等级"} <= set(grades.columns)
    assert set(grades["红名单"].cast(pl.Utf8)) <= {"是", "否"}
    assert "band" not in set(grades["定级依据"]) and "not_rated" not in set(grades["定级依据"])
    about = dict(zip(*sheets["关于"].get_columns(), strict=True))
    assert about["评定"] == out["about"]["run_id"] and "最新" in about["读取的运行"]
    # scores are rounded down to the places the screen shows, not stored unrounded
    scores = [s for s in grades["得分"].to_list() if s is not None]
    assert scores and all(round(s * 100, 6) == int(round(s * 100, 6)) for s in scores)
    code, black = cli(capsys, "show", "--list", "black", "--out", str(tmp_path / "b.csv"), *db)
    listed = pl.read_csv(tmp_path / "b.csv")
    assert code == 0 and listed.height == black["rows"]["black"]
    assert "统一社会信用代码" in listed.columns and "uscc" not in listed.columns
    code, refused = cli(capsys, "show", "--out", str(tmp_path / "all.csv"), *db)
    assert code == 2 and refused["error"]["code"] == "EXPORT_CSV_ONE_TABLE"  # a usage error


def test_a_run_imports_neither_pandera_pandas_nor_polars(warehouse: Path, tmp_path: Path) -> None:
    """`rating run` validates no frame (ingest validated the rows, in SQL) and builds none:
    the declarations it reads are plain shapes, and pandera (with pandas) cost a whole
    process 3 s of start-up on the shared machine, polars 0.2–0.4 s (issue 21). Checked in
    the process a user's run is."""
    import shutil

    db = tmp_path / "w.duckdb"
    shutil.copyfile(warehouse, db)
    probe = (
        "import sys; from rating.cli import main; "
        f"code = main(['run', '--period', '2026Q3', '--again', '--db', {str(db)!r}, '--json']); "
        "heavy = sorted({m.split('.')[0] for m in sys.modules} & {'pandera', 'pandas', 'polars'}); "
        "print('RESULT', code, heavy, file=sys.stderr)"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env={**os.environ, **ENV}
    )
    assert "RESULT 0 []" in done.stderr, done.stderr[-2000:]
