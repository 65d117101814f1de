"""GB18030 text to UTF-8 with Python's own codec, on several cores when the file is large.

Python's `gb18030` codec is the decoder ingest trusts (glibc's `iconv` maps 26 code points
differently and refuses sequences Python reads: `benchmarks/README.md`), but it decodes about
70 MB/s on one core: 4 of the 17 s of a million GB18030 complaints. A large file is cut into
parts at line breaks where the decoder holds no pending bytes (`safe_cut`), each part after
the first is decoded by a process of its own (`python -m rating.ingest.transcode`) while
this one decodes the first, and the parts are joined: byte for byte what one decoder over
the whole file writes, undecodable bytes included (`tests/test_transcode.py`). When a
helper process cannot run, the file is decoded here alone, as before.
"""

from __future__ import annotations

import codecs
import os
import subprocess
import sys
from pathlib import Path

# 16 MiB chunks made strings of up to 64 MiB, each allocated afresh: 0.5 - 1.6 s more of
# system CPU (page faults) for 891 MB than 1 MiB chunks (benchmarks/README.md, session 11).
CHUNK_BYTES = 1 << 20
PARALLEL_FROM = 64 << 20  # smaller files in one process: starting another costs ~0.1 s
CUT_WINDOW = 1 << 20  # where a cut is looked for, from each part's nominal start
_LEAD = 0x80  # lead bytes are 0x81-0xFE, and the decoder waits after 0x80 and 0xFF too


def safe_cut(data: bytes, start: int = 0) -> int | None:
    """The first offset in `data` at or after `start` just past a line break before which a
    GB18030 decoder holds no pending bytes, or None.

    A sequence is at most four bytes, and the decoder decides on one only when it has all
    the bytes it needs (at the end of its input, an error then takes every byte left). So
    when the three bytes before the line break are ASCII (below 0x80: no byte a sequence starts with),
    every sequence begun earlier is decided within the bytes before the break, the break is
    read as itself, and the decoder starts afresh after it: the two sides decode apart
    exactly as together."""
    at = data.find(b"\n", max(start - 1, 3))
    while at >= 0:
        if max(data[at - 3 : at]) < _LEAD:
            return at + 1
        at = data.find(b"\n", at + 1)
    return None


def transcode_range(source: Path, start: int, end: int, target: Path, encoding: str) -> None:
    """Bytes `start` to `end` of `source`, decoded as `encoding` (undecodable bytes as
    U+FFFD), written to `target` as UTF-8, in chunks of CHUNK_BYTES."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    with source.open("rb") as src, target.open("wb") as dst:
        src.seek(start)
        left = end - start
        while left > 0 and (chunk := src.read(min(CHUNK_BYTES, left))):
            left -= len(chunk)
            dst.write(decoder.decode(chunk).encode("utf-8"))
        dst.write(decoder.decode(b"", final=True).encode("utf-8"))


def _cuts(source: Path, size: int, parts: int) -> list[int]:
    """Offsets where parts 2 … n start (fewer when no safe line break is near a nominal
    start)."""
    cuts: list[int] = []
    with source.open("rb") as fh:
        for k in range(1, parts):
            fh.seek(size * k // parts)
            window = fh.read(CUT_WINDOW)
            cut = safe_cut(window)
            if cut is not None and size * k // parts + cut < size:
                offset = size * k // parts + cut
                if not cuts or offset > cuts[-1]:
                    cuts.append(offset)
    return cuts


def to_utf8(source: Path, target: Path, encoding: str, workers: int = 1) -> None:
    """`source` (in `encoding`, e.g. gb18030) as UTF-8 in `target`, undecodable bytes as
    U+FFFD, using up to `workers` processes for a file of PARALLEL_FROM bytes or more.
    Raises OSError when a file cannot be read or written."""
    size = source.stat().st_size
    cuts = _cuts(source, size, workers) if workers > 1 and size >= PARALLEL_FROM else []
    bounds = [0, *cuts, size]
    parts = [target.with_name(f"{target.name}.{i}") for i in range(1, len(bounds) - 1)]
    try:
        children = [
            subprocess.Popen(
                [sys.executable, "-m", __name__, str(source), str(s), str(e), str(p), encoding]
            )  # fmt: skip
            for s, e, p in zip(bounds[1:-1], bounds[2:], parts, strict=True)
        ]
    except OSError:  # no helper process here (a limit on processes): alone, as before
        children, bounds, parts = [], [0, size], []
    try:
        transcode_range(source, 0, bounds[1], target, encoding)
    finally:
        failed = [c.wait() for c in children]
    if any(failed):
        for p in parts:
            p.unlink(missing_ok=True)
        transcode_range(source, 0, size, target, encoding)
        return
    with target.open("r+b") as dst:
        dst.seek(0, os.SEEK_END)
        for p in parts:
            with p.open("rb") as src:
                _append(src.fileno(), dst.fileno(), p.stat().st_size)
            p.unlink()


def _append(src: int, dst: int, count: int) -> None:
    """`count` bytes of `src` after the end of `dst`, copied by the kernel."""
    offset = 0
    while offset < count:
        done = os.sendfile(dst, src, offset, count - offset)
        if done == 0:
            raise OSError("transcode: a part file ended early")
        offset += done


if __name__ == "__main__":
    _, src, start, end, out, enc = sys.argv
    transcode_range(Path(src), int(start), int(end), Path(out), enc)
