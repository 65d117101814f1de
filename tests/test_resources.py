"""Resource errors — a full disk, a read-only file system, a path too long, no memory — have
codes of their own on the command line, never [INTERNAL]."""

from __future__ import annotations

import errno
import json
from pathlib import Path

import pytest

from rating.cli import main
from rating.errors import ResourceError, resource_error


@pytest.mark.parametrize(
    ("number", "code"),
    [
        (errno.ENOSPC, "DISK_FULL"),
        (errno.EDQUOT, "DISK_FULL"),
        (errno.EROFS, "READ_ONLY_FS"),
        (errno.ENAMETOOLONG, "PATH_TOO_LONG"),
    ],
)
def test_os_errors_are_classified(number: int, code: str) -> None:
    found = resource_error(OSError(number, "x", "/data/w.duckdb"))
    assert isinstance(found, ResourceError) and found.code == code
    wrapped = RuntimeError("while writing")
    wrapped.__cause__ = OSError(number, "x")
    assert resource_error(wrapped) is not None  # found through the chain


def test_database_wording_and_memory_are_classified() -> None:
    import duckdb

    assert (
        resource_error(duckdb.IOException("IO Error: No space left on device")).code == "DISK_FULL"
    )  # type: ignore[union-attr]
    assert resource_error(duckdb.IOException("Read-only file system")).code == "READ_ONLY_FS"  # type: ignore[union-attr]
    assert resource_error(MemoryError()).code == "OUT_OF_MEMORY"  # type: ignore[union-attr]
    assert resource_error(ValueError("a bug")) is None


def test_a_path_too_long_is_said_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / ("w" * 300 + ".duckdb")
    assert main(["batches", "--db", str(db), "--json"]) == 3
    assert json.loads(capsys.readouterr().out)["error"]["code"] == "PATH_TOO_LONG"


def test_a_full_disk_is_said_so_not_internal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(*_: object, **__: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "t.tokens.json.tmp"))

    monkeypatch.setattr(Path, "write_text", full)
    code = main(["token", "create", "--role", "bureau", "--db", str(tmp_path / "t.duckdb")])
    err = capsys.readouterr().err
    assert code == 3 and "[DISK_FULL]" in err and "INTERNAL" not in err
