"""Archives: the export's files streamed into one zip (ZIP64, deflated, fixed timestamps and permissions, so the
same files make the same bytes), and the files of an archive being imported, read from a zip or a folder."""

from __future__ import annotations

import zipfile
import zlib
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import IO

from stream_zip import ZIP_64, stream_zip

from labelstream_formats.model import ArchiveFile

FIXED_TIME = datetime(2000, 1, 1)  # every member's modification time: two exports of one version are byte-identical
MODE = 0o100644  # a regular file, rw-r--r--
CHUNK = 256 * 1024
TEXT_BUFFER = 64 * 1024  # the text of a document is encoded in pieces of about this many characters
LEVEL = 1  # deflate's fastest: 7 times faster than 9 on an export's JSON (the largest cost of a large export after
# building it), for archives about 18 % larger


def zip_stream(files: Iterable[ArchiveFile]) -> Iterator[bytes]:
    """The zip of `files`, in chunks; memory stays flat whatever the size (members are compressed as they stream)."""
    members = ((f.name, FIXED_TIME, MODE, ZIP_64, f.chunks) for f in files)
    yield from stream_zip(members, chunk_size=CHUNK, get_compressobj=_deflate, extended_timestamps=False)


def _deflate() -> zlib._Compress:
    return zlib.compressobj(wbits=-zlib.MAX_WBITS, level=LEVEL)


def encoded(parts: Iterable[str]) -> Iterator[bytes]:
    """A document written as many small pieces of text, as UTF-8 chunks of about TEXT_BUFFER characters."""
    buffer: list[str] = []
    size = 0
    for part in parts:
        buffer.append(part)
        size += len(part)
        if size >= TEXT_BUFFER:
            yield "".join(buffer).encode()
            buffer, size = [], 0
    if buffer:
        yield "".join(buffer).encode()


class ZipReader:
    """The files of a zip archive (a file on disk or any seekable binary file)."""

    def __init__(self, file: str | Path | IO[bytes]) -> None:
        self._zip = zipfile.ZipFile(file)

    def names(self) -> list[str]:
        return sorted(i.filename for i in self._zip.infolist() if not i.is_dir())

    def read(self, name: str) -> bytes:
        return self._zip.read(name)


class FolderReader:
    """The files under a folder, as an archive (tests, and the reference tools' own output)."""

    def __init__(self, root: str | Path) -> None:
        self._root = Path(root)

    def names(self) -> list[str]:
        return sorted(p.relative_to(self._root).as_posix() for p in self._root.rglob("*") if p.is_file())

    def read(self, name: str) -> bytes:
        return (self._root / name).read_bytes()
