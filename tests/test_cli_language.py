"""The command line as a bureau analyst meets it: Chinese by default and English on request,
no Python reprs, identifiers never cut at 80 columns, the same exit codes in every command,
usage errors as one coded line, progress on stderr, and a --help that loads no heavy library.

One generated city is rated three quarters; every screen of a walk-through is read in both
languages."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import unicodedata
from pathlib import Path
from typing import Any

import pytest

from rating.cli import main

ENV = {"RATING_NOW": "2026-11-01T09:00:00", "COLUMNS": "80"}
REPRS = re.compile(r"Decimal\(|\bNone\b|\bTrue\b|\bFalse\b|\[\{'|\{'|datetime\.|\x1f|not_rated")
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(autouse=True)
def pinned(monkeypatch: pytest.MonkeyPatch) -> None:
    for k, v in ENV.items():
        monkeypatch.setenv(k, v)
    monkeypatch.delenv("RATING_LANG", raising=False)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    got = capsys.readouterr()
    return code, got.out, got.err


def as_json(capsys: pytest.CaptureFixture[str], *args: str) -> Any:
    code, out, err = run(capsys, *args, "--json")
    assert code == 0, err
    return json.loads(out)


@pytest.fixture(scope="module")
def city(generated_city: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A warehouse with three rated quarters; the last in publicity."""
    db = str(tmp_path_factory.mktemp("language") / "w.duckdb")
    runs = []
    with pytest.MonkeyPatch.context() as env:  # the pinned clock does not leak to other modules
        for k, v in ENV.items():
            env.setenv(k, v)
        assert main(["ingest", "--all", str(generated_city), "--db", db, "--json"]) == 0
        for period in ("2026Q1", "2026Q2", "2026Q3"):
            assert main(["run", "--period", period, "--db", db, "--json"]) == 0
            runs.append(f"{period}-01")
        assert main(["publicize", runs[-1], "--db", db, "--json"]) == 0
    return {"db": db, "runs": runs, "folder": str(generated_city)}


def width(line: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line)


def screens(city: dict[str, Any], uscc: str, replayed: str) -> list[list[str]]:
    db, last = ["--db", city["db"]], city["runs"][-1]
    return [
        ["show", *db],
        ["show", "--list", "grades", "--limit", "30", *db],
        ["show", "--list", "black", *db],
        ["explain", uscc, *db],
        ["runs", "list", *db],
        ["runs", "show", last, *db],
        ["quarantine", "--limit", "5", *db],
        ["batches", *db],
        ["rules", "list"],
        ["rules", "show", "yantai-2022@1.0.0"],
        ["rules", "validate"],
        ["rules", "diff", "yantai-2022@1.0.0", "haikou-2019@1.0.0"],
        ["replay", replayed, *db],
        ["verify", *db],
        ["lists", "show", *db],
        ["objection", "list", *db],
        ["repair", "list", *db],
        ["match", "aliases", *db],
        ["match", "review", "list", *db],
        ["integrity", "list", *db],
        [
            "impact",
            "--period",
            "2026Q3",
            "--rules",
            "yantai-2022@1.0.0",
            "--vs",
            "haikou-2019@1.0.0",
            *db,
        ],
    ]


@pytest.mark.slow  # reads a generated city rated three quarters: not in `make test-fast`
@pytest.mark.parametrize("language", ["zh", "en"])
def test_a_walk_through_has_no_python_reprs(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    city: dict[str, Any],
    language: str,
) -> None:
    monkeypatch.setenv("RATING_LANG", language)
    # Replays and impact reports are stored under the (pinned) time: one minute per language.
    monkeypatch.setenv(
        "RATING_NOW", {"zh": "2026-11-01T09:01:00", "en": "2026-11-01T09:02:00"}[language]
    )
    shown = as_json(capsys, "show", "--list", "downgrades", "--db", city["db"])
    uscc = shown["lists"]["downgrades"]["rows"][0]["uscc"]
    # A replay is stored under the (pinned) time: each language replays its own run.
    for args in screens(city, uscc, city["runs"][0 if language == "zh" else 1]):
        code, out, err = run(capsys, *args)
        assert code == 0, (args, err)
        assert not REPRS.search(out), (args, REPRS.search(out), out)
        assert "Traceback" not in err
        for line in out.splitlines():
            if line[:1] in "┏┃┡│└":
                assert width(line) <= 80, (args, line)


