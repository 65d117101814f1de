"""Receiving an uploaded export: streamed from the request straight to one file on disk.

The multipart body is parsed as it arrives by `python-multipart`'s streaming parser: the
part named `file` is written to a fresh folder under a sanitised name, every other part is
discarded (at most 64 KiB of them), and the body's size was already bounded by the guard
(`api.guard`). Nothing is held in memory beyond one chunk.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from fastapi import Request
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

from rating.errors import LimitError, UsageError

if TYPE_CHECKING:
    from python_multipart.multipart import MultipartCallbacks

FIELD = b"file"
OTHER_PARTS_LIMIT = 64 << 10
NAME_LIMIT = 120

# The OpenAPI description of the body (the route reads the stream itself).
UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {
                            "type": "string",
                            "format": "binary",
                            "description": "CSV (UTF-8/GB18030), XLSX or Parquet",
                        }
                    },
                }
            }
        },
    }
}


def safe_name(name: str | None) -> str:
    """A file name safe to create and to show: no folders, no leading dots, no control or
    path characters, at most 120 characters; `upload` when nothing is left."""
    text = unicodedata.normalize("NFC", name or "")
    text = text.replace("\\", "/").rsplit("/", 1)[-1]
    text = re.sub(r"[^\w.\-\u4e00-\u9fff（）()]", "_", text).lstrip(". _")[:NAME_LIMIT]
    return text if text.strip("._") else "upload"


class _Receiver:
    """python-multipart callbacks: the `file` part to disk, the rest counted and dropped."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.header_field = b""
        self.header_value = b""
        self.headers: dict[bytes, bytes] = {}
        self.out: IO[bytes] | None = None
        self.path: Path | None = None
        self.other = 0

    def callbacks(self) -> MultipartCallbacks:
        return {
            "on_part_begin": self.part_begin,
            "on_header_field": lambda d, s, e: self._add("header_field", d[s:e]),
            "on_header_value": lambda d, s, e: self._add("header_value", d[s:e]),
            "on_header_end": self.header_end,
            "on_headers_finished": self.headers_finished,
            "on_part_data": self.part_data,
            "on_part_end": self.part_end,
        }

    def _add(self, name: str, data: bytes) -> None:
        setattr(self, name, getattr(self, name) + data)
        if len(self.header_field) + len(self.header_value) > 8192:
            raise UsageError("a part's header is too long", code="UPLOAD_MALFORMED")

    def part_begin(self) -> None:
        self.headers = {}

    def header_end(self) -> None:
        self.headers[self.header_field.strip().lower()] = self.header_value.strip()
        self.header_field = self.header_value = b""

    def headers_finished(self) -> None:
        _, options = parse_options_header(self.headers.get(b"content-disposition", b""))
        if options.get(b"name") == FIELD and self.path is None:
            filename = options.get(b"filename", b"").decode("utf-8", errors="replace")
            self.path = self.folder / safe_name(filename)
            self.out = self.path.open("wb")

    def part_data(self, data: bytes, start: int, end: int) -> None:
        if self.out is not None:
            self.out.write(data[start:end])
            return
        self.other += end - start
        if self.other > OTHER_PARTS_LIMIT:
            raise LimitError("the form's other fields are too large", code="UPLOAD_MALFORMED")

    def part_end(self) -> None:
        if self.out is not None:
            self.out.close()
            self.out = None


async def receive_file(request: Request, folder: Path) -> Path:
    """Stream the request's multipart body; returns the path of its `file` part.

    Raises UsageError (UPLOAD_NOT_MULTIPART, UPLOAD_MALFORMED, UPLOAD_NO_FILE); the guard's
    limit raises 413 while streaming."""
    kind, options = parse_options_header(request.headers.get("content-type", ""))
    boundary = options.get(b"boundary")
    if kind != b"multipart/form-data" or not boundary:
        raise UsageError(
            "send the export as multipart/form-data with a field named 'file'",
            code="UPLOAD_NOT_MULTIPART",
        )
    receiver = _Receiver(folder)
    parser = MultipartParser(boundary, receiver.callbacks())
    try:
        async for chunk in request.stream():
            parser.write(chunk)
        parser.finalize()
    except MultipartParseError as exc:
        raise UsageError(
            f"the upload is not a valid form: {exc}", code="UPLOAD_MALFORMED"
        ) from None
    finally:
        receiver.part_end()
    if receiver.path is None:
        raise UsageError("the form has no field named 'file'", code="UPLOAD_NO_FILE")
    return receiver.path
