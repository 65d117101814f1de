"""GB18030 → UTF-8 in parts (`rating.ingest.transcode`): byte for byte one decoder's output.

The parts are cut only at line breaks where a GB18030 decoder holds no pending bytes; these
tests decode arbitrary bytes — valid two- and four-byte sequences, lead bytes cut short, stray
0x80/0xFF, digits that may be the second byte of a four-byte sequence, line breaks
everywhere — whole and in parts, and require the same text, U+FFFD included.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rating.ingest import transcode
from tests.factories import examples

# Bytes that make GB18030 decoding interesting, each likely enough to meet the others.
_PIECES = [
    b"\n", b"\r\n", b",", b"a", b"0", b"5", b"9", b"\x80", b"\x81", b"\xfe", b"\xff",
    b"\x81\x30", b"\x81\x30\x81", b"\x81\x30\x81\x30", b"\x84\x31\xa4\x39", b"\x90\x30\x81\x30",
    "投诉".encode("gb18030"), "物业服务".encode("gb18030"), "\u20ac".encode("gb18030"),
    "\U0001f600".encode("gb18030"), b"\xa6\xd9", b"\xfe\x51", b"\xa1",
]  # fmt: skip
_DATA = st.lists(st.sampled_from(_PIECES), max_size=80).map(b"".join)


def _decode(data: bytes) -> str:
    return data.decode("gb18030", errors="replace")


def _cuts(data: bytes) -> list[int]:
    cuts, at = [], 0
    while (cut := transcode.safe_cut(data, at)) is not None:
        cuts.append(cut)
        at = cut + 1
    return cuts


@given(_DATA)
@settings(max_examples=examples(2000), deadline=None)
def test_a_safe_cut_decodes_as_the_whole(data: bytes) -> None:
    for cut in _cuts(data):
        assert _decode(data[:cut]) + _decode(data[cut:]) == _decode(data), cut


def test_a_break_inside_a_pending_sequence_is_not_a_cut() -> None:
    # At the end of its input the decoder takes the cut-short 81 30 and the line break into
    # one error; within the file it reads them as U+FFFD, "0" and a line break.
    data = b"x\x81\x30\ny\n"
    assert _decode(data) != _decode(data[:4]) + _decode(data[4:])
    assert transcode.safe_cut(data) == len(data)
    assert transcode.safe_cut(b"\xb6\xfe5\n") is None  # a lead among the last three bytes
    assert transcode.safe_cut(b"a,,5\nb") == 5
    assert transcode.safe_cut(b"a,,5\nb,,1\n", 5) == 5
    assert transcode.safe_cut(b"a,,5\nb,,1\n", 6) == 10


def _file(tmp_path: Path) -> tuple[Path, bytes]:
    line = "1,投诉,物业服务,\u20ac,12\n".encode("gb18030")
    bad = b"2,\x81\x30\n3,\xff\x80\xa1\n4,\x81\n"
    data = (line * 200 + bad) * 50
    path = tmp_path / "in.csv"
    path.write_bytes(data)
    return path, data


# Two and three workers start helper processes: `make test` and CI, not `make test-fast`.
@pytest.mark.parametrize("workers", [1, *(pytest.param(n, marks=pytest.mark.slow) for n in (2, 3))])
def test_to_utf8_in_processes_is_one_decoders_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workers: int
) -> None:
    path, data = _file(tmp_path)
    monkeypatch.setattr(transcode, "PARALLEL_FROM", 0)
    monkeypatch.setattr(transcode, "CUT_WINDOW", 4096)
    assert len(transcode._cuts(path, len(data), workers)) == workers - 1
    out = tmp_path / "out.csv"
    transcode.to_utf8(path, out, "gb18030", workers)
    assert out.read_bytes() == _decode(data).encode("utf-8")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv", "out.csv"]


@pytest.mark.parametrize("helper", ["/nonexistent/python", "/bin/false"])
def test_without_a_helper_process_the_file_is_decoded_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, helper: str
) -> None:
    path, data = _file(tmp_path)
    monkeypatch.setattr(transcode, "PARALLEL_FROM", 0)
    monkeypatch.setattr(transcode, "CUT_WINDOW", 4096)
    monkeypatch.setattr(sys, "executable", helper)
    out = tmp_path / "out.csv"
    transcode.to_utf8(path, out, "gb18030", 2)
    assert out.read_bytes() == _decode(data).encode("utf-8")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv", "out.csv"]