@pytest.mark.slow  # reads a generated city rated three quarters: not in `make test-fast`
def test_chinese_by_default_english_on_request(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, city: dict[str, Any]
) -> None:
    db = ["--db", city["db"]]
    _, zh, _ = run(capsys, "show", *db)
    assert "统一社会信用代码" in zh and "红名单" in zh and "得分" in zh and "USCC" not in zh
    monkeypatch.setenv("RATING_LANG", "en")
    _, en, _ = run(capsys, "show", *db)
    assert "USCC" in en and "red" in en and "score" in en and "统一社会信用代码" not in en
    for word in ("band", "not_rated"):
        assert word not in en
    _, help_en, _ = run(capsys, "run", "--help")
    monkeypatch.setenv("RATING_LANG", "zh_CN.UTF-8")
    _, help_zh, _ = run(capsys, "run", "--help")
    assert "Period to rate" in help_en and "评定期间" in help_zh
    monkeypatch.setenv("RATING_LANG", "fr")
    code, _, err = run(capsys, "rules", "list")
    assert code == 2 and "SETTING_INVALID" in err and "zh" in err


@pytest.mark.slow  # reads a generated city rated three quarters: not in `make test-fast`
def test_grades_in_rank_order(capsys: pytest.CaptureFixture[str], city: dict[str, Any]) -> None:
    shown = as_json(capsys, "show", "--db", city["db"])
    assert list(shown["grades"]) == [
        g for g in ("AAA", "AA", "A", "B", "C", "C(缺失)") if g in shown["grades"]
    ]
    _, out, _ = run(capsys, "show", "--db", city["db"])
    line = next(x for x in out.splitlines() if "AA" in x and "、" in x)
    positions = [line.index(f"{g} ") for g in shown["grades"]]
    assert positions == sorted(positions)


@pytest.mark.slow  # reads a generated city rated three quarters: not in `make test-fast`
def test_identifiers_are_never_cut_at_80_columns(
    capsys: pytest.CaptureFixture[str], city: dict[str, Any]
) -> None:
    db = ["--db", city["db"]]
    rows = as_json(capsys, "show", "--list", "grades", "--limit", "50", *db)["lists"]["grades"]
    _, out, _ = run(capsys, "show", "--list", "grades", "--limit", "50", *db)
    assert all(r["uscc"] in out for r in rows["rows"])
    runs = as_json(capsys, "runs", "list", *db)
    _, out, _ = run(capsys, "runs", "list", *db)
    assert all(r["run_id"] in out and r["ruleset"] in out for r in runs)
    card = as_json(capsys, "explain", rows["rows"][0]["uscc"], *db)
    _, out, _ = run(capsys, "explain", rows["rows"][0]["uscc"], *db)
    assert all(e["record_key"].replace("\x1f", "/") in out for e in card["evidence"])
    assert all(r["rule_id"] in out for r in card["reasons"])
    # nothing ellipsised: every "…" in a table is one the clauses quote (……)
    shown = sum(x.count("…") for x in out.splitlines() if x[:1] in "┃│")
    assert shown == sum(r["clause"].count("…") for r in card["reasons"])
    narrow = run(capsys, "batches", *db)[1]  # too many columns: a record per batch, none left out
    assert "--wide" in narrow and "sha256" in narrow and "┃" not in narrow
    batches = as_json(capsys, "batches", *db)
    assert all(b["file_name"] in narrow for b in batches)
    quarantine = run(capsys, "quarantine", *db)[1]
    assert "值" in quarantine and "类别" in quarantine  # was: left out at 80 columns
    _, wide, _ = run(capsys, "batches", "--wide", *db)
    assert "sha256" in wide and "--wide" not in wide


