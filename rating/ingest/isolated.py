"""Reading an untrusted file in a process of its own, with limits on memory and CPU time.

A file can be built to make a reader allocate without bound (an XLSX whose one cell sits at
XFD1048576 makes the Excel reader ask for 512 GB and abort its process) or spin (a CSV whose
header line is 90 KB long). The API therefore reads uploads in a child process limited with
`resource.setrlimit` (RLIMIT_DATA: its private memory; RLIMIT_CPU: its CPU seconds) and a
wall-clock timeout: when a file breaks a limit, only that child dies and the request gets
one clear error (`UPLOAD_TOO_COMPLEX`). The child writes the raw table (`readers.load_raw`:
all-text columns plus `_line`) as Parquet and its description as JSON; the server then
validates and loads it as usual, under its write lock — the reading happens outside it.

A file may carry personal data in clear (a managers register: 身份证号). The warehouse keeps
only its keyed hash (`rating.idnumber`), and the child never writes the number in clear: it
seals every cell of a personal column (AES-256-GCM under a one-time key the server hands it on
its standard input and keeps in memory) and masks number-like runs in lines it could not read,
before the Parquet and its description are written. `consume_read` unseals the cells in memory
and deletes the Parquet, its description and the upload itself as soon as the raw table is
loaded — before validation starts; the child deletes its working database and spill on exit. A server killed in the
middle of an upload leaves its folder behind: `sweep_stale_uploads` removes such folders when
the API starts.

`python -m rating.ingest.isolated FILE KIND OUT_DIR MEMORY_MB CPU_SECONDS` is the child (the
kind tells the readers which header, and which sheets, to look for).
"""

from __future__ import annotations

import json
import os
import resource
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from duckdb.func import FunctionNullHandling

from rating import idnumber
from rating.errors import InputFileError, LimitError
from rating.ingest import readers
from rating.ingest.nondata import kind_probe
from rating.ingest.readers import RawFile, Rejected
from rating.ingest.sheets import SheetInfo
from rating.ingest.validate import FileTraits
from rating.schema import CONTRACTS
from rating.schema.contracts import normalise_header

RAW_PARQUET = "raw.parquet"
DESCRIPTION = "raw.json"
SEALED = "sealed"  # the description's list of sealed raw columns
WORK_DB = "read.duckdb"
SPILL = "spill"
UPLOAD_PREFIX = "rating-upload-"  # the API's temporary folder of one upload
STALE_SECONDS = 3600  # no upload takes an hour: the wall-clock limit of a read is 10 minutes
FAILED = 3  # the child's exit status for a file the readers refused (InputFileError)


@dataclass(frozen=True)
class Limits:
    memory_mb: int = 2048
    cpu_seconds: int = 300
    wall_seconds: int = 600


def _child(path: Path, kind: str, out: Path, memory_mb: int, cpu_seconds: int) -> int:
    key = bytes.fromhex(sys.stdin.readline().strip())  # the one-time sealing key
    limit = memory_mb << 20
    resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds))
    con = duckdb.connect(str(out / WORK_DB))
    try:
        con.execute("SET threads = 1")
        con.execute("SET memory_limit = $m", {"m": f"{max(64, memory_mb // 3)}MB"})
        con.execute("SET temp_directory = $t", {"t": str(out / SPILL)})
        try:
            raw = readers.load_raw(con, path, kind_probe(CONTRACTS[kind]))
        except InputFileError as exc:
            (out / DESCRIPTION).write_text(json.dumps({"error": exc.as_dict()}), encoding="utf-8")
            return FAILED
        sealed = _seal_personal(con, raw, kind, key)
        target = str(out / RAW_PARQUET).replace("'", "''")
        con.execute(f"COPY (SELECT * FROM raw ORDER BY _line) TO '{target}' (FORMAT parquet)")
        (out / DESCRIPTION).write_text(
            json.dumps({**_described(raw), SEALED: sealed}, ensure_ascii=False), encoding="utf-8"
        )
        return 0
    finally:
        con.close()
        _remove_work(out)


def _seal_personal(
    con: duckdb.DuckDBPyConnection, raw: RawFile, kind: str, key: bytes
) -> list[str]:
    """Seal the cells of the personal columns of temp table `raw` (nonce + AES-256-GCM, hex)
    and mask number-like runs in rejected lines; returns the raw columns sealed."""
    contract = CONTRACTS[kind]
    personal = {n for n, c in contract.columns.items() if c.metadata["personal"]}
    if not personal:
        return []
    raw.rejected = [replace(r, text=idnumber.mask_numbers(r.text)) for r in raw.rejected]
    known = contract.header_map()
    columns = [
        f"c{i}" for i, h in enumerate(raw.headers) if known.get(normalise_header(h)) in personal
    ]
    aead = AESGCM(key)

    def seal(cell: str | None) -> str | None:
        if cell is None:
            return None
        nonce = os.urandom(12)
        return (nonce + aead.encrypt(nonce, cell.encode("utf-8"), None)).hex()

    con.create_function(
        "seal_cell",
        seal,
        ["VARCHAR"],
        "VARCHAR",
        null_handling=FunctionNullHandling.SPECIAL,
        side_effects=True,
    )
    for column in columns:
        con.execute(f'UPDATE raw SET "{column}" = seal_cell("{column}")')
    return columns


