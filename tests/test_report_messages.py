"""The report's words: every string has its Chinese translation and the compiled catalog is current."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from rating.report.text import Words

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "report_messages.py"


def test_every_report_string_is_translated_and_compiled() -> None:
    spec = importlib.util.spec_from_file_location("report_messages", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.problems() == []
    assert len(module.extract()) > 100  # the extraction found the report's strings


def test_words_format_values_in_the_readers_form() -> None:
    zh, en = Words("zh"), Words("en")
    assert zh("Black list") == "黑名单" and en("Black list") == "Black list"
    assert zh.day("2026-10-15") == "2026年10月15日" and en.day("2026-10-15") == "15 Oct 2026"
    assert zh.score(58.105) == "58.10" and zh.score(None) == "—"  # rounded down, as the CLI shows
    assert zh.delta(3) == "较上期增加3" and zh.delta(-2) == "较上期减少2" and zh.delta(None) == ""
    assert zh.grade(None) == "未评级" and en.grade("AA") == "AA"
