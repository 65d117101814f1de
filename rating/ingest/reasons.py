"""Reason codes of quarantined rows: the public vocabulary, with an example of each.

`datasets/CONTRACTS.md` lists them (generated); the CLI and API return the codes, never
parse the messages.
"""

from __future__ import annotations

from dataclasses import dataclass

PROBLEM_CODES = {
    "MALFORMED_LINE": "the line does not split into the header's columns",
    "LINE_TOO_LONG": "the line is longer than a row of an export can be (a pasted picture?)",
    "BAD_ENCODING": "a cell holds bytes that are not valid in the file's encoding",
    "MISSING_VALUE": "a required cell is empty",
    "BAD_NUMBER": "not a number (or not a whole number where one is needed)",
    "BAD_DATE": "not a date: write 2025-07-03, 2025/7/3 or 2025年7月3日",
    "AMBIGUOUS_DATE": "the date can be read more than one way: write the year first, in full",
    "DATE_TOO_EARLY": "a date before any export of a bureau can hold (a two-digit year or a "
    "number read as a date?)",
    "BAD_BOOLEAN": "not yes/no: write 是/否",
    "BAD_ENUM": "not one of the known values",
    "BAD_FORMAT": "does not have the expected form",
    "OUT_OF_RANGE": "outside the allowed range",
    "RATE_AS_FRACTION": "looks like a fraction (0.925), not a percentage: write 92.5 or 92.5%",
    "BAD_USCC": "not a valid unified social credit code (GB 32100-2015 checksum)",
    "BAD_ID_NUMBER": "not a valid citizen identity number (GB 11643-1999 checksum)",
    "ID_NOT_EXACT": "the id was stored as a number and its digits are lost (Excel keeps 15): "
    "export the column as text",
    "BAD_CHARACTER": "the id holds a character that cannot be part of it",
    "CELL_ERROR": "the cell holds an Excel error instead of a value",
    "FORMULA_NO_VALUE": "the cell holds a formula whose value was never computed: open the "
    "file in Excel or WPS, save it, and send it again",
    "CELL_TOO_LONG": "the cell is longer than Excel allows (32,767 characters)",
    "FUTURE_DATE": "a date in the future",
    "BAD_DATE_ORDER": "dates in the wrong order",
    "UNKNOWN_COMPANY": "the company is not known: ingest companies first",
    "UNKNOWN_PROJECT": "the project is not known: ingest projects first",
    "UNKNOWN_MANAGER": "the project manager is not known: ingest managers first",
    "DUPLICATE_KEY": "the same key appears earlier in this file",
    "OVERLAPPING_SERVICE": "the service period overlaps another company's period for this project",
    "OVERLAPPING_ASSIGNMENT": "the assignment overlaps another manager's period for this project",
    "MATCH_REJECTED": "an analyst decided this compound spelling is no project of ours",
}

# One cell (or line) that gets each code, as a bureau would meet it.
PROBLEM_EXAMPLES = {
    "MALFORMED_LINE": "`P9,阳光花园,芝罘区` under a header of nine columns",
    "LINE_TOO_LONG": "a 3 MB line: a screenshot pasted into 内容描述",
    "BAD_ENCODING": "a GBK row (`ϼԷ`) inside a UTF-8 file",
    "MISSING_VALUE": "an empty 项目名称",
    "BAD_NUMBER": "户数 `五百`",
    "BAD_DATE": "`2025.13.45`, `2026-02-30`",
    "AMBIGUOUS_DATE": "`7/3/26`: 2026-07-03 (月/日/年) 或 2007-03-26 (年/月/日)",
    "DATE_TOO_EARLY": "`0026-07-03`, `7/3/85`, a serial number `100`",
    "BAD_BOOLEAN": "是否重复 `也许`",
    "BAD_ENUM": "十四类 `扰民`",
    "BAD_FORMAT": "评价周期 `2025年三季度`",
    "OUT_OF_RANGE": "户数 `0`",
    "RATE_AS_FRACTION": "满意率 `0.925` (or an Excel cell 0.925 formatted 0.0%, shown as 92.5%)",
    "BAD_USCC": "`91370602MA3C4XYZ10` (wrong check character)",
    "BAD_ID_NUMBER": "身份证号 `11010519491231002Y` (wrong check character)",
    "ID_NOT_EXACT": "工单编号 `2.02607E+17` or a number cell holding 2.026070300000124E+17",
    "BAD_CHARACTER": "工单编号 `2026 0703001` (U+0020 SPACE inside)",
    "CELL_ERROR": "`#DIV/0!`, `#N/A`, `#VALUE!`",
    "FORMULA_NO_VALUE": "`=SUM(F2:F9)` written by a program that does not compute formulas",
    "CELL_TOO_LONG": "内容描述 of 40,000 characters",
    "FUTURE_DATE": "受理时间 `2030/1/1`",
    "BAD_DATE_ORDER": "结案时间 before 受理时间",
    "UNKNOWN_COMPANY": "a USCC not in the companies ingested",
    "UNKNOWN_PROJECT": "项目编号 `XM999999`",
    "UNKNOWN_MANAGER": "an assignment naming 证书编号 `WYJL999999`, not in the managers ingested",
    "DUPLICATE_KEY": "工单编号 `2026070300000101` twice in one file",
    "OVERLAPPING_SERVICE": "two companies serving XM000038 in 2025",
    "OVERLAPPING_ASSIGNMENT": "two managers in charge of XM000038 in 2025",
    "MATCH_REJECTED": "小区名称 `某某商务楼` an analyst marked as not ours",
}

# Rows that are not data: skipped, counted by reason (never quarantined, never loaded).
SKIP_REASONS = {
    "blank": "an empty line, or a line of bare separators (`,,,,`) Excel leaves behind",
    "total": "a total row (合计 / 总计 / 小计 / 共计)",
    "note": "a note below the data (注 / 说明 / 制表 / 审核 / 填表 …)",
}

__all__ = ["PROBLEM_CODES", "PROBLEM_EXAMPLES", "SKIP_REASONS"]


@dataclass(frozen=True)
class IngestWarning:
    """Something about a loaded file a person should know (the batch is recorded)."""

    code: str
    message: str


def text_named_excel_warning(file: str, file_format: str) -> IngestWarning:
    """FILE_NOT_EXCEL: a file named .xlsx/.xls held CSV text (some systems save CSV under
    an Excel name); it was read as what it is, and the person should know."""
    return IngestWarning(
        "FILE_NOT_EXCEL",
        f"{file} is named like an Excel workbook but is really {file_format} text: it was read "
        f"as {file_format}",
    )


def empty_file_warnings(
    file: str, batch_id: int, data_rows: int, skipped: int
) -> list[IngestWarning]:
    """EMPTY_FILE when a file had a header but not one data row (loaded, quarantined, in
    review or a correction): it is recorded as a batch of 0 rows, which is rarely what was
    meant (the wrong export, a filter left on in the source system)."""
    if data_rows:
        return []
    return [
        IngestWarning(
            "EMPTY_FILE",
            f"{file} has a header but no data rows"
            + (f" ({skipped} rows skipped as not data)" if skipped else "")
            + f": batch {batch_id} was recorded with 0 rows; was the right file exported?",
        )
    ]