@pytest.mark.slow  # reads a generated city rated three quarters: not in `make test-fast`
@pytest.mark.parametrize(
    ("args", "code", "exit_code"),
    [
        (["objection", "file", "2026Q3-01", "91370600MA3C4ULK6X"], "MISSING_PARAMETER", 2),
        (["show", "--limit", "abc"], "BAD_VALUE", 2),
        (["show", "--limit", "0"], "BAD_VALUE", 2),
        (["show", "--nope"], "NO_SUCH_OPTION", 2),
        (["shw"], "NO_SUCH_COMMAND", 2),
        (["show", "a", "b"], "EXTRA_ARGUMENT", 2),
        (["run", "--period", "2026Q5"], "PERIOD_INVALID", 2),
        (["show", "--db", "/nonexistent/w.duckdb"], "WAREHOUSE_MISSING", 3),
        (["show", "2019Q1-01"], "RUN_NOT_FOUND", 3),
        (["ingest", "complaints", "/nonexistent.csv"], "FILE_NOT_FOUND", 3),
    ],
)
def test_errors_are_one_coded_line_with_the_documented_exit_code(
    capsys: pytest.CaptureFixture[str],
    city: dict[str, Any],
    args: list[str],
    code: str,
    exit_code: int,
) -> None:
    db = [] if "--db" in args else ["--db", city["db"]]
    got, out, err = run(capsys, *args, *db)
    assert got == exit_code, err
    errors = [x for x in err.strip().splitlines() if x.startswith("错误：")]
    assert len(errors) == 1 and f"[{code}]" in errors[0] and err.strip().endswith(errors[0]), err
    assert "Usage" not in err + out and "╭" not in err + out
    got, out, _ = run(capsys, *args, *db, "--json")
    assert got == exit_code and json.loads(out)["error"]["code"] == code


@pytest.mark.slow  # reads a generated city rated three quarters: not in `make test-fast`
def test_library_errors_reach_the_user_in_chinese(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, city: dict[str, Any]
) -> None:
    _, _, err = run(capsys, "show", "2019Q1-01", "--db", city["db"])
    assert "没有评定 '2019Q1-01'" in err
    monkeypatch.setenv("RATING_LANG", "en")
    _, _, err = run(capsys, "show", "2019Q1-01", "--db", city["db"])
    assert "no run '2019Q1-01'" in err and "[RUN_NOT_FOUND]" in err


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ["run", "--period"],
            "错误：[BAD_USAGE] 选项 '--period' 后面需要一个值；请看 `rating run --help`",
        ),
        (
            ["runs", "show", "--json=1", "x"],
            "错误：[BAD_USAGE] 选项 '--json' 不接受值；请看 `rating runs show --help`",
        ),
    ],
)
def test_click_usage_errors_in_chinese_pointing_at_the_command(
    capsys: pytest.CaptureFixture[str], args: list[str], expected: str
) -> None:
    code, _, err = run(capsys, *args)
    assert code == 2 and err.strip() == expected


