"""The text scan's cheaper parts give what the plain ones gave (issue 21, session 9): Arrow's
UTF-8 validator says what Python's decoder says, the file's pieces are its bytes cut after
line breaks, and the hash taken in the scan is the file's SHA-256."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rating.errors import InputFileError
from rating.ingest import readers, textfile
from rating.ingest import verdict as verdict_


def _decodes(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


# Well-formed and ill-formed sequences at the edges of UTF-8 (RFC 3629): overlong forms,
# surrogates, past U+10FFFF, truncated and stray continuation bytes, GB18030 text, NUL.
EDGES = [
    b"",
    b"\x00",
    b"plain ascii,1,2\n",
    "工单编号,受理时间\n".encode(),
    "工单编号".encode("gb18030"),
    b"\xc0\x80",
    b"\xc1\xbf",
    b"\xc2\x80",
    b"\xdf\xbf",
    b"\xe0\x80\x80",
    b"\xe0\x9f\xbf",
    b"\xe0\xa0\x80",
    b"\xed\x9f\xbf",
    b"\xed\xa0\x80",
    b"\xed\xbf\xbf",
    b"\xee\x80\x80",
    b"\xef\xbb\xbf",
    b"\xef\xbf\xbd",
    b"\xf0\x80\x80\x80",
    b"\xf0\x8f\xbf\xbf",
    b"\xf0\x90\x80\x80",
    b"\xf4\x8f\xbf\xbf",
    b"\xf4\x90\x80\x80",
    b"\xf5\x80\x80\x80",
    b"\xff",
    b"\x80",
    b"a\xe4\xb8",
    b"\xe4\xb8\xad\xe4",
]


@pytest.mark.parametrize("data", EDGES)
def test_utf8_validator_agrees_with_the_decoder_at_the_edges(data: bytes) -> None:
    assert verdict_.utf8_valid(data) is _decodes(data)
    assert verdict_.utf8_valid(b"x," + data + b",y\n") is _decodes(b"x," + data + b",y\n")


@settings(max_examples=400, deadline=None)
@given(st.lists(st.one_of(st.binary(max_size=6), st.text(max_size=4).map(str.encode)), max_size=12))
def test_utf8_validator_agrees_with_the_decoder(parts: list[bytes]) -> None:
    data = b"".join(parts)
    assert verdict_.utf8_valid(data) is _decodes(data)


@pytest.mark.parametrize("size", [1, 7, 64])
def test_pieces_are_the_file_cut_after_line_breaks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, size: int
) -> None:
    monkeypatch.setattr(textfile, "CHUNK_BYTES", size)
    lines = [b"a,b\n", b"", b"\n", "中文,12345\r\n".encode(), b"x" * 300 + b"\n", b"tail"]
    path = tmp_path / "f.csv"
    path.write_bytes(b"".join(lines))
    data = path.read_bytes()
    pieces = list(textfile._chunks(path))
    assert b"".join(pieces) == data
    start = 0
    for piece in pieces[:-1]:  # each ends a line, unless a line is longer than 4 reads
        assert piece.endswith(b"\n") or len(piece) >= 4 * size
        end = start + len(piece)
        # cut at the first read (reads end at multiples of `size`) that holds a line break:
        # no earlier read inside the piece held one
        for read_end in range(-(-(start + 1) // size) * size, end, size):
            assert b"\n" not in data[start:read_end]
        start = end


def test_the_scan_hashes_the_file(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes(("工单编号,受理时间\n" + "A1,2026-07-03 10:00:00\n" * 1000).encode())
    scan = textfile.scan_text(path)
    assert scan.sha256 == readers.file_sha256(path) == hashlib.sha256(path.read_bytes()).hexdigest()
    assert scan.lines == 1001 and scan.encoding == "utf-8"


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.text(max_size=30), max_size=8),
    st.binary(max_size=3),
    st.sampled_from(["utf-8", "gb18030"]),
    st.integers(1, 9),
)
def test_decoded_lines_do_not_depend_on_the_block_size(
    tmp_path_factory: pytest.TempPathFactory,
    lines: list[str],
    noise: bytes,
    encoding: str,
    block: int,
) -> None:
    path = tmp_path_factory.mktemp("d") / "f.csv"
    path.write_bytes(noise.join(t.encode(encoding, errors="replace") for t in lines) + b"\r\n")
    scan = textfile.TextScan("", encoding, 0, 1)
    assert list(textfile.decoded_lines(path, scan, block)) == list(
        textfile.decoded_lines(path, scan)
    )


@settings(max_examples=200, deadline=None)
@given(st.text(min_size=1, max_size=400), st.binary(max_size=40))
def test_a_line_that_is_not_utf8_is_shown_as_before(text: str, noise: bytes) -> None:
    line = (b"\xff" + noise + text.encode("gb18030", errors="replace") + noise).replace(b"\n", b"")
    verdict = verdict_.Verdict()
    verdict._lines(line, 7)
    shown = line.decode("gb18030", errors="replace")[:200]  # the reason as it was worded
    assert verdict.reasons() == {7: f"not UTF-8; read as GBK it says: {shown}"}


def _verdict(path: Path) -> tuple[object, ...]:
    try:
        scan = textfile.scan_text(path)
    except InputFileError as exc:
        return (exc.code,)
    return scan.encoding, scan.lines, scan.bad_lines, scan.long_lines


def _mixed_lines(rows: int, utf8_at: range, gbk_at: range) -> list[bytes]:
    """An ASCII header and rows, some rows Chinese in UTF-8, some pasted from GBK."""
    lines = [b"id,name,district"] + [f"R{i:07d},Garden {i},Zhifu".encode() for i in range(rows)]
    for i in utf8_at:
        lines[i] = f"U{i},阳光花园,芝罘区".encode()
    for i in gbk_at:
        lines[i] = f"G{i},国标花园,芝罘区".encode("gbk")
    return lines


FILES = {
    # the verdict once flipped with the cut: a piece valid as UTF-8 counted all its lines
    "ascii header, few utf-8, more gbk": _mixed_lines(400, range(50, 55), range(300, 308)),
    "ascii header, more utf-8, few gbk": _mixed_lines(400, range(50, 70), range(300, 308)),
    "utf-8 header, gbk rows": [
        "项目编号,项目名称".encode(),
        *_mixed_lines(400, range(0), range(100, 140))[1:],
    ],
    "gbk header, ascii rows": [
        "项目编号,项目名称".encode("gbk"),
        *_mixed_lines(400, range(0), range(7, 9))[1:],
    ],
    "gbk, early verdict": _mixed_lines(12_000, range(0), range(1, 12_000)),
}


@pytest.mark.parametrize("name", sorted(FILES))
def test_the_encoding_verdict_does_not_depend_on_the_cut_points(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes(b"\n".join(FILES[name]) + b"\n")
    verdicts = []
    for size in (1 << 24, 4096, 333):
        monkeypatch.setattr(textfile, "CHUNK_BYTES", size)
        verdicts.append(_verdict(path))
    assert verdicts[1] == verdicts[0] and verdicts[2] == verdicts[0]


def test_a_utf8_chinese_header_decides_and_gbk_stays_gbk(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes(b"\n".join(FILES["utf-8 header, gbk rows"]) + b"\n")
    scan = textfile.scan_text(path)
    assert scan.encoding == "utf-8" and sorted(scan.bad_lines) == list(range(101, 141))
    path.write_bytes(b"\n".join(FILES["gbk header, ascii rows"]) + b"\n")
    assert textfile.scan_text(path).encoding == "gb18030"
    # GBK text that happens to be valid UTF-8 reads as Latin or Greek letters, not Chinese
    assert verdict_.reads_as_chinese("统一社会信用代码（18位）".encode())
    assert "专业".encode("gbk").decode("utf-8") == "רҵ"
    assert not verdict_.reads_as_chinese("专业".encode("gbk"))


@pytest.mark.slow
def test_a_line_across_the_16_mib_cut_does_not_change_the_verdict(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # ~17 MiB: UTF-8 Chinese rows in the first piece, GBK rows after it, one across the cut.
    lines = _mixed_lines(640_000, range(1000, 1010), range(620_000, 620_020))
    offset, across = 0, None
    for i, line in enumerate(lines):
        offset += len(line) + 1
        if offset > textfile.CHUNK_BYTES:
            across = i
            break
    assert across is not None and across < 620_000
    lines[across] = f"G{across},国标花园,芝罘区".encode("gbk")
    path = tmp_path / "big.csv"
    path.write_bytes(b"\n".join(lines) + b"\n")
    whole = _verdict(path)
    monkeypatch.setattr(textfile, "CHUNK_BYTES", 1 << 26)  # one piece
    assert _verdict(path) == whole
    assert whole[0] == "gb18030"  # 10 lines pass as UTF-8, 21 fail