def _unseal(con: duckdb.DuckDBPyConnection, table: str, columns: list[str], key: bytes) -> None:
    """The sealed cells of `table` back in clear, in memory."""
    if not columns:
        return
    aead = AESGCM(key)

    def unseal(cell: str | None) -> str | None:
        if cell is None:
            return None
        data = bytes.fromhex(cell)
        return aead.decrypt(data[:12], data[12:], None).decode("utf-8")

    con.create_function(
        "unseal_cell",
        unseal,
        ["VARCHAR"],
        "VARCHAR",
        null_handling=FunctionNullHandling.SPECIAL,
        side_effects=True,
    )
    try:
        for column in columns:
            con.execute(f'UPDATE {table} SET "{column}" = unseal_cell("{column}")')
    finally:
        con.remove_function("unseal_cell")


def _remove_work(out: Path) -> None:
    """The child's working database, its WAL and spill: copies of the file's cells."""
    for name in (WORK_DB, WORK_DB + ".wal"):
        (out / name).unlink(missing_ok=True)
    shutil.rmtree(out / SPILL, ignore_errors=True)


def _described(raw: RawFile) -> dict[str, object]:
    described = asdict(raw)
    described["path"] = str(raw.path)
    described["traits"] = {
        "epoch": raw.traits.epoch.isoformat(),
        "zone": raw.traits.zone,
        "marks": sorted(raw.traits.marks),
    }
    return described


def _raw_file(described: dict[str, Any]) -> RawFile:
    traits = described["traits"]
    return RawFile(
        **{
            **described,
            "path": Path(described["path"]),
            "rejected": [Rejected(**r) for r in described["rejected"]],
            "sheets": [SheetInfo(**s) for s in described["sheets"]],
            "traits": FileTraits(
                epoch=date.fromisoformat(traits["epoch"]),
                zone=traits["zone"],
                marks=frozenset(traits["marks"]),
            ),
        }
    )


@dataclass(frozen=True)
class Read:
    """What the child read: the folder holding its raw table, and the one-time key its
    personal cells are sealed with (kept in this process's memory only)."""

    folder: Path
    key: bytes = field(repr=False)


def read_isolated(path: Path, kind: str, out: Path, limits: Limits) -> Read:
    """Read `path` in a limited child process; returns the folder holding its raw table.

    Raises InputFileError as the readers would (a file they refuse), or LimitError
    (UPLOAD_TOO_COMPLEX) when reading it breaks a limit or kills the child."""
    out.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable,
        "-m",
        "rating.ingest.isolated",
        str(path),
        kind,
        str(out),
        str(limits.memory_mb),
        str(limits.cpu_seconds),
    ]
    env = {**os.environ, "POLARS_MAX_THREADS": "1", "RUST_BACKTRACE": "0"}
    key = secrets.token_bytes(32)
    try:
        done = subprocess.run(
            command,
            env=env,
            input=key.hex().encode("ascii") + b"\n",
            capture_output=True,
            timeout=limits.wall_seconds,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise _too_complex(path, limits) from None
    if done.returncode == FAILED:
        error = json.loads((out / DESCRIPTION).read_text(encoding="utf-8"))["error"]["error"]
        raise InputFileError(error["message"], code=error["code"])
    if done.returncode != 0 or not (out / RAW_PARQUET).is_file():
        raise _too_complex(path, limits)
    return Read(out, key)


def _too_complex(path: Path, limits: Limits) -> LimitError:
    return LimitError(
        f"{path.name} cannot be read within the limits of an upload ({limits.memory_mb} MiB of "
        f"memory, {limits.cpu_seconds} s of CPU): check the file (an Excel sheet whose used range "
        "reaches far beyond its data, an extremely long line), or ingest it with `rating ingest`",
        code="UPLOAD_TOO_COMPLEX",
    )


def load_read(con: duckdb.DuckDBPyConnection, read: Read, table: str = "raw") -> RawFile:
    """Load what the child read into temp table `table`, in file order, its sealed cells
    unsealed (in memory); returns its description."""
    described = json.loads((read.folder / DESCRIPTION).read_text(encoding="utf-8"))
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT * FROM read_parquet($p) ORDER BY _rid",
        {"p": str(read.folder / RAW_PARQUET)},
    )
    _unseal(con, table, described.pop(SEALED, []), read.key)
    return _raw_file(described)


def consume_read(
    con: duckdb.DuckDBPyConnection, read: Read, upload: Path, table: str = "raw"
) -> RawFile:
    """`load_read`, then delete what the child wrote and the `upload` it read: from here on
    the file's cells (an identity number in clear) exist only in memory, until validation
    has kept what may be kept (a keyed hash, a masked number in the quarantine)."""
    try:
        return load_read(con, read, table)
    finally:
        for name in (RAW_PARQUET, DESCRIPTION):
            (read.folder / name).unlink(missing_ok=True)
        upload.unlink(missing_ok=True)


def sweep_stale_uploads(
    root: Path | None = None, older_than: float = STALE_SECONDS, now: float | None = None
) -> list[Path]:
    """Remove this user's upload folders (`UPLOAD_PREFIX`) under `root` (default: the
    temporary directory) whose newest entry is older than `older_than` seconds: what a
    killed server left, possibly a file with identity numbers in clear. Returns them."""
    base = Path(root or tempfile.gettempdir())
    now = time.time() if now is None else now
    removed = []
    for folder in sorted(base.glob(UPLOAD_PREFIX + "*")):
        st = folder.lstat()
        if not folder.is_dir() or folder.is_symlink() or st.st_uid != os.getuid():
            continue
        newest = max([st.st_mtime, *(p.lstat().st_mtime for p in folder.rglob("*"))])
        if now - newest > older_than:
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


if __name__ == "__main__":
    sys.exit(
        _child(
            Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
        )
    )