def test_a_fake_workbook_is_refused_in_chinese(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    import zipfile

    fake = tmp_path / "工单.xlsx"
    with zipfile.ZipFile(fake, "w") as z:
        z.writestr("readme.txt", "not a workbook")
    code, _, err = run(capsys, "ingest", "complaints", str(fake), "--db", str(tmp_path / "w.db"))
    assert code == 3 and "[FILE_UNREADABLE] 工单.xlsx 不是真正的 Excel 工作簿" in err
    assert "There is no item" not in err


@pytest.mark.slow  # reads a generated city rated three quarters: not in `make test-fast`
def test_a_missing_rule_set_says_where_it_looked(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    city: dict[str, Any],
    tmp_path: Path,
) -> None:
    monkeypatch.setenv("RATING_RULES_DIR", str(tmp_path))
    code, out, _ = run(capsys, "run", "--period", "2026Q3", "--db", city["db"], "--json")
    error = json.loads(out)["error"]
    assert code == 3 and error["code"] == "RULESET_NOT_FOUND" and str(tmp_path) in error["message"]


def test_a_refused_rule_set_is_a_failed_check(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    folder = tmp_path / "broken" / "1.0.0"
    folder.mkdir(parents=True)
    (folder / "ruleset.toml").write_text("[ruleset]\nname = 'broken'\n", encoding="utf-8")
    monkeypatch.setenv("RATING_RULES_DIR", str(tmp_path))
    code, _, err = run(capsys, "rules", "validate")
    assert code == 1 and "[RULESET_INVALID]" in err


@pytest.mark.slow  # reads a generated city rated three quarters: not in `make test-fast`
def test_an_unexpected_error_is_exit_4(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, city: dict[str, Any]
) -> None:
    from rating.engine import explainer

    def broken(*_args: Any) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(explainer, "runs_list", broken)
    code, _, err = run(capsys, "runs", "list", "--db", city["db"])
    assert code == 4 and "[INTERNAL]" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.slow  # reads a generated city rated three quarters: not in `make test-fast`
def test_progress_lines_when_not_on_a_terminal(
    capsys: pytest.CaptureFixture[str], city: dict[str, Any], tmp_path: Path
) -> None:
    code, _, err = run(capsys, "ingest", "--all", city["folder"], "--db", str(tmp_path / "w.db"))
    assert code == 0
    lines = err.strip().splitlines()
    assert lines[0] == "正在导入……" and re.match(r"正在导入：完成，用时 \d+\.\d 秒", lines[-1])
    assert any("complaints" in x and "秒" in x for x in lines)
    code, _, err = run(
        capsys, "run", "--period", "2026Q3", "--with-history", "--db", str(tmp_path / "w.db")
    )
    assert code == 0 and "正在评定 2026Q3" in err


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    from rating import __version__

    code, out, _ = run(capsys, "--version")
    assert code == 0 and out.strip() == f"rating {__version__}"


@pytest.mark.slow  # a new process (the shell's completion calls `rating`); in-process: test_cli_tree
def test_completion() -> None:
    env = {
        **os.environ,
        "_RATING_COMPLETE": "complete_bash",
        "COMP_WORDS": "rating ru",
        "COMP_CWORD": "1",
    }
    done = subprocess.run(
        [sys.executable, "-m", "rating.cli"], capture_output=True, text=True, env=env
    )
    assert {"run", "runs", "rules"} <= set(done.stdout.split())


HEAVY = (
    "duckdb",
    "polars",
    "pandera",
    "pandas",
    "numpy",
    "sklearn",
    "scipy",
    "pyarrow",
    "matplotlib",
    "sqlglot",
)


@pytest.mark.slow  # a new process; `--help` itself is read in-process by the tests below
def test_help_loads_no_heavy_library() -> None:
    """`rating --help` answers at once: the command modules import the library inside
    commands (benchmarks: README "Exit codes and speed of --help")."""
    probe = (
        "import sys, time; t = time.perf_counter(); from rating.cli import main; "
        "code = main(['--help']); "
        f"heavy = sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r})); "
        "print('RESULT', code, heavy, file=sys.stderr)"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert "RESULT 0 []" in done.stderr, done.stderr


def test_a_score_shows_the_same_on_screen_in_the_report_and_on_the_public_page() -> None:
    """Rounded down everywhere: never above the score, so never across a band's minimum."""
    from decimal import Decimal

    from rating.cli.display import score
    from rating.public.text import PublicWords
    from rating.report.text import Words

    for text, shown in (("-23.425", "-23.43"), ("59.996", "59.99"), ("80", "80.00")):
        value = Decimal(text)
        assert score(value, 2) == Words("zh").score(value) == PublicWords("zh").score(value)
        assert score(value, 2) == shown


def _command_paths() -> list[list[str]]:
    import typer

    from rating.cli import app

    def walk(command: Any, path: list[str]) -> list[list[str]]:
        subs = getattr(command, "commands", {})
        return [path] + [p for name, sub in subs.items() for p in walk(sub, [*path, name])]

    return walk(typer.main.get_command(app), [])


def test_flags_show_no_negative_form() -> None:
    """README: a flag is shown as itself (`--force`), never as `--force --no-force`: every
    on/off option of every command names its one flag (typer adds `--no-X` otherwise)."""
    import typer

    from rating.cli import app

    def walk(command: Any, path: list[str]) -> list[tuple[str, str]]:
        found = [
            (" ".join(path), opt)
            for param in getattr(command, "params", [])  # typer's own click: no isinstance
            for opt in getattr(param, "secondary_opts", [])
        ]
        for name, sub in getattr(command, "commands", {}).items():
            found += walk(sub, [*path, name])
        return found

    assert walk(typer.main.get_command(app), ["rating"]) == []


@pytest.mark.slow  # end to end through the command line: `make test` and CI, not test-fast
@pytest.mark.parametrize("columns", ["80", "40"])
def test_chinese_help_wraps_and_speaks_chinese(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, columns: str
) -> None:
    """Every command's --help at 80 columns and on a phone (40): no line cut with "…", no
    English `Usage:`, no `<bool>` beside a flag, no `[默认：no-force]`, no Python type names
    (`<str>`, `<path>`: a value's type reads <文本>, <路径>)."""
    monkeypatch.setenv("COLUMNS", columns)
    paths = _command_paths()  # every command on a phone; the top two levels at 80 columns
    for path in paths if columns == "40" else [p for p in paths if len(p) <= 1]:
        code, out, _ = run(capsys, *path, "--help")
        assert code == 0, path
        lines = out.splitlines()
        assert any(line.strip().startswith("用法：rating") for line in lines), path
        cut = [x for x in lines if re.search(r"…\s*│?\s*$", x)]
        assert cut == [], (path, cut)
        assert max(width(x) for x in lines) <= int(columns), path
        for stray in ("Usage:", "<bool>", "no-", "[OPTIONS]", "<str>", "<path>", "<int"):
            assert not [x for x in lines if stray in x and "--no-" not in x], (path, stray)


def test_contracts_are_tables_in_the_users_language(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`rating contracts` in Chinese: the same declarations as datasets/CONTRACTS.md, every
    column's meaning translated; English with RATING_LANG=en; the Markdown stays English."""
    code, out, _ = run(capsys, "contracts")
    assert code == 0 and "物业服务企业" in out and "登记名称。" in out and "原因代码" in out
    assert "Registered name" not in out and "| column |" not in out
    monkeypatch.setenv("RATING_LANG", "en")
    code, out, _ = run(capsys, "contracts")
    assert code == 0 and "Registered name." in out and "登记名称" not in out
    code, out, _ = run(capsys, "contracts", "--markdown")
    assert out.startswith("# Data contracts")


@pytest.mark.slow  # reads a generated city rated three quarters: not in `make test-fast`
@pytest.mark.parametrize(
    ("args", "code", "says"),
    [
        (["quarantine", "--kind", "complaint"], "UNKNOWN_KIND", "是否想用 'complaints'"),
        (["quarantine", "--code", "BAD_DAT"], "UNKNOWN_CODE", "是否想用 'BAD_DATE'"),
        (["explain", "123"], "USCC_INVALID", "它有 3 个字符"),
        (["explain", "913799715UKNLNPLOD"], "USCC_INVALID", "'O' 不是代码可用的字符"),
        (["path", "123"], "USCC_INVALID", "它有 3 个字符"),
        (["measures", "123"], "USCC_INVALID", "它有 3 个字符"),
        (["tender", "91370600XXXXXXXXXX"], "USCC_INVALID", "校验位应为 M，而不是 X"),
        (["measures", "91370600MA3C4ULK62", "--on", "2026-13-01"], "BAD_VALUE", "--on：'2026-13"),
        (["path"], "BAD_VALUE", "USCC：请给出统一社会信用代码"),
    ],
)
def test_a_typo_is_refused_not_answered_with_nothing(
    capsys: pytest.CaptureFixture[str],
    city: dict[str, Any],
    args: list[str],
    code: str,
    says: str,
) -> None:
    got, out, err = run(capsys, *args, "--db", city["db"])
    assert got == 2 and f"[{code}]" in err and says in err, err


def test_a_header_only_file_is_loaded_with_a_warning(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    empty = tmp_path / "企业.csv"
    empty.write_text("统一社会信用代码,企业名称\n", encoding="utf-8")
    code, _, err = run(capsys, "ingest", "companies", str(empty), "--db", str(tmp_path / "w.db"))
    assert code == 0
    assert "警告：[EMPTY_FILE] 企业.csv 只有表头，没有数据行：已记为批次 1，0 行" in err


@pytest.mark.slow  # end to end through the command line: `make test` and CI, not test-fast
def test_the_ingest_table_counts_skipped_rows(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """README: rows read = loaded + in review + quarantined + skipped; the table shows the
    skipped rows (a 合计 row, lines of bare commas) and its footer says so; a text file
    under an Excel name is read with a warning naming what it really is."""
    monkeypatch.setenv("COLUMNS", "200")
    saved = tmp_path / "企业.xlsx"
    saved.write_text(
        "统一社会信用代码,企业名称\n91370602MA3C4XYZ1J,阳光物业\n,\n合计：1家,\n", encoding="utf-8"
    )
    code, out, err = run(capsys, "ingest", "companies", str(saved), "--db", str(tmp_path / "w.db"))
    assert code == 0
    assert "读取行数 = 入库 + 待复核 + 隔离 + 跳过" in out and "跳过" in out.split("\n", 3)[2]
    assert "警告：[FILE_NOT_EXCEL] 企业.xlsx 的扩展名是 Excel 工作簿，实际却是 CSV 文本" in err


def test_progress_lines_grow_and_end_at_each_steps_total(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A step's line shows its final count (not the first chunk's), counts never go back,
    and a long step gets lines while it runs."""
    from rating.cli import common

    clock = iter(float(t) for t in range(0, 1000))
    monkeypatch.setattr(common.time, "perf_counter", lambda: next(clock))
    lines = common.LineProgress("生成", each_step=True, every=5.0)
    for step, total in (("complaints", 1500), ("inspections", 4)):
        for done in range(1, total + 1, 100 if total > 100 else 1):
            lines(step, done, total)
        lines(step, total, total)
    lines.finish()
    err = capsys.readouterr().err.strip().splitlines()
    counts = [
        (m.group(1), int(m.group(2).replace(",", "")), int(m.group(3).replace(",", "")))
        for m in (re.search(r"：(\S+)（([\d,]+)/([\d,]+)）", x) for x in err)
        if m
    ]
    by_step: dict[str, list[int]] = {}
    for step, done, _total in counts:
        by_step.setdefault(step, []).append(done)
    assert by_step["投诉"][-1] == 1500 and by_step["检查"][-1] == 4
    assert all(a < b for done in by_step.values() for a, b in zip(done, done[1:], strict=False))
    assert len(by_step["投诉"]) > 1  # 15 calls, one clock second each: a line every 5
    assert err[-1].startswith("生成：完成")


def test_a_step_that_reports_nothing_still_gets_a_line_after_two_seconds(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """README: a step still running after 2 s gets a line — also one that calls no progress
    back at all (writing the public snapshot), in a log (stderr not a terminal). The test
    shortens the 2 s to 0.2 s rather than sleep."""
    from rating.cli import common
    from rating.cli.i18n import language, set_language

    assert common.PROGRESS_EVERY == 2.0  # the figure README gives
    monkeypatch.setattr(common, "PROGRESS_EVERY", 0.2)
    before = language()
    set_language("zh")
    try:
        with common.progress_bar(common.Invocation(None, False), "生成公开查询快照"):
            time.sleep(0.35)
    finally:
        set_language(before)
    err = capsys.readouterr().err.strip().splitlines()
    assert err[0].startswith("生成公开查询快照"), err
    assert any(line.startswith("生成公开查询快照：仍在进行") for line in err[1:-1]), err
    assert err[-1].startswith("生成公开查询快照：完成"), err
