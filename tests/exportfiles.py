"""Small export files written byte by byte, as the systems and Excel that damage them do.

`workbook` writes an XLSX package whose cell XML is exactly what the test says (number
literals, formulas without a computed value, error cells, hidden sheets, the 1904 date
system, a dimension claiming a million rows): libraries that write workbooks normalise
exactly the things these tests need to control.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def cells(row: int, values: list[object]) -> str:
    """A row of cells: str → inline string; int/float → number; ('n', '2.0E+17') → that
    literal; ('f', '=A1') → formula without value; ('e', '#DIV/0!') → error; ('d', 45681, s)
    → number with style s (1 = a date format)."""
    out = []
    for i, v in enumerate(values):
        ref = f"{_letters(i)}{row}"
        if v is None:
            continue
        if isinstance(v, tuple) and v[0] == "n":
            out.append(f'<c r="{ref}"><v>{v[1]}</v></c>')
        elif isinstance(v, tuple) and v[0] == "f":
            out.append(f'<c r="{ref}"><f>{escape(str(v[1]))}</f></c>')
        elif isinstance(v, tuple) and v[0] == "e":
            out.append(f'<c r="{ref}" t="e"><v>{escape(str(v[1]))}</v></c>')
        elif isinstance(v, tuple) and v[0] == "d":
            out.append(f'<c r="{ref}" s="{v[2]}"><v>{v[1]}</v></c>')
        elif isinstance(v, int | float):
            out.append(f'<c r="{ref}"><v>{v}</v></c>')
        else:
            out.append(f'<c r="{ref}" t="inlineStr"><is><t>{escape(str(v))}</t></is></c>')
    return f'<row r="{row}">{"".join(out)}</row>'


def _letters(i: int) -> str:
    s = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        s = chr(65 + r) + s
    return s


@dataclass
class SheetSpec:
    name: str
    rows: list[str]  # <row> XML, from `cells`
    state: str = "visible"
    dimension: str | None = None
    padding: int = 0  # bytes of whitespace inside sheetData (a zip bomb compresses it away)


@dataclass
class Book:
    sheets: list[SheetSpec] = field(default_factory=list)
    date1904: bool = False

    def write(self, path: Path) -> Path:
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr("[Content_Types].xml", _types(len(self.sheets)))
            z.writestr(
                "_rels/.rels",
                f'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                f'<Relationship Id="rId1" Type="{RELS}/officeDocument" Target="xl/workbook.xml"/>'
                "</Relationships>",
            )
            sheets = "".join(
                f'<sheet name="{escape(s.name)}" sheetId="{i + 1}" r:id="rId{i + 1}"'
                + (f' state="{s.state}"' if s.state != "visible" else "")
                + "/>"
                for i, s in enumerate(self.sheets)
            )
            pr = '<workbookPr date1904="1"/>' if self.date1904 else "<workbookPr/>"
            z.writestr(
                "xl/workbook.xml",
                f'<workbook xmlns="{MAIN}" xmlns:r="{RELS}">{pr}<sheets>{sheets}</sheets></workbook>',
            )
            rels = "".join(
                f'<Relationship Id="rId{i + 1}" Type="{RELS}/worksheet" '
                f'Target="worksheets/sheet{i + 1}.xml"/>'
                for i in range(len(self.sheets))
            )
            z.writestr(
                "xl/_rels/workbook.xml.rels",
                f'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{rels}</Relationships>',
            )
            z.writestr(
                "xl/styles.xml",
                f'<styleSheet xmlns="{MAIN}"><cellXfs count="2"><xf numFmtId="0"/>'
                '<xf numFmtId="22" applyNumberFormat="1"/></cellXfs></styleSheet>',
            )
            for i, s in enumerate(self.sheets):
                dim = f'<dimension ref="{s.dimension}"/>' if s.dimension else ""
                z.writestr(
                    f"xl/worksheets/sheet{i + 1}.xml",
                    f'<worksheet xmlns="{MAIN}">{dim}<sheetData>{" " * s.padding}'
                    f"{''.join(s.rows)}</sheetData></worksheet>",
                )
        return path


def _types(n: int) -> str:
    sheets = "".join(
        f'<Override PartName="/xl/worksheets/sheet{i + 1}.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        for i in range(n)
    )
    return (
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        f"{sheets}</Types>"
    )
