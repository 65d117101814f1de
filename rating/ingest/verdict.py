"""The encoding verdict of a text file without a byte-order mark: UTF-8 or GB18030.

Counted line by line as the scan (`rating.ingest.textfile.scan_text`) passes over the
file's pieces, so a line counts the same wherever the pieces are cut (a file over 16 MiB
with a line across a cut once read differently, session 9). Most of a file is never split
into lines in Python: a piece valid as UTF-8 is checked whole by Arrow's validator and its
non-ASCII lines counted by Arrow; only a piece that is not valid UTF-8 is read line by
line, and a GB18030 file only until its verdict is clear (`Verdict.clearly_gb`).
"""

from __future__ import annotations

import re
import struct
from pathlib import Path

import pyarrow as pa

HEADER_SCAN_LINES = 30  # the header is looked for in the first lines (rating.ingest.textfile)


def _utf8_array(data: bytes) -> pa.StringArray:
    """`data` as a one-value Arrow string array, without a copy (not validated)."""
    offsets = pa.py_buffer(struct.pack("<ii", 0, len(data)))
    return pa.Array.from_buffers(pa.string(), 1, [None, offsets, pa.py_buffer(data)])


def utf8_valid(data: bytes) -> bool:
    """Whether `data` is well-formed UTF-8 (as `data.decode("utf-8")` would succeed: no
    overlong form, surrogate or code point past U+10FFFF), checked by Arrow's validator
    without building a Python string: about a third of the decoder's CPU
    (`tests/test_textfile_scan.py` compares the two)."""
    try:
        _utf8_array(data).validate(full=True)
    except pa.ArrowInvalid:
        return False
    return True


# A GB18030 character is at most 4 bytes (an undecodable byte, 1), so a line's first 200
# characters read as GBK lie in its first 800 bytes.
_SHOWN_BYTES = 800


# Chinese as UTF-8 spells it: CJK ideographs, CJK punctuation, full-width forms. GBK bytes
# that happen to be valid UTF-8 read mostly as Latin, Greek or Cyrillic letters instead.
_CHINESE = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")
_HIGH = re.compile(rb"[\x80-\xff]")
EARLY_GB_LINES = 10_000  # lines failing as UTF-8 after which a file may be judged GB18030 early


def reads_as_chinese(line: bytes) -> bool:
    """Whether `line` is valid UTF-8 whose non-ASCII text is Chinese (two characters at least,
    none outside CJK ideographs, CJK punctuation and full-width forms): a header or title
    written in UTF-8, which GBK bytes read as UTF-8 practically never are."""
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError:
        return False
    foreign = [ch for ch in text if not ch.isascii()]
    return len(foreign) >= 2 and all(_CHINESE.match(ch) for ch in foreign)


def non_ascii_lines(data: bytes) -> int:
    """How many lines of `data` (valid UTF-8) hold a non-ASCII character (Arrow splits the
    lines and tests them: no Python string per line)."""
    import pyarrow.compute as pc  # only for a mixed file: not at import (~0.1 s)

    lines = pc.split_pattern(_utf8_array(data), "\n")
    return int(pc.sum(pc.invert(pc.string_is_ascii(pc.list_flatten(lines)))).as_py() or 0)


class Verdict:
    """Counts for the UTF-8 / GB18030 verdict, line by line: a line is counted the same
    wherever the scan's pieces are cut (`_chunks`), so the verdict does not depend on them.

    The verdict: a file whose first line with non-ASCII text is among the first
    HEADER_SCAN_LINES lines and reads as Chinese in UTF-8 (its header or title) is UTF-8,
    the lines that are not UTF-8 quarantined; else UTF-8 when at most as many lines fail as
    UTF-8 as lines with non-ASCII text pass, else GB18030. GB18030 is also decided early, at
    the first line where EARLY_GB_LINES lines have failed and they are more than ten times
    the lines that passed (a prefix of lines, not of pieces)."""

    def __init__(self) -> None:
        self.utf8_good = 0  # lines with non-ASCII text that are valid UTF-8
        # line -> its first bytes; worded (`reasons`) only when the verdict is UTF-8: a
        # GB18030 file has tens of thousands of such lines and they are dropped.
        self.utf8_bad: dict[int, bytes] = {}
        self.gb_bad: dict[int, str] = {}
        self.header_utf8: bool | None = None  # None until the first non-ASCII line is seen
        self.early_gb = False
        # (offset, bytes, first line) of the pieces valid as UTF-8 with non-ASCII text: read
        # again for their lines that are not GB18030 only if the verdict is GB18030
        self.valid_pieces: list[tuple[int, int, int]] = []

    def chunk(self, data: bytes, first_line: int, offset: int) -> None:
        if self.early_gb:
            return
        ascii_only = data.isascii()
        if self.header_utf8 is None and not ascii_only:
            self._first_non_ascii(data, first_line)
        if not utf8_valid(data):
            self._lines(data, first_line)
        elif not ascii_only and not self.header_utf8:
            self.utf8_good += non_ascii_lines(data)
            self.valid_pieces.append((offset, len(data), first_line))

    def recheck(self, path: Path, mac: bool) -> None:
        """The lines of the pieces valid as UTF-8 that are not GB18030 either (`gb_bad`), for
        a file judged GB18030 (not early): a rare mixed file, so read again, not kept."""
        with path.open("rb") as fh:
            for offset, size, first_line in self.valid_pieces:
                fh.seek(offset)
                data = fh.read(size)
                data = data.replace(b"\r", b"\n") if mac else data
                for i, line in enumerate(data.split(b"\n")):
                    try:
                        line.decode("gb18030")
                    except UnicodeDecodeError:
                        self.gb_bad[first_line + i] = "not GB18030"
        self.gb_bad = dict(sorted(self.gb_bad.items()))

    def _first_non_ascii(self, data: bytes, first_line: int) -> None:
        found = _HIGH.search(data)
        if found is None:
            return
        at = found.start()
        line = first_line + data.count(b"\n", 0, at)
        start = data.rfind(b"\n", 0, at) + 1
        end = data.find(b"\n", at)
        text = data[start : end if end >= 0 else len(data)]
        self.header_utf8 = line <= HEADER_SCAN_LINES and reads_as_chinese(text)

    def _lines(self, data: bytes, first_line: int) -> None:
        early = not self.header_utf8
        for i, line in enumerate(data.split(b"\n")):
            if line.isascii():
                continue
            try:
                line.decode("utf-8")
                self.utf8_good += 1
            except UnicodeDecodeError:
                self.utf8_bad[first_line + i] = line[:_SHOWN_BYTES]
                if early and self.clearly_gb():
                    self.early_gb = True
                    return
            try:
                line.decode("gb18030")
            except UnicodeDecodeError:
                self.gb_bad[first_line + i] = "not GB18030"

    def reasons(self) -> dict[int, str]:
        """Why each line is not UTF-8, with its first 200 characters read as GBK."""
        return {
            n: f"not UTF-8; read as GBK it says: {head.decode('gb18030', errors='replace')[:200]}"
            for n, head in self.utf8_bad.items()
        }

    def clearly_gb(self) -> bool:
        bad = len(self.utf8_bad)
        return bad >= EARLY_GB_LINES and bad > 10 * self.utf8_good

    def gb(self) -> bool:
        """The verdict: GB18030 (else UTF-8)."""
        if self.early_gb:
            return True
        return not self.header_utf8 and len(self.utf8_bad) > self.utf8_good


__all__ = ["Verdict", "non_ascii_lines", "reads_as_chinese", "utf8_valid"]
