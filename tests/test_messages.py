"""The command line's message catalogs: complete, compiled, and a language is only a file.

When this fails after a change that adds or changes a string: run `make messages`, fill in
the empty msgstr lines of rating/locale/zh/LC_MESSAGES/rating.po, run `make messages` again.
"""

from __future__ import annotations

import functools
import io
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo

from rating.cli import i18n

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

import messages  # noqa: E402 - scripts/messages.py, the catalog tool


@pytest.fixture(scope="module", autouse=True)
def extracted_once() -> Iterator[None]:
    """Babel reads every CLI module for an extraction (seconds of CPU): once for the module;
    the tests only read the catalog it returns."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(messages, "extract", functools.cache(messages.extract))
        yield


@pytest.fixture(autouse=True)
def english_afterwards() -> None:
    yield
    i18n.set_language("en")


def test_every_string_has_a_chinese_translation_and_the_mo_is_compiled() -> None:
    assert messages.problems() == [], "run `make messages` and translate the empty msgstr lines"


def test_the_extraction_sees_help_texts_library_errors_and_steps() -> None:
    extracted = {(m.context, str(m.id)) for m in messages.extract() if m.id}
    assert (
        None,
        "Why a company got its grade: each rule, its points and clause, and the records behind it;\n"
        "the measures it faces (in force today, or proposed by an unpublished run) with their\n"
        "clauses and until when; with --path, the way back up.",
    ) in extracted
    assert ("RUN_NOT_FOUND", "no run '{run_id}'") in extracted
    assert ("step", "rule points") in extracted
    assert (None, "a required cell is empty") in extracted  # a quarantine reason
    assert ("error", " (versions: {value})") in extracted  # a conditional piece
    assert (
        "RULESET_NOT_IN_FORCE",
        "no version of rule set '{name}' is in force for {period}{cond}",
    ) in extracted


def test_library_errors_are_translated_by_their_templates() -> None:
    i18n.set_language("zh")
    found = i18n.error_text(
        "RULESET_NOT_FOUND",
        "no rule set 'x' in /srv/rules (known: none); RATING_RULES_DIR names the folder of rule sets",
    )
    assert found == "/srv/rules 中没有规则集 'x'（已有：none）；RATING_RULES_DIR 指定规则集目录"
    assert i18n.error_text("FILE_NOT_FOUND", "rules: no such file") == "rules：没有这个文件"
    versions = i18n.error_text(
        "RULESET_NOT_IN_FORCE",
        "no version of rule set 'yantai-2022' is in force for 2019Q1 (versions: 1.0.0)",
    )
    assert versions == "规则集 'yantai-2022' 没有对 2019Q1 有效的版本（已有版本：1.0.0）"
    assert (
        i18n.error_text("NEW_CODE", "a message nobody translated") == "a message nobody translated"
    )
    i18n.set_language("en")
    assert i18n.error_text("RUN_NOT_FOUND", "no run 'x'") == "no run 'x'"


def test_a_repeated_placeholder_must_repeat_its_value() -> None:
    pattern = i18n.template_pattern("{a} and {a} make {b}")
    assert pattern.fullmatch("x and x make y")
    assert not pattern.fullmatch("x and z make y")


def test_a_third_language_is_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    catalog = Catalog(locale="ja", domain="rating")
    catalog.add("Rules", "ルール")
    catalog.add("draft", "下書き", context="status")
    folder = tmp_path / "ja" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    (folder / "rating.mo").write_bytes(buffer.getvalue())
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path)
    assert "ja" in i18n.available_languages()
    assert i18n.set_language("ja-JP") == "ja_JP"
    assert i18n._("Rules") == "ルール" and i18n.pgettext("status", "draft") == "下書き"
    assert i18n._("Runs") == "Runs"  # untranslated: the English source


def test_an_unknown_language_is_refused_with_the_ones_available() -> None:
    from rating.errors import UsageError

    with pytest.raises(UsageError) as err:
        i18n.set_language("xx")
    assert err.value.code == "SETTING_INVALID" and "zh" in err.value.message


def _filled(template: str) -> str:
    """A template with a made-up value per placeholder (the same name, the same value) and
    its conditional pieces left out."""
    names: dict[str, str] = {}

    def value(m: re.Match[str]) -> str:
        name = m.group(1)
        if name.startswith("cond"):
            return ""
        return names.setdefault(name, f"v{len(names)}x")

    return re.sub(r"\{([A-Za-z_][A-Za-z0-9_]*)\}", value, template)


def test_every_library_message_reaches_the_user_in_chinese() -> None:
    """Every message the library raises with a code (and every sentence it returns for
    people), filled with values, is found by its template and printed in Chinese: a message
    whose template cannot be matched at run time would reach the CLI in English."""
    extracted = [
        (m.context, str(m.id))
        for m in messages.extract()
        if m.id and m.context and (m.context.isupper() or m.context in ("error", "text"))
    ]
    i18n.set_language("zh")
    untranslated = [
        (context, english)
        for context, english in extracted
        if i18n.error_text(context, _filled(english)) == _filled(english)
    ]
    assert len(extracted) > 250
    assert untranslated == []


@pytest.mark.parametrize(
    ("code", "message", "chinese"),
    [
        (  # a refusal of the same code inside the hint that wraps it
            "PERIOD_NOT_ENDED",
            "2030Q1 runs until 2030-03-31 and today is 2026-11-30 (Asia/Shanghai): rate a period"
            " after it has ended (--force-period rates it anyway; the manifest records that)",
            "2030Q1 到 2030-03-31 才结束，今天是 2026-11-30（Asia/Shanghai）：请在期间结束后再评定"
            "（--force-period 仍可评定；清单会记录这一点）",
        ),
        (  # a sentence a library function returns, inside an error
            "PUBLICITY_NOT_OVER",
            "the publicity of run 2026Q3-02 lasts until 2026-12-09 (inclusive); --force publishes"
            " anyway (recorded)",
            "评定 2026Q3-02 的公示期到 2026-12-09（含当日）才结束；加 --force 仍可公布（会被记录）",
        ),
        (  # a hint kept in a local variable
            "FILE_WRONG_KIND",
            "p.csv is not a 'complaints' file: missing columns 工单编号 (complaint_id);"
            " it looks like a 'projects' file",
            "p.csv 不是 'complaints' 文件：缺少列 工单编号 (complaint_id)；它看起来是 'projects' 文件",
        ),
        (
            "FILE_UNREADABLE",
            "a.xlsx is not a real Excel workbook: it is a ZIP archive without the parts of a"
            " workbook (xl/workbook.xml); save it again from Excel as .xlsx",
            "a.xlsx 不是真正的 Excel 工作簿：它是 ZIP 压缩包，但缺少工作簿的组成部分"
            "（xl/workbook.xml）；请在 Excel 中另存为 .xlsx 后再导入",
        ),
        ("BAD_USAGE", "Option '--period' requires an argument.", "选项 '--period' 后面需要一个值"),
    ],
)
def test_messages_users_met_in_english(code: str, message: str, chinese: str) -> None:
    i18n.set_language("zh")
    assert i18n.error_text(code, message) == chinese
